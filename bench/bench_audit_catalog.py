"""``apexdb audit`` over a large catalog: 2,000 tables, 5,000 indexes and 200 sequences.

Two figures, each against a baseline measured in the same run:

- ``audit indexes`` against a psql query that merely lists every index with its table (the
  floor any catalog-wide audit pays), goal under 5 s;
- ``audit all`` with every check (schema, sequences, heap bloat, activity, ...) against
  ``audit all`` restricted to the checks it had before issue 17 (the new ones excluded),
  goal under 2 s.
"""
from __future__ import annotations

import psycopg

from run import Figure

TABLES = 2000
INDEXES = 5000
SEQUENCES = 200
# The checks issue 17 added: excluded, `audit all` is the audit as it was before.
NEW_CHECKS = ("btree_on_array", "boolean_index", "timestamp_mid_index", "redundant_not_null_predicate",
              "intersected_index", "table_bloat", "table_without_primary_key", "duplicate_foreign_key",
              "intersected_foreign_key", "fk_type_mismatch", "fk_nullable_columns", "not_valid_constraint",
              "disabled_trigger", "json_column", "money_column", "char_column", "timestamp_without_time_zone",
              "serial_column", "int4_key_on_big_table", "sequence_overflow", "long_transaction",
              "idle_in_transaction", "prepared_transaction", "replication_slot", "hot_standby_feedback",
              "connections")


def build_catalog(dsn: str, tables: int, indexes: int, sequences: int = 0) -> None:
    """``tables`` small tables with ``indexes`` indexes among them, some with foreign keys, and
    ``sequences`` sequences feeding the ``a`` column of the first tables."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bulk")
        made = 0
        for t in range(tables):
            with conn.transaction():
                conn.execute(f"CREATE TABLE bulk.t{t} (id bigint PRIMARY KEY, a int, b text, c timestamptz,"
                             f" parent bigint{' REFERENCES bulk.t' + str(t - 1) + '(id)' if t % 10 == 1 else ''})")
                made += 1  # the primary key
                extra = 1 if t < indexes - 2 * tables else 0
                if t < sequences:
                    conn.execute(f"CREATE SEQUENCE bulk.s{t} OWNED BY bulk.t{t}.a")
                    conn.execute(f"ALTER TABLE bulk.t{t} ALTER COLUMN a SET DEFAULT nextval('bulk.s{t}')")
                    conn.execute(f"SELECT setval('bulk.s{t}', {1 + t * 1000})")
                conn.execute(f"CREATE INDEX ON bulk.t{t} (a)")
                made += 1
                if extra:
                    conn.execute(f"CREATE INDEX ON bulk.t{t} (a, b)")  # redundant with (a): a finding
                    made += 1
        conn.execute("ANALYZE")


def run(ctx) -> list[Figure]:
    tables = ctx.size(TABLES, 200)
    indexes = ctx.size(INDEXES, 500)
    sequences = ctx.size(SEQUENCES, 20)
    dsn = ctx.new_database("bench_catalog")
    build_catalog(dsn, tables, indexes, sequences)
    psql = str(ctx.server.bin_dir / "psql")
    floor = ctx.best_of(3, [psql, dsn, "-Atc",
                            "select count(*) from pg_index i join pg_class c on c.oid = i.indrelid"])
    audit = ctx.best_of(3, [*ctx.apexdb, "audit", "indexes", "--format", "json"], {"APEXDB_DSN": dsn})
    env = {"APEXDB_DSN": dsn}
    before = ctx.best_of(3, [*ctx.apexdb, "audit", "all", "--format", "json",
                             *(arg for check in NEW_CHECKS for arg in ("--exclude", check))], env)
    everything = ctx.best_of(3, [*ctx.apexdb, "audit", "all", "--format", "json"], env)
    with psycopg.connect(dsn) as conn:
        n_idx = conn.execute("select count(*) from pg_indexes where schemaname = 'bulk'").fetchone()[0]
        n_seq = conn.execute("select count(*) from pg_sequences where schemaname = 'bulk'").fetchone()[0]
    sizes = {"tables": tables, "indexes": n_idx, "sequences": n_seq}
    return [Figure("audit_catalog", f"audit indexes over {tables} tables / {n_idx} indexes vs psql catalog scan",
                   audit, floor, "s", higher_is_better=False, goal="< 5 s", met=audit < 5.0, extra=sizes),
            Figure("audit_catalog", f"audit all over {tables} tables / {n_idx} indexes / {n_seq} sequences vs "
                   "audit all with the checks it had before issue 17", everything, before, "s",
                   higher_is_better=False, goal="< 2 s", met=everything < 2.0, extra=sizes)]
