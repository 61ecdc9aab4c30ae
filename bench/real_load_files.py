"""Real embedding files as users get them, and a check that ``apexdb load`` takes them exactly.

    .venv/bin/python bench/real_load_files.py write DIR   # pypi.parquet, pypi.jsonl, pypi.csv
    apexdb load pypi_parquet DIR/pypi.parquet --create     # (and the same for .jsonl, .csv)
    .venv/bin/python bench/real_load_files.py check       # every row, column and vector

The 60,000 passages of ``../shared/data/pypi-e5`` (or ``$APEXDB_BENCH_PYPI_E5``) with their e5
embeddings as float32, written as Parquet (``list<float>``, as Hugging Face datasets store
them), JSONL as a batch embedding job writes it (``json.dumps`` of Python floats, a ``meta``
object beside the vector) and CSV (pgvector text). ``check`` compares the tables ``pypi_parquet``,
``pypi_jsonl`` and ``pypi_csv`` of the database apexdb targets (``APEXDB_DSN``, else the
embedded server) with the source: text equal, vectors bit-exact, ``meta`` equal as jsonb, and
statistics for every column.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tune import _corpus_dir  # noqa: E402


def _source():
    import numpy as np

    corpus = _corpus_dir()
    if corpus is None:
        sys.exit("the pypi-e5 corpus is not beside the project (set APEXDB_BENCH_PYPI_E5)")
    vectors = np.load(corpus / "pypi_e5_passages_f16.npy").astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [json.loads(line) for line in open(corpus / "pypi_summaries.jsonl")]
    return rows, vectors


def write(out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, vectors = _source()
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "pypi.jsonl", "w") as f:
        for r, v in zip(rows, vectors):
            f.write(json.dumps({"id": r["id"], "package": r["package"], "summary": r["summary"],
                                "meta": {"source": "pypi", "len": len(r["summary"])},
                                "embedding": [float(x) for x in v]}) + "\n")
    with open(out / "pypi.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "package", "summary", "embedding"])
        for r, v in zip(rows, vectors):
            w.writerow([r["id"], r["package"], r["summary"], "[" + ",".join(repr(float(x)) for x in v) + "]"])
    pq.write_table(pa.table({"id": [r["id"] for r in rows], "package": [r["package"] for r in rows],
                             "summary": [r["summary"] for r in rows],
                             "embedding": pa.array(list(vectors), pa.list_(pa.float32()))}), out / "pypi.parquet")
    print(f"wrote {len(rows):,} rows to {out}/pypi.parquet, pypi.jsonl, pypi.csv")


def check() -> int:
    import numpy as np
    from pgvector.psycopg import register_vector

    from apexdb.db.connection import connect, resolve_target

    rows, vectors = _source()
    failed = 0
    with connect(resolve_target()) as conn:  # the database apexdb itself would use
        register_vector(conn)
        for table in ("pypi_parquet", "pypi_jsonl", "pypi_csv"):
            got = conn.execute(f"SELECT id, package, summary, embedding FROM {table} ORDER BY id").fetchall()
            text = len(got) == len(rows) and all((g[0], g[1], g[2]) == (r["id"], r["package"], r["summary"])
                                                 for g, r in zip(got, rows))
            exact = len(got) == len(rows) and np.array_equal(np.stack([g[3].to_numpy() for g in got]), vectors)
            stats = conn.execute("SELECT count(*) FROM pg_stats WHERE tablename = %s", (table,)).fetchone()[0]
            columns = len(got[0]) + (table == "pypi_jsonl") if got else 0
            ok = text and exact and stats == columns
            failed += not ok
            print(f"{table}: {len(got):,} rows, text equal {text}, vectors bit-exact {exact}, "
                  f"statistics for {stats} of {columns} columns: {'ok' if ok else 'DIFFERENT'}")
        meta = [m for (m,) in conn.execute("SELECT meta FROM pypi_jsonl ORDER BY id")]
        same = meta == [{"source": "pypi", "len": len(r["summary"])} for r in rows]
        failed += not same
        print(f"pypi_jsonl.meta equal as jsonb: {same}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(Path(sys.argv[2]))
    elif len(sys.argv) == 2 and sys.argv[1] == "check":
        sys.exit(check())
    else:
        sys.exit(__doc__)
