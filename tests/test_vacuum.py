"""apexdb vacuum on a real database: dead tuples drop, --full asks first, locks time out, progress, Ctrl-C."""
from __future__ import annotations

import signal
import subprocess
import time

import pytest

from support import (apexdb_executable, dead_tuples, make_dead_tuples, pin_first_page, release_pin, run_cli,
                     start_apexdb, wait_for)


def test_dead_tuples_drop_after_vacuum(apex, db):
    dead = make_dead_tuples(db)
    assert dead_tuples(db, "items") >= dead
    r = apex("vacuum", "items", "--format", "json")
    assert r.exit_code == 0, r
    step = r.json["steps"][0]
    assert step["object"] == "public.items" and step["status"] == "done"
    assert step["before"]["dead_tuples"] >= dead
    assert step["after"]["dead_tuples"] == 0
    assert step["after"]["removed"] == dead  # what VACUUM itself reported
    assert step["after"]["pages_scanned"] > 0
    assert step["after"]["last_vacuum"] is not None and step["before"]["last_vacuum"] is None
    assert r.json["settings"]["applied_via"] == "startup options"
    assert dead_tuples(db, "items") == 0


def test_vacuum_table_output_shows_before_and_after(apex, db):
    make_dead_tuples(db)
    r = apex("vacuum", "items", "--analyze")
    assert r.exit_code == 0, r
    assert "public.items" in r.stdout and "2,000 → 0" in r.stdout
    assert db.scalar("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'items'")


def test_full_refuses_without_yes_off_a_terminal_and_changes_nothing(apex, db):
    make_dead_tuples(db)
    node = db.scalar("SELECT relfilenode FROM pg_class WHERE relname = 'items'")
    r = apex("vacuum", "items", "--full")
    assert r.exit_code == 2, r
    assert "ACCESS EXCLUSIVE" in r.stderr and "--yes" in r.stderr
    assert r.stdout == ""
    assert db.scalar("SELECT relfilenode FROM pg_class WHERE relname = 'items'") == node
    assert db.scalar("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'items'") is None


def test_full_with_yes_rewrites_and_shrinks(apex, db):
    make_dead_tuples(db)
    db.sql("DELETE FROM items WHERE id > 1000")
    node = db.scalar("SELECT relfilenode FROM pg_class WHERE relname = 'items'")
    r = apex("vacuum", "items", "--full", "--yes", "--format", "json")
    assert r.exit_code == 0, r
    step = r.json["steps"][0]
    assert step["action"] == "vacuum full"
    assert step["after"]["table_bytes"] < step["before"]["table_bytes"]
    assert db.scalar("SELECT relfilenode FROM pg_class WHERE relname = 'items'") != node


@pytest.mark.parametrize("args,message", [
    (["nope"], "does not exist"),
    (["items", "--parallel", "-1"], "--parallel"),
    (["items", "--parallel", "2", "--full"], "cannot be combined"),
    (["items", "--lock-timeout", "soon"], "not a duration"),
    (["items", "--retries", "99"], "--retries"),
    (["items_view"], "not a table"),
])
def test_bad_input_exits_2_with_one_line(apex, db, args, message):
    make_dead_tuples(db)
    db.sql("CREATE VIEW items_view AS SELECT * FROM items")
    r = apex("vacuum", *args)
    assert r.exit_code == 2, r
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], r
    assert dead_tuples(db, "items") > 0


def test_locked_table_is_skipped_after_lock_timeout_and_says_who_holds_it(apex, db):
    make_dead_tuples(db)
    make_dead_tuples(db, "other", rows=100)
    with db.connect() as holder:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
        holder_pid = holder.info.backend_pid
        r = apex("vacuum", "items", "other", "--lock-timeout", "200ms", "--retries", "1", "--format", "json")
        holder.execute("ROLLBACK")
    assert r.exit_code == 4, r
    by_object = {s["object"]: s for s in r.json["steps"]}
    locked = by_object["public.items"]
    assert locked["status"] == "skipped" and locked["sqlstate"] == "55P03" and locked["attempts"] == 2
    assert f"pid {holder_pid}" in locked["error"] and "AccessExclusiveLock" in locked["error"]
    assert by_object["public.other"]["status"] == "done"  # one locked table does not stop the others
    assert "could not lock public.items" in r.stderr
    assert dead_tuples(db, "items") > 0


def test_progress_is_read_on_a_second_connection(db):
    from apexdb.db.connection import Target, connect
    from apexdb.ops.maintenance import MaintenanceSettings, open_maintenance_connection
    from apexdb.ops.maintenance.vacuum import VacuumOptions, vacuum_tables

    make_dead_tuples(db, rows=30000, filler=60)
    target = Target(db.dsn, "test", "test")
    seen = []
    pin = pin_first_page(db, "items")  # the VACUUM waits on the first page until a sample was seen

    def on_progress(label, sample):
        seen.append((label, sample))
        release_pin(pin)

    settings = MaintenanceSettings(statement_timeout="120s")  # a watcher that never samples fails the step
    conn = open_maintenance_connection(target, settings)
    watcher_conn = connect(target)
    try:
        run = vacuum_tables(conn, ["items"], VacuumOptions(freeze=True), settings,
                            progress_connection=lambda: watcher_conn, on_progress=on_progress)
    finally:
        release_pin(pin)
        conn.close()
        watcher_conn.close()
    assert run.steps[0].status == "done", run.steps[0]
    assert seen, "no progress sample while VACUUM ran"
    label, sample = seen[-1]
    assert label == "public.items" and sample.kind == "vacuum" and sample.unit == "heap blocks"
    assert sample.total == sample.row["heap_blks_total"] > 0 and sample.phase and sample.phase in sample.detail
    assert {"dead_items", "dead_item_bytes", "index_vacuum_count", "heap_blks_vacuumed"} <= set(sample.row)
    assert run.steps[0].progress == sample.row


def test_progress_queries_run_on_every_server(any_db):
    from apexdb.db.queries import fetch

    with any_db.connect() as conn:
        for name in ("progress_vacuum", "progress_cluster", "progress_analyze", "progress_create_index"):
            assert fetch(conn, name, {"pid": conn.info.backend_pid}) == []
        for name, params in (("maint_table_stats", {"oids": [1259]}), ("maint_table_approx", {"oids": [1259]}),
                             ("maint_invalid_indexes", None), ("maint_lock_holders", {"relid": 1259}),
                             ("maint_index_stats", {"names": ["pg_catalog.pg_class_oid_index"]})):
            fetch(conn, name, params)


def waiting_on_the_pin(db) -> int:
    return db.scalar("SELECT count(*) FROM pg_stat_progress_vacuum p JOIN pg_stat_activity a USING (pid) "
                     "WHERE p.datname = %s AND a.wait_event = 'BufferPin'", [db.name])


def test_ctrl_c_cancels_the_running_vacuum_and_reports_what_was_not_done(db):
    make_dead_tuples(db)
    make_dead_tuples(db, "later", rows=100)
    pin = pin_first_page(db, "items")  # VACUUM (FREEZE) of items waits here: Ctrl-C certainly finds it running
    proc = start_apexdb(db.dsn, "vacuum", "items", "later", "--freeze", "--format", "json")
    try:
        wait_for(lambda: waiting_on_the_pin(db) or proc.poll() is not None, "VACUUM to start")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        release_pin(pin)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    import json

    doc = json.loads(out)
    status = {s["object"]: s["status"] for s in doc["steps"]}
    assert status == {"public.items": "cancelled", "public.later": "not run"}
    assert doc["summary"]["interrupted"] is True
    assert "interrupted" in err and "Traceback" not in err
    assert db.scalar("SELECT count(*) FROM pg_stat_progress_vacuum WHERE datname = %s", [db.name]) == 0
    assert dead_tuples(db, "later") > 0 and dead_tuples(db, "items") > 0


def test_settings_are_startup_options_not_session_state(db):
    from apexdb.db.connection import Target
    from apexdb.ops.maintenance import MaintenanceSettings, open_maintenance_connection

    conn = open_maintenance_connection(Target(db.dsn, "test", "test"), MaintenanceSettings(lock_timeout="750ms", statement_timeout="3min"))
    try:
        assert conn.execute("SHOW lock_timeout").fetchone()[0] == "750ms"
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "3min"
        source = conn.execute("SELECT source FROM pg_settings WHERE name = 'lock_timeout'").fetchone()[0]
        assert source == "client"  # set at connection start, not by a SET
        assert conn.autocommit
    finally:
        conn.close()


def test_parallel_and_freeze_reach_the_statement(apex, db):
    make_dead_tuples(db)
    r = apex("vacuum", "items", "--parallel", "2", "--freeze", "--verbose", "--format", "json")
    assert r.exit_code == 0, r
    step = r.json["steps"][0]
    assert step["statement"] == 'VACUUM (VERBOSE, FREEZE, PARALLEL 2) "public"."items"'
    assert step["after"]["dead_tuples"] == 0
    assert any("tuples:" in m for m in step["messages"])  # --verbose keeps the server's report
    assert "items: " in r.stderr  # and prints it on stderr


def test_vacuum_and_reindex_on_every_server_version(any_db):
    make_dead_tuples(any_db)
    env = {"APEXDB_DSN": any_db.dsn}
    r = run_cli(["vacuum", "items", "--format", "json"], env=env)
    assert r.exit_code == 0, r
    after = r.json["steps"][0]["after"]
    assert after["dead_tuples"] == 0 and after["removed"] == 2000 and after["pages_scanned"] > 0
    r = run_cli(["reindex", "items_pkey", "--yes", "--format", "json"], env=env)
    assert r.exit_code == 0, r
    assert r.json["steps"][0]["after"]["valid"] is True


def _on_a_terminal(db, args: list[str], answer: bytes) -> tuple[int, str, str]:
    """Run apexdb with stdin and stderr on a pseudo-terminal, answer its question, return (code, out, err)."""
    import os
    import select

    master, slave = os.openpty()
    proc = subprocess.Popen([*apexdb_executable(), *args], stdin=slave, stdout=subprocess.PIPE, stderr=slave,
                            env={**os.environ, "APEXDB_DSN": db.dsn, "NO_COLOR": "1", "COLUMNS": "200"})
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"?" not in seen.split(b"warning:")[-1] and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                seen += os.read(master, 4096)
        os.write(master, answer + b"\n")
        out, _ = proc.communicate(timeout=60)
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return proc.returncode, out.decode(), seen.decode(errors="replace")


def test_full_on_a_terminal_asks_and_no_changes_nothing(db):
    make_dead_tuples(db)
    node = db.scalar("SELECT relfilenode FROM pg_class WHERE relname = 'items'")
    code, out, err = _on_a_terminal(db, ["vacuum", "items", "--full"], b"n")
    assert code == 2, (out, err)
    assert "ACCESS EXCLUSIVE" in err and "Run VACUUM FULL on 1 table(s)?" in err and "not confirmed" in err
    assert db.scalar("SELECT relfilenode FROM pg_class WHERE relname = 'items'") == node


def test_full_on_a_terminal_runs_after_yes(db):
    make_dead_tuples(db)
    node = db.scalar("SELECT relfilenode FROM pg_class WHERE relname = 'items'")
    code, out, err = _on_a_terminal(db, ["vacuum", "items", "--full"], b"y")
    assert code == 0, (out, err)
    assert "public.items" in out and "done" in out
    assert db.scalar("SELECT relfilenode FROM pg_class WHERE relname = 'items'") != node


def test_table_the_role_may_not_vacuum_is_reported_skipped_not_done(db):
    make_dead_tuples(db)
    db.sql("CREATE ROLE maint_reader LOGIN PASSWORD 'reader-pw'")
    db.sql("GRANT SELECT ON items TO maint_reader")
    dsn = db.dsn.replace("postgres@", "maint_reader:reader-pw@", 1)
    assert "maint_reader:" in dsn
    r = run_cli(["vacuum", "items", "--format", "json"], env={"APEXDB_DSN": dsn})
    db.sql("DROP OWNED BY maint_reader")
    db.sql("DROP ROLE maint_reader")
    assert r.exit_code == 4, r
    step = r.json["steps"][0]
    assert step["status"] == "skipped" and "skipping" in step["error"]
    assert dead_tuples(db, "items") > 0


def test_connection_killed_mid_vacuum_exits_3_and_runs_nothing_after(db):
    import json

    make_dead_tuples(db)
    make_dead_tuples(db, "later", rows=100)
    pin = pin_first_page(db, "items")  # VACUUM (FREEZE) of items waits here until its backend is killed
    proc = start_apexdb(db.dsn, "vacuum", "items", "later", "--freeze", "--format", "json")
    try:
        wait_for(lambda: waiting_on_the_pin(db) or proc.poll() is not None, "VACUUM to start")
        db.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_progress_vacuum WHERE datname = %s", [db.name])
        out, err = proc.communicate(timeout=60)
    finally:
        release_pin(pin)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3, (out, err)
    status = {s["object"]: s["status"] for s in json.loads(out)["steps"]}
    assert status == {"public.items": "failed", "public.later": "not run"}
    assert "lost the connection" in err and "Traceback" not in err
    assert dead_tuples(db, "later") > 0
