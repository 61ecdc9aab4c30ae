"""``apexdb tune`` against an exhaustive sweep measured in the same run.

N x 384 clustered unit vectors (100k; --quick 5k) with an HNSW cosine index (m=16,
ef_construction=64). ``apexdb tune ... --target-recall 0.95`` runs as a whole process
(its wall time is a figure). The baseline is a dense sweep of hnsw.ef_search over a grid
(every value from k to 400 in ~8% steps, plus tune's recommendation) on fresh query
vectors tune never saw, with exact answers from numpy; each setting's p50 latency is the
lower of two rounds in shuffled order, measured the way an application sees it (a
psycopg query, SET LOCAL in its transaction). The fastest grid setting that meets the
target is then timed again head to head with tune's (each query under both settings back to
back, 3 rounds), because the minimum over dozens of noisy settings is biased low.

Goals (issue 5): tune's setting meets the target recall on the fresh queries; its p50 is
within 10% of the fastest grid setting that meets the target; tune takes under 60 s.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import time

from run import Figure

DIMS = 384
K = 10
TARGET = 0.95
TUNE_QUERIES = 200


def _grid(k: int, top: int = 400) -> list[int]:
    values, v = [], float(k)
    while v <= top:
        if not values or int(v) != values[-1]:
            values.append(int(v))
        v *= 1.08
    return values


def _load(dsn: str, vectors) -> None:
    import psycopg
    from pgvector.psycopg import register_vector

    with psycopg.connect(dsn, autocommit=True) as conn:
        register_vector(conn)
        conn.execute(f"CREATE TABLE items (id bigint PRIMARY KEY, embedding vector({DIMS}))")
        with conn.cursor() as cur, cur.copy("COPY items (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "vector"])
            for i, v in enumerate(vectors, 1):
                copy.write_row((i, v))
        conn.execute("SET maintenance_work_mem = '1GB'")  # the graph fits: a build in minutes, not tens
        conn.execute("CREATE INDEX items_ann ON items USING hnsw (embedding vector_cosine_ops) "
                     "WITH (m = 16, ef_construction = 64)")
        conn.execute("VACUUM ANALYZE items")


def _sweep_once(conn, queries, truth, ef: int) -> tuple[float, float]:
    """(recall@K, p50 ms) of ``queries`` at ``ef``."""
    import numpy as np

    hits, times = 0, []
    with conn.transaction():
        conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef)])
        for q in queries[:10]:  # warm-up, untimed (tune does the same)
            conn.execute("SELECT id FROM items ORDER BY embedding <=> %s LIMIT %s", [q, K]).fetchall()
        for q, expected in zip(queries, truth):
            started = time.perf_counter()
            got = [r[0] for r in conn.execute("SELECT id FROM items ORDER BY embedding <=> %s LIMIT %s", [q, K])]
            times.append((time.perf_counter() - started) * 1000)
            hits += len(set(got) & expected)
    return hits / (K * len(queries)), float(np.percentile(times, 50))


def _sweep(dsn: str, queries, truth, values: list[int]) -> dict[int, dict]:
    import psycopg
    from pgvector.psycopg import register_vector

    out: dict[int, dict] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        register_vector(conn)
        for round_ in range(2):
            order = list(values)
            random.Random(round_).shuffle(order)
            for ef in order:
                recall, p50 = _sweep_once(conn, queries, truth, ef)
                seen = out.setdefault(ef, {"recall": recall, "p50_ms": p50})
                seen["p50_ms"] = min(seen["p50_ms"], p50)
    return out


def _head_to_head(dsn: str, queries, a: int, b: int, rounds: int = 3) -> tuple[float, float]:
    """p50 of ``a`` and ``b`` timed in pairs: each query under both settings back to back, the
    order alternating. The sweep picked ``b`` as the fastest among dozens of noisy settings, so
    its sweep figure is biased low (the winner's curse); pairing per query also cancels the
    load drift of a shared machine, which timing one setting after the other does not."""
    import numpy as np
    import psycopg
    from pgvector.psycopg import register_vector

    got: dict[int, list[float]] = {a: [], b: []}
    with psycopg.connect(dsn, autocommit=True) as conn:
        register_vector(conn)
        for r in range(rounds):
            for i, q in enumerate(queries):
                for ef in ((a, b) if (i + r) % 2 == 0 else (b, a)):
                    with conn.transaction():
                        conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef)])
                        started = time.perf_counter()
                        conn.execute("SELECT id FROM items ORDER BY embedding <=> %s LIMIT %s", [q, K]).fetchall()
                        got[ef].append((time.perf_counter() - started) * 1000)
    return float(np.percentile(got[a], 50)), float(np.percentile(got[b], 50))


def run(ctx) -> list[Figure]:
    import numpy as np

    from apexdb.ops.demo_corpus import corpus

    rows = ctx.size(100_000, 5_000)
    fresh_n = ctx.size(200, 100)
    *_, everything = corpus(rows=rows + fresh_n, dims=DIMS, seed=33, clusters=ctx.size(200, 32))
    vectors, fresh = everything[:rows], everything[rows:]
    truth = [set((np.argsort(-(vectors @ q))[:K] + 1).tolist()) for q in fresh]  # unit vectors: cosine
    dsn = ctx.new_database("bench_tune")
    started = time.perf_counter()
    _load(dsn, vectors)
    setup_s = time.perf_counter() - started

    started = time.perf_counter()
    proc = subprocess.run([*ctx.apexdb, "tune", "items", "embedding", "--target-recall", str(TARGET), "--k", str(K),
                           "--queries", str(ctx.size(TUNE_QUERIES, 100)), "--format", "json"],
                          env={**os.environ, "APEXDB_DSN": dsn}, capture_output=True, text=True)
    tune_s = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"apexdb tune exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    doc = json.loads(proc.stdout)
    recommended = doc["recommended"]
    if recommended is None:
        raise RuntimeError(f"apexdb tune recommended nothing: {doc['notes']}")

    started = time.perf_counter()
    values = sorted(set(_grid(K)) | {recommended})
    sweep = _sweep(dsn, fresh, truth, values)
    sweep_s = time.perf_counter() - started
    meeting = {ef: r for ef, r in sweep.items() if r["recall"] >= TARGET}
    best_ef = min(meeting, key=lambda ef: meeting[ef]["p50_ms"]) if meeting else None
    rec = sweep[recommended]
    extra = {"rows": rows, "dims": DIMS, "k": K, "target_recall": TARGET, "recommended": recommended,
             "tune_heldout_recall": doc["heldout_recall"], "tune_p50_ms": doc["p50_ms"],
             "tune_sweep": [(s["value"], s["recall"], s["p50_ms"]) for s in doc["sweep"]],
             "fresh_queries": fresh_n, "grid_best_ef": best_ef,
             "grid": {ef: sweep[ef] for ef in values}, "tune_s": tune_s, "sweep_s": sweep_s, "setup_s": setup_s}
    figures = [
        Figure("tune", f"recall@{K} of tune's ef_search={recommended} on {fresh_n} unseen queries vs the target",
               rec["recall"], TARGET, "recall", goal=f">= {TARGET}", met=rec["recall"] >= TARGET, extra=extra),
    ]
    if best_ef is not None:
        rec_p50, best_p50 = ((rec["p50_ms"], rec["p50_ms"]) if best_ef == recommended
                             else _head_to_head(dsn, fresh, recommended, best_ef))
        extra["head_to_head_p50_ms"] = {"recommended": rec_p50, "grid_best": best_p50}
        figures.append(Figure(
            "tune", f"p50 at tune's ef_search={recommended} vs fastest meeting target in exhaustive sweep "
                    f"(ef_search={best_ef}, {rows:,} x {DIMS})",
            rec_p50, best_p50, "ms", higher_is_better=False, goal="ratio <= 1.10",
            met=rec_p50 <= 1.10 * best_p50, extra=extra))
    figures.append(Figure("tune", f"apexdb tune wall time vs the exhaustive sweep ({len(values)} settings x 2 rounds)",
                          tune_s, sweep_s, "s", higher_is_better=False, goal="tune < 60 s", met=tune_s < 60,
                          extra=extra))
    return figures
