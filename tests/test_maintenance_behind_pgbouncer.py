"""Maintenance behind PgBouncer in transaction mode: startup options are refused, apexdb falls back and says so."""
from __future__ import annotations

from support import dead_tuples, make_dead_tuples, run_cli


def test_vacuum_through_pgbouncer_falls_back_to_session_settings_and_warns(db, pgbouncer):
    make_dead_tuples(db)
    r = run_cli(["vacuum", "items", "--format", "json", "--dsn", pgbouncer(db.name)])
    assert r.exit_code == 0, r
    assert r.json["steps"][0]["status"] == "done"
    assert r.json["settings"]["applied_via"] == "session SET"
    assert "pooler" in r.stderr and "may not hold" in r.stderr
    assert dead_tuples(db, "items") == 0


def test_direct_connection_uses_startup_options_and_no_warning(apex, db):
    make_dead_tuples(db)
    r = apex("vacuum", "items", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["settings"]["applied_via"] == "startup options"
    assert r.stderr == ""
