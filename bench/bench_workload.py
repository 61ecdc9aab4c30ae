"""``apexdb audit queries`` over 500 distinct statements against 200 tables.

Baselines, measured in the same run: ``explain()`` (the engine ``apexdb explain`` runs,
generic plans, findings) called once per statement in one Python process, which is the
floor of planning and judging every statement; and one ``apexdb explain`` process for one
statement, times 500, which is what doing it by hand costs.
"""
from __future__ import annotations

import time

import psycopg

from run import Figure

TABLES = 200
STATEMENTS = 500
SHAPES = ("SELECT * FROM wl.t{t} WHERE a = %s",
          "SELECT * FROM wl.t{t} WHERE a = %s AND d > %s",
          "SELECT id FROM wl.t{t} WHERE b = %s ORDER BY d DESC LIMIT %s")
PARAMS = ([7], [7, "2025-06-01"], [3, 10])


def build(dsn: str, tables: int, statements: int) -> list[str]:
    """The tables (every other one with an index on a), and the statements run through pg_stat_statements."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA wl")
        for t in range(tables):
            conn.execute(f"CREATE TABLE wl.t{t} (id bigint PRIMARY KEY, a int, b int, c text, d timestamptz)")
            conn.execute(f"INSERT INTO wl.t{t} SELECT g, g % 500, g % 300, 'c' || g, "
                         "timestamptz '2026-01-01' - g * interval '1 minute' FROM generate_series(1, 3000) g")
            if t % 2:
                conn.execute(f"CREATE INDEX ON wl.t{t} (a)")
        conn.execute("ANALYZE")
        conn.execute("SELECT pg_stat_statements_reset()")
        texts = []
        for i in range(statements):
            shape = i % len(SHAPES)
            sql = SHAPES[shape].format(t=(i // len(SHAPES)) % tables)
            for _ in range(2):
                conn.execute(sql, PARAMS[shape], prepare=True).fetchall()
            texts.append(sql)
        rows = conn.execute("SELECT query FROM pg_stat_statements WHERE query LIKE '%%wl.t%%' "
                            "AND query NOT LIKE 'CREATE%%' AND query NOT LIKE 'INSERT%%'").fetchall()
    return [r[0] for r in rows]


def run(ctx) -> list[Figure]:
    tables, statements = ctx.size(TABLES, 20), ctx.size(STATEMENTS, 50)
    dsn = ctx.new_database("bench_workload")
    texts = build(dsn, tables, statements)
    env = {"APEXDB_DSN": dsn}
    audit = ctx.best_of(3, [*ctx.apexdb, "audit", "queries", "--format", "json", "--top", str(len(texts) + 50),
                            "--min-calls", "1"], env)
    from apexdb.ops.explain import explain

    with psycopg.connect(dsn, autocommit=True) as conn:
        started = time.perf_counter()
        for text in texts:
            explain(conn, text)
        engine = time.perf_counter() - started
    one_cli = ctx.best_of(3, [*ctx.apexdb, "explain", "--format", "json", texts[0]], env)
    return [
        Figure("workload", f"audit queries ({len(texts)} statements, {tables} tables) vs explain() per statement",
               audit, engine, "s", higher_is_better=False, goal="within 3x of explaining each statement",
               met=audit <= 3 * engine + 2.0, extra={"statements": len(texts), "per_statement_ms": 1000 * audit /
                                                     max(len(texts), 1)}),
        Figure("workload", f"audit queries vs one `apexdb explain` process per statement (x{len(texts)})",
               audit, one_cli * len(texts), "s", higher_is_better=False, goal="faster than by hand",
               met=audit < one_cli * len(texts), extra={"one_explain_process_s": one_cli}),
    ]
