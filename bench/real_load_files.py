"""Real embedding files as users get them, and a check that ``apexdb load`` takes them exactly.

    .venv/bin/python bench/real_load_files.py write DIR   # pypi.parquet, pypi.jsonl, pypi.csv
    apexdb load pypi_parquet DIR/pypi.parquet --create     # (and the same for .jsonl, .csv)
    .venv/bin/python bench/real_load_files.py check       # every row, column and vector
    .venv/bin/python bench/real_load_files.py compare DIR # whole loads against .npy, rows/s

The 60,000 passages of ``../shared/data/pypi-e5`` (or ``$APEXDB_BENCH_PYPI_E5``) with their e5
embeddings as float32, written as Parquet (``list<float>``, as Hugging Face datasets store
them), JSONL as a batch embedding job writes it (``json.dumps`` of Python floats, a ``meta``
object beside the vector) and CSV (pgvector text). ``check`` compares the tables ``pypi_parquet``,
``pypi_jsonl`` and ``pypi_csv`` of the database apexdb targets (``APEXDB_DSN``, else the
embedded server) with the source: text equal, vectors bit-exact, ``meta`` equal as jsonb, and
statistics for every column. ``compare`` loads each file as a whole ``apexdb load`` process
(start-up and ANALYZE included, as the issue times them) three times into a fresh table, each
load followed by one of ``DIR/pypi.npy`` (the same vectors, without the other columns), and prints
the medians and their ratios to the ``.npy`` one's.
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
    import numpy as np
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
    np.save(out / "pypi.npy", vectors)
    pq.write_table(pa.table({"id": [r["id"] for r in rows], "package": [r["package"] for r in rows],
                             "summary": [r["summary"] for r in rows],
                             "embedding": pa.array(list(vectors), pa.list_(pa.float32()))}), out / "pypi.parquet")
    print(f"wrote {len(rows):,} rows to {out}/pypi.parquet, pypi.jsonl, pypi.csv, pypi.npy")


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


def compare(out: Path, rounds: int = 3) -> None:
    import shutil
    import statistics
    import subprocess
    import time

    from apexdb.db.connection import connect, resolve_target

    apexdb = shutil.which("apexdb") or str(Path(sys.executable).with_name("apexdb"))
    tables = {"npy": "id bigserial PRIMARY KEY, embedding vector(384)",
              "parquet": "id bigint PRIMARY KEY, package text, summary text, embedding vector(384)",
              "jsonl": "id bigint PRIMARY KEY, package text, summary text, meta jsonb, embedding vector(384)",
              "csv": "id bigint PRIMARY KEY, package text, summary text, embedding vector(384)"}
    rates: dict[str, list[float]] = {kind: [] for kind in tables}
    target = resolve_target()
    for _ in range(rounds):
        for kind in ("parquet", "jsonl", "csv"):
            for step in (kind, "npy"):
                with connect(target) as conn:
                    conn.execute("DROP TABLE IF EXISTS pypi_compare")
                    conn.execute(f"CREATE TABLE pypi_compare ({tables[step]})")
                    conn.commit()
                started = time.perf_counter()
                subprocess.run([apexdb, "load", "pypi_compare", str(out / f"pypi.{step}")], check=True,
                               stdout=subprocess.DEVNULL)
                rates[step].append(60_000 / (time.perf_counter() - started))
    with connect(target) as conn:
        conn.execute("DROP TABLE pypi_compare")
        conn.commit()
    npy = statistics.median(rates["npy"])
    print(f"pypi.npy: {npy:,.0f} rows/s (median of {len(rates['npy'])} whole loads)")
    for kind in ("parquet", "jsonl", "csv"):
        rate = statistics.median(rates[kind])
        print(f"pypi.{kind}: {rate:,.0f} rows/s, {rate / npy:.2f}x the .npy (median of {rounds})")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(Path(sys.argv[2]))
    elif len(sys.argv) == 2 and sys.argv[1] == "check":
        sys.exit(check())
    elif len(sys.argv) == 3 and sys.argv[1] == "compare":
        compare(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
