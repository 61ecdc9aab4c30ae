"""``audit all --cluster`` over a primary and two streaming replicas, against three separate
single-server ``audit all --target`` runs one after another (what a user does without --cluster).

The catalog checks run once (on the primary, with every member's index scans), the config
checks on each member at once, and the replication checks on top; the baseline runs the
whole audit three times in a row. Both are whole processes, medians of three after a warm-up.
"""
from __future__ import annotations

import psycopg

from bench_audit_catalog import build_catalog
from run import Figure

TABLES = 500
INDEXES = 1250


def run(ctx) -> list[Figure]:
    from apexdb.db.embedded_replica import start_replica, wait_replayed

    tables, indexes = ctx.size(TABLES, 50), ctx.size(INDEXES, 125)
    dsn = ctx.new_database("bench_cluster")
    build_catalog(dsn, tables, indexes)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE docs (id int PRIMARY KEY, emb vector(16))")
        conn.execute("INSERT INTO docs SELECT g, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE g > 0)"
                     "::vector FROM generate_series(1, 20000) g")
        conn.execute("CREATE INDEX ON docs USING hnsw (emb vector_l2_ops)")
    replicas = [start_replica(ctx.server, ctx.workdir / f"replica{i}", f"r{i}", {"max_connections": "200"})
                for i in (1, 2)]
    try:
        for replica in replicas:
            wait_replayed(dsn, replica)
        members = {"p": dsn, **{f"r{i}": r.dsn("bench_cluster") for i, r in enumerate(replicas, 1)}}
        config = ctx.workdir / "cluster.toml"
        config.write_text("".join(f'[targets.{n}]\ndsn = "{d}"\n\n' for n, d in members.items())
                          + '[clusters.main]\nmembers = ["p", "r1", "r2"]\n')
        env = {"APEXDB_CONFIG": str(config)}
        cluster = ctx.best_of(3, [*ctx.apexdb, "audit", "all", "--cluster", "main", "--format", "json"], env)
        singles = [ctx.best_of(3, [*ctx.apexdb, "audit", "all", "--target", n, "--format", "json"], env)
                   for n in members]
    finally:
        for replica in replicas:
            try:
                replica.stop()
            except Exception:
                pass
    baseline = sum(singles)
    return [Figure("cluster", f"audit all --cluster (primary + 2 replicas, {tables} tables) vs 3 single audits "
                   "in a row", cluster, baseline, "s", higher_is_better=False, goal="ratio < 1",
                   met=cluster < baseline, extra={"singles_s": singles, "tables": tables})]
