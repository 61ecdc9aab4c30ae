"""``apexdb audit`` under cron conditions: locks held by others, timeouts, a pg_monitor-only role,
several databases at once (one unreachable), and other server versions."""
from __future__ import annotations

import subprocess

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from support import apexdb_executable, clean_schema, drop_database, findings, new_database, run_cli, run_flushed


def test_access_exclusive_lock_does_not_hang_the_audit(apex_proc, db):
    clean_schema(db)
    run_flushed(db, "CREATE INDEX child_a_copy ON child (a); CREATE TABLE locked_t (id int, v int);"
            "CREATE INDEX locked_t_v ON locked_t (v); CREATE INDEX locked_t_v2 ON locked_t (v)")
    holder = db.connect()
    try:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE locked_t IN ACCESS EXCLUSIVE MODE")
        r = apex_proc("audit", "all", "--format", "json", "--lock-timeout", "1s", timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.exit_code == 0, r
    got = {(f["check"], f["object"]): f for f in r.json["findings"]}
    skipped = got[("could_not_check", "public.locked_t")]
    assert "ACCESS EXCLUSIVE" in skipped["detail"] and "LOCK TABLE" in skipped["detail"]
    assert ("duplicate_index", "public.child_a_copy") in got  # the other tables were still audited
    # its indexes are not judged (reading their definitions would wait for the lock): said, not guessed
    assert not [key for key in got if key[1].startswith("public.locked_t_")]


def test_a_lock_taken_after_the_scan_becomes_could_not_check(db, monkeypatch):
    """The fallback: a lock the up-front scan missed costs one check, not the audit."""
    from apexdb.ops.audit import run_audit
    from apexdb.ops.audit.context import AuditContext

    clean_schema(db)
    run_flushed(db, "CREATE INDEX child_a_copy ON child (a)")
    monkeypatch.setattr(AuditContext, "refresh_locks", lambda self: None)  # blind to locks
    holder = db.connect()
    conn = db.connect()
    try:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE child IN ACCESS EXCLUSIVE MODE")
        report = run_audit(conn, kinds=("indexes", "vacuum"), thresholds={}, lock_timeout="200ms")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        conn.close()
    failed = [f for f in report.findings if f.check == "could_not_check"]
    assert failed and all("lock_timeout" in f.detail for f in failed)
    assert "dead_tuples" in report.checks_run  # later checks ran


def test_statement_timeout_makes_findings_not_a_crash(apex, db):
    clean_schema(db)
    r = apex("audit", "all", "--format", "json", "--statement-timeout", "1ms")
    assert r.exit_code in (0, 1), r
    assert "Traceback" not in r.stderr
    for f in r.json["findings"]:
        if f["check"] == "could_not_check":
            assert "statement_timeout" in f["detail"]


@pytest.fixture
def monitor_dsn(db):
    """A LOGIN role with only pg_monitor (the embedded server wants a password for it)."""
    role = f"mon_{db.name}"
    db.sql(f"CREATE ROLE {role} LOGIN PASSWORD 'monitor-pw' IN ROLE pg_monitor")
    yield make_conninfo(db.dsn, user=role, password="monitor-pw")
    db.sql(f"DROP OWNED BY {role}")
    db.sql(f"DROP ROLE {role}")


def test_pg_monitor_role_audits_and_says_what_it_cannot_see(db, monitor_dsn):
    clean_schema(db)
    run_flushed(db, """
        CREATE INDEX child_a_copy ON child (a);
        CREATE TABLE events (id int, payload text) WITH (autovacuum_enabled = false);
        INSERT INTO events SELECT g, 'x' FROM generate_series(1, 5000) g;
        DELETE FROM events WHERE id > 500;
        ANALYZE events;
    """)
    r = run_cli(["audit", "all", "--format", "json", "--dsn", monitor_dsn])
    assert r.exit_code == 0, r
    got = findings(r)
    assert ("duplicate_index", "public.child_a_copy") in got
    assert ("dead_tuples", "public.events") in got
    assert "pg_stats hides their columns" in r.stderr  # says what it cannot see
    assert any("pg_stats hides" in n for n in r.json["summary"]["notes"])
    assert "monitor-pw" not in r.stdout + r.stderr


def test_several_targets_concurrently_one_unreachable(db, pg_server, tmp_path, monkeypatch):
    other = new_database(pg_server)
    try:
        run_flushed(db, "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a); CREATE INDEX t_a2 ON t (a)")
        run_flushed(other, "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p int REFERENCES p)")
        (tmp_path / "apexdb.toml").write_text(
            f'[targets.first]\ndsn = "{db.dsn}"\n[targets.second]\ndsn = "{other.dsn}"\n'
            '[targets.gone]\ndsn = "postgresql://nobody@/nowhere?host=/nonexistent-apexdb&connect_timeout=2"\n')
        monkeypatch.chdir(tmp_path)
        r = run_cli(["audit", "indexes", "--target", "first", "--target", "gone", "--target", "second",
                     "--format", "json"])
        assert r.exit_code == 1, r  # the unreachable target is critical; the default --fail-on is critical
        doc = r.json
        assert doc["target"] == ["first", "gone", "second"]
        got = {(f["target"], f["check"], f["object"]) for f in doc["findings"]}
        assert got == {("first", "duplicate_index", "public.t_a2"),
                       ("second", "fk_without_index", "public.c.c_p_fkey"),
                       ("gone", "unreachable_target", "gone")}
        gone = [f for f in doc["findings"] if f["target"] == "gone"][0]
        assert gone["severity"] == "critical" and "cannot connect" in gone["detail"]
        assert set(doc["summary"]["targets"]) == {"first", "gone", "second"}
        r = run_cli(["audit", "indexes", "--all-targets"])
        assert r.exit_code == 1
        header = r.stdout.splitlines()[0].split()
        assert header[:2] == ["target", "severity"]
        assert "unreachable_target" in r.stdout and "public.t_a2" in r.stdout
    finally:
        drop_database(other)


def test_one_target_from_the_config_file(db, tmp_path, monkeypatch):
    run_flushed(db, "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a); CREATE INDEX t_a2 ON t (a)")
    (tmp_path / "apexdb.toml").write_text(f'[targets.only]\ndsn = "{db.dsn}"\n')
    monkeypatch.chdir(tmp_path)
    r = run_cli(["audit", "indexes", "--target", "only", "--format", "json"])
    assert r.exit_code == 0, r
    assert r.json["target"] == "only" and findings(r) == {("duplicate_index", "public.t_a2")}


def test_apply_on_a_named_target_runs_there_through_the_session(db, tmp_path, monkeypatch):
    run_flushed(db, "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a); CREATE INDEX t_a2 ON t (a)")
    (tmp_path / "apexdb.toml").write_text(f'[targets.only]\ndsn = "{db.dsn}"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APEXDB_DSN", "postgresql://nobody@/elsewhere?host=/nonexistent-apexdb")  # not used
    r = run_cli(["audit", "indexes", "--target", "only", "--apply", "--yes"])
    assert r.exit_code == 0, r
    assert "applied: DROP INDEX CONCURRENTLY public.t_a2;" in r.stderr
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname IN ('t_a', 't_a2')") == 1


def test_cron_style_subprocess_keeps_stdout_to_one_document(db):
    run_flushed(db, "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a); CREATE INDEX t_a2 ON t (a)")
    proc = subprocess.run([*apexdb_executable(), "audit", "all", "--format", "json", "--fail-on", "warning"],
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "APEXDB_DSN": db.dsn, "HOME": "/nonexistent"})
    assert proc.returncode == 1
    import json

    assert json.loads(proc.stdout)["summary"]["warning"] >= 1
    assert proc.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "\x1b[" not in proc.stderr


def test_older_server_without_pgvector(any_db):
    with psycopg.connect(any_db.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int, b int); CREATE INDEX t_a ON t (a); CREATE INDEX t_a_b ON t (a, b)")
    r = run_cli(["audit", "all", "--format", "json"], env={"APEXDB_DSN": any_db.dsn})
    assert r.exit_code == 0, r
    assert ("redundant_index", "public.t_a") in findings(r)


def test_audit_through_pgbouncer_in_transaction_mode(db, pgbouncer):
    run_flushed(db, "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a); CREATE INDEX t_a2 ON t (a)")
    dsn = pgbouncer(db.name)
    for _ in range(2):  # pooled server connections are reused between runs
        r = run_cli(["audit", "all", "--format", "json", "--dsn", dsn])
        assert r.exit_code == 0, r
        assert ("duplicate_index", "public.t_a2") in findings(r)


def test_a_lock_seen_on_the_retry_is_skipped_and_the_check_completes(db, monkeypatch):
    from apexdb.ops.audit import run_audit
    from apexdb.ops.audit.context import AuditContext

    clean_schema(db)
    run_flushed(db, "CREATE INDEX child_a_copy ON child (a); CREATE TABLE t (a int); CREATE INDEX t_a ON t (a);"
            "CREATE INDEX t_a2 ON t (a)")
    real = AuditContext.refresh_locks
    calls = []

    def late(self):  # the up-front scan misses the lock; the retry's scan sees it
        calls.append(1)
        if len(calls) > 1:
            real(self)

    monkeypatch.setattr(AuditContext, "refresh_locks", late)
    holder, conn = db.connect(), db.connect()
    try:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE child IN ACCESS EXCLUSIVE MODE")
        report = run_audit(conn, kinds=("indexes",), thresholds={}, lock_timeout="200ms")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        conn.close()
    got = {(f.check, f.object, f.severity) for f in report.findings}
    assert ("could_not_check", "public.child", "info") in got  # named, not waited for
    assert ("duplicate_index", "public.t_a2", "warning") in got  # the check completed for the rest
    assert not [f for f in report.findings if f.severity == "warning" and f.check == "could_not_check"]
