"""``apexdb audit activity``: what holds the xmin horizon back, and connections near saturation.

Ages are compared against thresholds set to 0 so no test waits or depends on timing.
"""
from __future__ import annotations

import psycopg
import pytest
from test_audit_under_locks_timeouts_and_roles import login_role
from test_audit_schema import by_key

ZERO_IDLE = ["--threshold", "idle_in_transaction_warning=0"]


@pytest.fixture
def idle_session(db):
    """A session of this database left idle in a transaction that holds an XID."""
    conn = psycopg.connect(db.dsn, application_name="stuck-worker")
    conn.execute("CREATE TABLE IF NOT EXISTS held (id int PRIMARY KEY)")
    conn.execute("INSERT INTO held VALUES (1)")  # the transaction stays open: psycopg is not autocommit here
    yield conn.info.backend_pid
    conn.rollback()
    conn.close()


def test_idle_in_transaction_names_pid_role_application_and_query(apex, idle_session):
    r = apex("audit", "activity", "--format", "json", *ZERO_IDLE)
    assert r.exit_code == 0, r
    f = by_key(r)[("idle_in_transaction", f"pid {idle_session}")]
    assert f["severity"] == "warning"
    for part in ("role postgres", "'stuck-worker'", "idle in transaction", "INSERT INTO held VALUES (1)",
                 "VACUUM cannot remove", "HNSW/IVFFlat"):
        assert part in f["detail"], f["detail"]
    assert f"pg_terminate_backend({idle_session})" in f["fix"]
    assert "idle_in_transaction_session_timeout" in f["fix"]
    r = apex("audit", "activity", "--format", "json", *ZERO_IDLE, "--threshold", "idle_in_transaction_critical=0")
    assert by_key(r)[("idle_in_transaction", f"pid {idle_session}")]["severity"] == "critical"
    assert r.exit_code == 1
    # with the default thresholds (5 min) a fresh session is no finding
    assert not [k for k in by_key(apex("audit", "activity", "--format", "json")) if k[1] == f"pid {idle_session}"]


def test_long_transaction(apex, idle_session):
    r = apex("audit", "activity", "--format", "json", "--threshold", "transaction_age_warning=0")
    f = by_key(r)[("long_transaction", f"pid {idle_session}")]
    assert "has had a transaction open" in f["detail"] and "'stuck-worker'" in f["detail"]


def test_prepared_transaction(apex, db):
    gid = f"gid_{db.name}"
    conn = psycopg.connect(db.dsn)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS two_phase (id int)")
        conn.commit()
        conn.execute("INSERT INTO two_phase VALUES (1)")
        conn.execute(f"PREPARE TRANSACTION '{gid}'")
        r = apex("audit", "activity", "--format", "json", "--threshold", "prepared_age_warning=0")
        f = by_key(r)[("prepared_transaction", gid)]
        assert f"database {db.name}" in f["detail"] and "role postgres" in f["detail"]
        assert f"ROLLBACK PREPARED '{gid}'" in f["fix"]
        assert ("prepared_transaction", gid) not in by_key(apex("audit", "activity", "--format", "json"))
    finally:
        conn.close()
        db.sql(f"ROLLBACK PREPARED '{gid}'")


def test_inactive_replication_slot_retaining_wal(apex, db):
    slot = f"slot_{db.name}"
    db.sql("SELECT pg_create_physical_replication_slot(%s, true)", [slot])
    try:
        r = apex("audit", "activity", "--format", "json")
        f = by_key(r)[("replication_slot", slot)]
        assert f["severity"] == "warning" and "inactive" in f["detail"] and "of WAL" in f["detail"]
        assert f"pg_drop_replication_slot('{slot}')" in f["fix"]
        # on one server apexdb cannot know who else consumes the slot: the drop is shown, never run
        apex("audit", "activity", "--apply", "--yes")
        assert db.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", [slot]) == 1
    finally:
        db.sql("SELECT pg_drop_replication_slot(%s)", [slot])
    assert ("replication_slot", slot) not in by_key(apex("audit", "activity", "--format", "json"))


def test_connections_near_saturation_break_down_by_application(apex, db):
    extra = [psycopg.connect(db.dsn, application_name="pool-a") for _ in range(3)]
    try:
        r = apex("audit", "activity", "--format", "json", "--threshold", "connections_warning_ratio=0.001")
        f = by_key(r)[("connections", "max_connections")]
        assert f["severity"] == "warning"
        assert "max_connections 200" in f["detail"] and "3 reserved for superusers" in f["detail"]
        assert "pool-a 3" in f["detail"] and f"{db.name} " in f["detail"]
        assert r.json["summary"]["metrics"]["connections"] >= 4  # the three and the audit's own
        assert ("connections", "max_connections") not in by_key(apex("audit", "activity", "--format", "json"))
    finally:
        for conn in extra:
            conn.close()


@pytest.fixture
def plain_dsn(db):
    """A LOGIN role with no pg_monitor and no privileges on the application's tables."""
    yield from login_role(db, "plain")


def test_role_without_pg_monitor_says_what_each_check_could_not_see(db, plain_dsn, idle_session):
    from support import run_cli

    db.sql("CREATE TABLE s (id serial PRIMARY KEY); SELECT setval('s_id_seq', 2147000000)")
    r = run_cli(["audit", "all", "--format", "json", "--dsn", plain_dsn, *ZERO_IDLE])
    assert r.exit_code in (0, 1), r
    notes = " ".join(r.json["summary"]["notes"])
    assert "lacks pg_read_all_stats" in notes  # sessions of other roles: state and age hidden
    assert "no SELECT or USAGE on 1 sequence(s)" in notes
    assert "neither pg_monitor nor pg_read_all_stats" in notes
    assert not [f for f in r.json["findings"] if f["check"] in ("idle_in_transaction", "sequence_overflow")]
    assert "Traceback" not in r.stderr
    # the idle session created "held" in its open transaction: the lock scan must not trip over it
    assert not [f for f in r.json["findings"] if f["check"] == "could_not_check" and f["severity"] != "info"]
