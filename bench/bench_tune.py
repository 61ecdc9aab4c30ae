"""``apexdb tune`` against real held-out queries, on real text embeddings (issue 12).

Corpus: ``../shared/data/pypi-e5`` beside the project (or ``$APEXDB_BENCH_PYPI_E5``): 60,000
PyPI summaries embedded with multilingual-e5-small as passages, and 1,000 other summaries
embedded as *queries* (another prompt: an asymmetric corpus, as in retrieval). Two tables:

- ``pypi-e5``: the 60,000 passages; the real queries are the 1,000 query embeddings, never
  loaded. tune gets the first 500 (``--queries FILE``), the other 500 check its pick. The
  default method (rows held out of a scratch copy) is run too, to show what it can and
  cannot know about queries from another prompt.
- ``symmetric``: 59,000 passages; the queries are the 1,000 other passages, never loaded
  (held-out rows of the same kind). tune runs with its default method and no queries at all;
  the 1,000 check its pick.

For each table, method (HNSW m=16 ef_construction=64; IVFFlat lists=rows/1000) and target
(0.90, 0.95, 0.99), the figures are: the check queries' recall@10 at tune's pick against the
target (goal >= target - 0.005), the pick against the least setting that reaches the target in
an exhaustive upward sweep with the check queries (goal <= 1.25x), and tune's wall time against
one ``apexdb index create`` of the same table (a ratio). Exact answers come from numpy.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from run import Figure

K = 10
TARGETS = (0.90, 0.95, 0.99)
GRID_STEP = 1.05  # the exhaustive sweep's resolution: every setting 5% above the last
TOLERANCE = 0.005
PICK_RATIO = 1.25


def _corpus_dir() -> Path | None:
    here = Path(__file__).resolve().parents[1]
    for candidate in (os.environ.get("APEXDB_BENCH_PYPI_E5"), here.parent / "shared" / "data" / "pypi-e5"):
        if candidate and (Path(candidate) / "pypi_e5_passages_f16.npy").exists():
            return Path(candidate)
    return None


def _unit(a):
    import numpy as np

    a = a.astype(np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def _load(dsn: str, vectors) -> None:
    import psycopg
    from pgvector.psycopg import register_vector

    with psycopg.connect(dsn, autocommit=True) as conn:
        register_vector(conn)
        conn.execute(f"CREATE TABLE items (id bigint PRIMARY KEY, embedding vector({vectors.shape[1]}))")
        with conn.cursor() as cur, cur.copy("COPY items (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "vector"])
            for i, v in enumerate(vectors, 1):
                copy.write_row((i, v))
        conn.execute("VACUUM ANALYZE items")


def _truth(vectors, queries) -> list[set]:
    import numpy as np

    out = []
    for start in range(0, len(queries), 100):
        scores = queries[start:start + 100] @ vectors.T
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        out += [set((row + 1).tolist()) for row in top]
    return out


def _recall(dsn: str, parameter: str, value: int, queries, truth) -> float:
    import psycopg
    from pgvector.psycopg import register_vector

    hits = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        register_vector(conn)
        with conn.transaction():
            conn.execute("SELECT set_config(%s, %s, true)", [parameter, str(value)])
            for q, expected in zip(queries, truth):
                got = conn.execute("SELECT id FROM items ORDER BY embedding <=> %s LIMIT %s", [q, K]).fetchall()
                hits += len({r[0] for r in got} & expected)
    return hits / (K * len(queries))


def _upward_sweep(dsn: str, parameter: str, floor: int, ceiling: int, queries, truth) -> dict[int, float]:
    """Recall at every setting from ``floor`` in GRID_STEP steps, until the highest target is met."""
    curve, value = {}, float(floor)
    while True:
        v = min(int(round(value)), ceiling)
        if v not in curve:
            curve[v] = _recall(dsn, parameter, v, queries, truth)
        if curve[v] >= max(TARGETS) or v >= ceiling:
            return curve
        value = max(value * GRID_STEP, v + 1)


def _least(curve: dict[int, float], target: float) -> int | None:
    return min((v for v, r in curve.items() if r >= target), default=None)


def _tune(ctx, dsn: str, target: float, extra: list[str]) -> tuple[dict, float]:
    started = time.perf_counter()
    proc = subprocess.run([*ctx.apexdb, "tune", "items", "embedding", "--target-recall", str(target), "--k", str(K),
                           "--budget", "3600", "--format", "json", *extra],
                          env={**os.environ, "APEXDB_DSN": dsn}, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"apexdb tune exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout), wall


def _bench_table(ctx, name: str, vectors, queries, figures: list, notes: dict) -> None:
    import numpy as np

    dsn = ctx.new_database(f"bench_tune_{name.replace('-', '_')}")
    _load(dsn, vectors)
    sources = {"pypi-e5": ("file", "default"), "symmetric": ("default",)}[name]
    tune_q, check_q = queries[: len(queries) // 2], queries[len(queries) // 2:]
    qfile = Path(tempfile.mkdtemp()) / "queries.npy"
    np.save(qfile, tune_q)
    check_truth = _truth(vectors, check_q)
    for method in ("hnsw", "ivfflat"):
        build_s = ctx.timed([*ctx.apexdb, "index", "create", "items", "embedding", "--method", method,
                             "--metric", "cosine", "--yes", "--name", "items_ann"], {"APEXDB_DSN": dsn})
        parameter = "hnsw.ef_search" if method == "hnsw" else "ivfflat.probes"
        lists = max(1, len(vectors) // 1000)
        floor, ceiling = (K, 1000) if method == "hnsw" else (1, lists - 1)
        curve = _upward_sweep(dsn, parameter, floor, ceiling, check_q, check_truth)
        notes[f"{name}/{method}/check_curve"] = curve
        for target in TARGETS:
            least = _least(curve, target)
            for source in sources:
                extra = ["--queries", str(qfile)] if source == "file" else []
                doc, wall = _tune(ctx, dsn, target, extra)
                pick = doc["recommended"]
                label = f"{name} {method} target {target:g}, tune's {'--queries FILE' if source == 'file' else 'default method'}"
                info = {"pick": pick, "least_sufficient": least, "tune_s": round(wall, 1), "build_s": round(build_s, 1),
                        "tune_recall_reported": doc["heldout_recall"], "interval": doc.get("heldout_interval"),
                        "scratch": doc.get("scratch"), "queries": doc["queries"], "sweep": [
                            (s["value"], s["recall"]) for s in doc["sweep"]]}
                notes[label] = info
                if pick is None:
                    figures.append(Figure("tune", f"{label}: no pick", 0, target, "recall", goal="a pick", met=False,
                                          extra=info))
                    continue
                got = curve.get(pick)
                if got is None:
                    got = _recall(dsn, parameter, pick, check_q, check_truth)
                info["check_recall_at_pick"] = got
                figures.append(Figure("tune", f"{label}: check queries' recall@{K} at its pick ({parameter} {pick})",
                                      got, target, "recall", goal=f">= target - {TOLERANCE}",
                                      met=got >= target - TOLERANCE, extra=info))
                if least is not None:
                    figures.append(Figure("tune", f"{label}: pick vs least sufficient in the sweep ({least})",
                                          pick, least, parameter, higher_is_better=False,
                                          goal=f"ratio <= {PICK_RATIO}", met=pick <= PICK_RATIO * least, extra=info))
                figures.append(Figure("tune", f"{label}: tune wall time vs one index build", wall, build_s, "s",
                                      higher_is_better=False, goal="(ratio)", extra=info))
        ctx.timed([*ctx.apexdb, "index", "drop", "items_ann", "--yes"], {"APEXDB_DSN": dsn})


def run(ctx) -> list[Figure]:
    import numpy as np

    folder = _corpus_dir()
    if folder is None:
        print("   skipped: the pypi-e5 corpus is not beside the project (set APEXDB_BENCH_PYPI_E5)", flush=True)
        return []
    passages = _unit(np.load(folder / "pypi_e5_passages_f16.npy"))
    queries = _unit(np.load(folder / "pypi_e5_queries_f16.npy"))
    rows = ctx.size(len(passages), 8_000)
    nq = ctx.size(1000, 400)
    figures: list[Figure] = []
    notes: dict = {}
    _bench_table(ctx, "symmetric", passages[: rows - nq], passages[rows - nq: rows], figures, notes)
    _bench_table(ctx, "pypi-e5", passages[:rows], queries[:nq], figures, notes)
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"tune-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(notes, indent=1, default=str))
    return figures
