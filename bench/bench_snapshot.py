"""``apexdb snapshot`` on a database with 5,000 statements and 5,000 relations.

Goals (issue 18): under 1 s of server time per snapshot, and under 1 MB a day of history at
hourly snapshots. The bench runs its own server with ``pg_stat_statements.max = 10000`` (the
default 5,000 would evict statements), makes 2,500 tables with a primary key each (5,000
relations) and runs 5,000 distinct statements (two shapes per table) through psycopg.

Then it simulates a day of hourly snapshots with realistic churn: each hour a hot set of 400
statements runs again, plus 100 others at random, and rows go into 125 random tables (their
table and index sizes change). Server time is what each snapshot's transaction took on the server
(``server_ms``, stored with the snapshot); bytes per day is the growth of the history schema
(every table and index in it) over the 24 snapshots after the baseline. A last snapshot after every
statement ran and every table grew is the worst case for server time (and its growth, times 24,
the bytes a day would take if everything changed every hour, reported but not a goal).

Baseline, measured in the same run: reading pg_stat_statements for this database and sizing every
relation, the least a snapshot must do, timed the same way (its transaction's server time).
"""
from __future__ import annotations

import random
import statistics

import psycopg

from run import Figure

TABLES = 2500  # x2 relations (table + primary key index), x2 statement shapes
HOT = 400
TAIL_PER_HOUR = 100
TABLES_PER_HOUR = 125
HOURS = 24
MB = 1024 * 1024
SHAPES = ("SELECT v FROM hb.t{t} WHERE id = %s", "SELECT count(*) FROM hb.t{t} WHERE v > %s")


def _server(ctx):
    from apexdb.db.embedded import EmbeddedServer

    server = EmbeddedServer(ctx.workdir / "history-home", extra_settings={
        "max_connections": "50", "pg_stat_statements.max": "10000", "max_locks_per_transaction": "256"})
    server.ensure_running()
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_snapshot WITH (FORCE)")
        conn.execute("CREATE DATABASE bench_snapshot TEMPLATE apexdb")
    return server, server.dsn("bench_snapshot")


def _build(conn, tables: int) -> list[str]:
    conn.execute("CREATE SCHEMA hb")
    # rows go in through one function, so the writes are one statement in pg_stat_statements (track = top),
    # not one per table on top of the 5,000 read statements
    conn.execute("""CREATE FUNCTION hb.grow(t int, n int) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            EXECUTE format('INSERT INTO hb.t%s SELECT (SELECT coalesce(max(id), 0) FROM hb.t%s) + g, g '
                           'FROM generate_series(1, %s) g', t, t, n);
        END $$""")
    for start in range(0, tables, 250):
        with conn.transaction():
            for t in range(start, min(start + 250, tables)):
                conn.execute(f"CREATE TABLE hb.t{t} (id int PRIMARY KEY, v int)")
    conn.execute("SELECT pg_stat_statements_reset()")
    statements = [shape.format(t=t) for t in range(tables) for shape in SHAPES]
    _run(conn, statements)
    return statements


def _run(conn, statements: list[str]) -> None:
    for text in statements:
        conn.execute(text, [1]).fetchall()


def _grow(conn, tables: list[int], rows: int = 20) -> None:
    with conn.transaction():
        for t in tables:
            conn.execute("SELECT hb.grow(%s, %s)", [t, rows])


def _schema_bytes(conn) -> int:
    return sum(_table_bytes(conn).values())


def _table_bytes(conn) -> dict[str, int]:
    """Each table of the history schema with its indexes and TOAST."""
    return {name: int(size) for name, size in conn.execute(
        "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'apexdb_history' AND c.relkind IN ('r', 'm')").fetchall()}


def _baseline_ms(conn) -> float:
    """Server time of the least a snapshot must do: read this database's statements, size every relation."""
    with conn.transaction():
        conn.execute("SELECT count(*), sum(calls), sum(total_exec_time), max(length(query)) FROM pg_stat_statements "
                     "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())").fetchall()
        conn.execute("SELECT sum(CASE WHEN relkind = 'i' THEN pg_relation_size(oid) "
                     "ELSE pg_total_relation_size(oid) END) FROM pg_class "
                     "WHERE relkind IN ('r', 'm', 'i') AND relnamespace <> 'pg_catalog'::regnamespace").fetchall()
        return float(conn.execute("SELECT extract(epoch FROM clock_timestamp() - now()) * 1000").fetchone()[0])


def run(ctx) -> list[Figure]:
    from apexdb.db.connection import Target, connect
    from apexdb.ops.history import install, take_snapshot

    tables, hours = ctx.size(TABLES, 250), ctx.size(HOURS, 4)
    hot, tail, grow = ctx.size(HOT, 40), ctx.size(TAIL_PER_HOUR, 10), ctx.size(TABLES_PER_HOUR, 12)
    server, dsn = _server(ctx)
    rng = random.Random(18)
    try:
        with psycopg.connect(dsn, autocommit=True) as plain:
            statements = _build(plain, tables)
            conn = connect(Target(dsn, "bench", "bench"))
            install(conn)
            counted = conn.execute("SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                                   "WHERE datname = current_database())").fetchone()[0]
            relations = conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'hb'::regnamespace").fetchone()[0]
            take_snapshot(conn)
            before, tables_before = _schema_bytes(conn), _table_bytes(conn)
            hot_set = statements[:hot]
            hourly = []
            for _ in range(hours):
                _run(plain, hot_set + rng.sample(statements[hot:], tail))
                _grow(plain, rng.sample(range(tables), grow))
                hourly.append(take_snapshot(conn))
            after = _schema_bytes(conn)
            growth = {k: v - tables_before.get(k, 0) for k, v in _table_bytes(conn).items()}
            per_day = (after - before) * HOURS / hours
            baseline = statistics.median(_baseline_ms(conn) for _ in range(5))
            _run(plain, statements)
            _grow(plain, list(range(tables)), rows=250)  # a new page for every table and index
            everything = take_snapshot(conn)
            full_day = (_schema_bytes(conn) - after) * HOURS
            conn.close()
    finally:
        try:
            server.stop()
        except Exception:
            pass
    typical = statistics.median(s.server_ms for s in hourly)
    changed = statistics.median(s.statements_changed for s in hourly)
    sizes = statistics.median(s.relations_changed for s in hourly)
    shape = f"{counted:,} statements, {relations:,} relations"
    return [
        Figure("snapshot", f"snapshot server time, a typical hour ({changed:.0f} statements and {sizes:.0f} relations "
               f"changed of {shape}) vs reading pg_stat_statements + sizing every relation", typical, baseline, "ms",
               higher_is_better=False, goal="< 1000 ms server time", met=typical < 1000,
               extra={"hourly_server_ms": [round(s.server_ms, 1) for s in hourly]}),
        Figure("snapshot", f"snapshot server time, everything changed ({everything.statements_changed:,} statements, "
               f"{everything.relations_changed:,} relations) vs the same baseline", everything.server_ms, baseline, "ms",
               higher_is_better=False, goal="< 1000 ms server time", met=everything.server_ms < 1000),
        Figure("snapshot", f"history bytes a day at hourly snapshots ({hours} snapshots after the baseline, "
               "extrapolated to 24) vs the 1 MB goal", per_day, MB, "bytes", higher_is_better=False,
               goal="< 1 MB a day", met=per_day < MB,
               extra={"schema_bytes_after_baseline": before, "schema_bytes_after": after, "growth_by_table": growth}),
        Figure("snapshot", "history bytes a day if every statement and relation changed every hour (worst case, "
               "no goal) vs the 1 MB goal", full_day, MB, "bytes", higher_is_better=False),
    ]
