"""``apexdb audit indexes`` over a large catalog: 2,000 tables and 5,000 indexes, under 5 s.

The baseline is the same process count of a psql query that merely lists every index with
its table (the floor any catalog-wide audit pays), measured in the same run.
"""
from __future__ import annotations

import psycopg

from run import Figure

TABLES = 2000
INDEXES = 5000


def build_catalog(dsn: str, tables: int, indexes: int) -> None:
    """``tables`` small tables with ``indexes`` indexes among them, some with foreign keys."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bulk")
        made = 0
        for t in range(tables):
            with conn.transaction():
                conn.execute(f"CREATE TABLE bulk.t{t} (id bigint PRIMARY KEY, a int, b text, c timestamptz,"
                             f" parent bigint{' REFERENCES bulk.t' + str(t - 1) + '(id)' if t % 10 == 1 else ''})")
                made += 1  # the primary key
                extra = 1 if t < indexes - 2 * tables else 0
                conn.execute(f"CREATE INDEX ON bulk.t{t} (a)")
                made += 1
                if extra:
                    conn.execute(f"CREATE INDEX ON bulk.t{t} (a, b)")  # redundant with (a): a finding
                    made += 1
        conn.execute("ANALYZE")


def run(ctx) -> list[Figure]:
    tables = ctx.size(TABLES, 200)
    indexes = ctx.size(INDEXES, 500)
    dsn = ctx.new_database("bench_catalog")
    build_catalog(dsn, tables, indexes)
    psql = str(ctx.server.bin_dir / "psql")
    floor = ctx.best_of(3, [psql, dsn, "-Atc",
                            "select count(*) from pg_index i join pg_class c on c.oid = i.indrelid"])
    audit = ctx.best_of(3, [*ctx.apexdb, "audit", "indexes", "--format", "json"], {"APEXDB_DSN": dsn})
    with psycopg.connect(dsn) as conn:
        n_idx = conn.execute("select count(*) from pg_indexes where schemaname = 'bulk'").fetchone()[0]
    return [Figure("audit_catalog", f"audit indexes over {tables} tables / {n_idx} indexes vs psql catalog scan",
                   audit, floor, "s", higher_is_better=False, goal="< 5 s", met=audit < 5.0,
                   extra={"tables": tables, "indexes": n_idx})]
