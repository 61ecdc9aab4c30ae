"""History: the schema's own migration, snapshots of a real workload, and what is read back from them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from apexdb.ops import history
from support.history import SCHEMA, conn_of, shift_snapshot, snapshot_ids, workload

SLOW = "SELECT pg_sleep(%s)"
ROWS = "SELECT g FROM generate_series(1, %s) g"


def test_install_is_versioned_and_idempotent(db):
    conn = conn_of(db)
    assert history.history_state(conn) is None
    assert history.install(conn) == [1]
    assert history.install(conn) == []  # a no-op the second time
    state = history.history_state(conn)
    assert (state.schema, state.version, state.snapshots, state.first_at) == (SCHEMA, 1, 0, None)
    assert db.sql(f"SELECT version FROM {SCHEMA}.version") == [(1,)]


def test_snapshot_without_the_schema_says_how_to_create_it(db):
    from apexdb.errors import BadInput

    with pytest.raises(BadInput, match="apexdb snapshot init"):
        history.take_snapshot(conn_of(db))
    assert db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [SCHEMA]) == 0


def test_two_snapshots_with_a_workload_between_them(db):
    conn = conn_of(db)
    history.install(conn)
    db.sql("CREATE TABLE grows (id int PRIMARY KEY, pad text)")
    first = history.take_snapshot(conn)
    assert first.baseline and first.statements_changed == 0 and first.relations >= 2
    workload(db, [(SLOW, [0.0]), (ROWS, [10])], times=5)
    db.sql("INSERT INTO grows SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g")
    second = history.take_snapshot(conn)
    assert not second.baseline and second.statements_changed >= 2
    workload(db, [(SLOW, [0.05]), (ROWS, [1000])], times=5)
    third = history.take_snapshot(conn)
    # only what ran since the second snapshot is stored: the two statements (and apexdb's own reads)
    assert third.statements_changed < second.statements + 5
    s1, s2, s3 = snapshot_ids(db)
    shift_snapshot(db, s1, "3 days")
    shift_snapshot(db, s2, "1 day 1 hour")

    since = conn.execute("SELECT now() - interval '1 day'").fetchone()[0]
    changes = {r["query"]: r for r in history.statement_changes(conn, since, limit=100)}
    slow = changes["SELECT pg_sleep($1)"]
    assert (slow["calls_before"], slow["calls_after"]) == (5, 5)
    assert slow["mean_ms_after"] >= 50 and slow["mean_change"] > 3
    rows = next(r for q, r in changes.items() if "generate_series" in q)
    assert (rows["rows_per_call_before"], rows["rows_per_call_after"]) == (10, 1000)
    assert list(changes)[0] in ("SELECT pg_sleep($1)",)  # sorted by the rise in mean time
    assert set(history.STATEMENT_KEYS) <= set(slow)

    series = history.statement_series(conn, slow["queryid"], since - timedelta(days=3))
    assert [p["calls"] for p in series] == [5, 5]
    assert series[1]["mean_ms"] >= 50

    growth = {r["relation"]: r for r in history.relation_growth(conn, "table", since - timedelta(days=1))}
    grows = growth["public.grows"]
    assert grows["bytes_now"] > grows["bytes_before"] and grows["growth_bytes"] > 500_000
    assert grows["series"] and grows["series"][-1][1] == grows["bytes_now"]
    state = history.history_state(conn)
    assert state.snapshots == 3 and state.first_at < state.last_at


def test_reset_and_eviction_count_from_zero(db):
    conn = conn_of(db)
    history.install(conn)
    workload(db, [(ROWS, [3])], times=4)
    history.take_snapshot(conn)
    db.sql("SELECT pg_stat_statements_reset()")
    workload(db, [(ROWS, [3])], times=2)
    result = history.take_snapshot(conn)
    assert any("reset" in n for n in result.notes)
    since = conn.execute("SELECT now() - interval '1 hour'").fetchone()[0]
    row = next(r for r in history.statement_changes(conn, since, limit=100) if "generate_series" in r["query"])
    assert row["calls_after"] == 2  # not 2 - 4, not 6: counted from the reset


def test_retention_forgets_old_snapshots_but_keeps_sizes(db):
    conn = conn_of(db)
    history.install(conn)
    db.sql("CREATE TABLE steady (id int)")
    history.take_snapshot(conn)
    workload(db, [(ROWS, [2])])
    history.take_snapshot(conn)
    old = snapshot_ids(db)
    for sid in old:
        shift_snapshot(db, sid, "40 days")
    result = history.take_snapshot(conn, retention="30d")
    assert result.pruned == 2
    assert snapshot_ids(db) == [result.snapshot_id]
    # the table did not change since, yet its size is still known (carried forward)
    since = conn.execute("SELECT now() - interval '1 minute'").fetchone()[0]
    growth = {r["relation"]: r for r in history.relation_growth(conn, "table", since)}
    assert growth["public.steady"]["bytes_now"] == 0 and growth["public.steady"]["growth_bytes"] == 0


def test_without_pg_stat_statements_sizes_are_still_stored(db):
    conn = conn_of(db)
    history.install(conn)
    workload(db, [(ROWS, [2])])
    history.take_snapshot(conn)
    kept = db.scalar(f"SELECT count(*) FROM {SCHEMA}.statement_last")
    db.sql("DROP EXTENSION pg_stat_statements")
    db.sql("CREATE TABLE later (id int)")
    result = history.take_snapshot(conn)
    assert result.statements is None and result.statements_changed == 0
    assert any("statements not stored" in n and "CREATE EXTENSION pg_stat_statements" in n for n in result.notes)
    assert result.relations_changed >= 1  # the new table's size
    assert db.scalar(f"SELECT count(*) FROM {SCHEMA}.statement_last") == kept  # counters not forgotten


def test_audit_does_not_flag_apexdb_own_staging_tables(db):
    from support import run_cli

    history.install(conn_of(db))
    db.sql("CREATE TABLE no_key (a int)")
    r = run_cli(["audit", "schema", "--format", "json", "--dsn", db.dsn])
    flagged = {f["object"] for f in r.json["findings"] if f["check"] == "table_without_primary_key"}
    assert "public.no_key" in flagged
    assert not [o for o in flagged if o.startswith(f"{SCHEMA}.")], flagged
