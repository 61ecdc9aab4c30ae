"""``apexdb explain --analyze`` and ``apexdb stats queries`` against psql doing the bare work.

The baselines are psql running the same ``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` and a plain
SELECT from pg_stat_statements, whole processes both, measured in the same run: the figures say
what the tree, the findings and their catalog lookups cost on top of the server's own work.
"""
from __future__ import annotations

import psycopg

from run import Figure

QUERY = ("SELECT o.id, i.category FROM bench_orders o JOIN bench_items i ON i.id = o.item_id "
         "WHERE i.category = 'c7' ORDER BY o.qty DESC LIMIT 100")


def build(dsn: str, rows: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_items (id bigint PRIMARY KEY, category text, price int)")
        conn.execute("INSERT INTO bench_items SELECT g, 'c' || (g %% 100), g %% 1000 "
                     "FROM generate_series(1, %s) g", [rows])
        conn.execute("CREATE TABLE bench_orders (id bigint PRIMARY KEY, item_id bigint, qty int)")
        conn.execute("INSERT INTO bench_orders SELECT g, g %% %s + 1, g %% 17 FROM generate_series(1, %s) g",
                     [rows, rows * 2])
        conn.execute("ANALYZE")
        for _ in range(20):  # something for pg_stat_statements to list
            conn.execute(QUERY).fetchall()


def run(ctx) -> list[Figure]:
    rows = ctx.size(200_000, 10_000)
    dsn = ctx.new_database("bench_explain")
    build(dsn, rows)
    psql = str(ctx.server.bin_dir / "psql")
    env = {"APEXDB_DSN": dsn}
    bare = ctx.best_of(5, [psql, dsn, "-Atqc", f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {QUERY}"])
    ours = ctx.best_of(5, [*ctx.apexdb, "explain", "--analyze", "--format", "json", QUERY], env)
    ours_tree = ctx.best_of(5, [*ctx.apexdb, "explain", "--analyze", QUERY], env)
    stats_bare = ctx.best_of(5, [psql, dsn, "-Atqc", "SELECT query, calls, total_exec_time FROM pg_stat_statements "
                                                     "ORDER BY total_exec_time DESC LIMIT 20"])
    stats_ours = ctx.best_of(5, [*ctx.apexdb, "stats", "queries", "--format", "json"], env)
    return [
        Figure("explain", f"explain --analyze --format json ({rows:,} rows) vs psql EXPLAIN ANALYZE",
               ours, bare, "s", higher_is_better=False, goal="< 1 s over psql", met=ours - bare < 1.0,
               extra={"overhead_s": ours - bare}),
        Figure("explain", "explain --analyze (tree + findings table) vs psql EXPLAIN ANALYZE",
               ours_tree, bare, "s", higher_is_better=False, goal="< 1 s over psql", met=ours_tree - bare < 1.0,
               extra={"overhead_s": ours_tree - bare}),
        Figure("explain", "stats queries --format json vs psql SELECT FROM pg_stat_statements",
               stats_ours, stats_bare, "s", higher_is_better=False, goal="< 1 s over psql",
               met=stats_ours - stats_bare < 1.0, extra={"overhead_s": stats_ours - stats_bare}),
    ]
