"""A role without pg_read_all_stats: stats and explain still work, and say what they cannot see."""
from __future__ import annotations

import psycopg
import pytest

from support import make_role, run_cli


@pytest.fixture
def workload(db):
    db.sql("CREATE TABLE shared_t (id int PRIMARY KEY, v int)")
    db.sql("INSERT INTO shared_t SELECT g, g FROM generate_series(1, 500) g")
    db.sql("SELECT count(*) FROM shared_t WHERE v > 100")  # a statement of postgres, another role
    return db


def cli(dsn, *args):
    return run_cli(list(args), env={"APEXDB_DSN": dsn})


def test_plain_role_sees_its_own_statements_and_is_told_about_the_rest(workload):
    dsn = make_role(workload, "plain", None)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(3):
            conn.execute("SELECT max(v) FROM shared_t WHERE id < 50").fetchone()
    r = cli(dsn, "stats", "queries", "--format", "json", "--limit", "100")
    assert r.exit_code == 0, r
    assert any("SELECT max(v) FROM shared_t" in row["query"] for row in r.json)
    assert all(row["role"] == f"{workload.name}_plain" for row in r.json)
    r = cli(dsn, "stats", "queries", "--all-users", "--format", "json", "--limit", "500")
    assert r.exit_code == 0, r
    hidden = [row for row in r.json if not row["text_visible"]]
    assert hidden and all(row["query"] == "<insufficient privilege>" for row in hidden)
    assert "statement(s) of other roles show no text: reading it needs pg_read_all_stats" in r.stderr
    assert "pw-plain-secret" not in r.stdout + r.stderr


def test_pg_monitor_role_sees_everything(workload):
    dsn = make_role(workload, "mon", "pg_monitor")
    r = cli(dsn, "stats", "queries", "--all-users", "--format", "json", "--limit", "500")
    assert r.exit_code == 0, r
    assert any("FROM shared_t WHERE v >" in row["query"] for row in r.json)
    assert all(row["text_visible"] for row in r.json)
    assert "show no text" not in r.stderr


def test_activity_says_how_many_sessions_it_cannot_see(workload):
    plain = make_role(workload, "plain", None)
    monitor = make_role(workload, "mon", "pg_monitor")
    busy = workload.connect()
    busy.autocommit = False
    busy.execute("SELECT 1")  # idle in transaction, as postgres
    try:
        r = cli(plain, "stats", "activity", "--format", "json")
        assert r.exit_code == 0, r
        assert busy.info.backend_pid not in {s["pid"] for s in r.json["sessions"]}
        assert r.json["hidden_sessions"] >= 1
        assert "session(s) of other roles are not shown (active or idle): seeing their state and query needs pg_read_all_stats" \
            in r.stderr
        r = cli(plain, "stats", "activity", "--all", "--format", "json")  # totals count what it cannot see
        totals = {t["state"]: t["sessions"] for t in r.json["totals"]}
        assert totals["not visible"] == r.json["hidden_sessions"] >= 1
        r = cli(monitor, "stats", "activity", "--format", "json")
        sessions = {s["pid"]: s for s in r.json["sessions"]}
        assert sessions[busy.info.backend_pid]["state"] == "idle in transaction"
        assert r.json["hidden_sessions"] == 0
    finally:
        busy.rollback()
        busy.close()


@pytest.mark.parametrize("command", [["stats", "tables"], ["stats", "indexes"], ["stats", "cache"],
                                     ["stats", "settings"], ["explain", "SELECT * FROM shared_t WHERE v = 3",
                                                             "--analyze"]])
def test_other_commands_work_for_a_plain_role(workload, command):
    dsn = make_role(workload, "plain", None)
    r = cli(dsn, *command, "--format", "json")
    assert r.exit_code == 0, r


def test_reset_without_the_privilege_is_a_clear_database_error(workload):
    dsn = make_role(workload, "plain", None)
    r = cli(dsn, "stats", "queries", "--reset", "--yes")
    assert r.exit_code == 4, r
    assert "permission denied for function pg_stat_statements_reset" in r.stderr and "42501" in r.stderr
    assert workload.scalar("SELECT count(*) FROM pg_stat_statements") > 0
