"""Migrations under faults: unversioned tables, no pgvector, a locked table, Ctrl-C, two runs at once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path


from support import alembic_version, run_cli, schema_snapshot, start_apexdb, tables, wait_for


PROJECT = Path(__file__).parent / "fixtures" / "migrate_project"


def waiting_for_lock(db) -> int:
    return db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND application_name LIKE '%%waiting for the migration lock'")


def test_tables_without_alembic_version_are_refused(apex, db):
    db.sql("CREATE TABLE documents (id uuid PRIMARY KEY, title text)")
    db.sql("CREATE TABLE entities (id uuid PRIMARY KEY)")
    r = apex("migrate")
    assert r.exit_code == 2
    assert "already has tables of this schema (documents, entities) but no alembic_version recording a revision" in r.stderr
    assert "apexdb migrate stamp" in r.stderr
    assert tables(db) == {"documents", "entities"}  # not even alembic_version was made
    r = apex("init")
    assert r.exit_code == 2 and "no alembic_version" in r.stderr


def test_server_without_pgvector(any_db):
    r = run_cli(["init", "--format", "json"], env={"APEXDB_DSN": any_db.dsn})
    pg15 = any_db.scalar("SHOW server_version_num") < "160000"
    if not pg15:
        assert r.exit_code == 0, r
        assert alembic_version(any_db) == ["0004"]
        return
    assert r.exit_code == 4, r
    assert "the vector extension (pgvector) is not available on this server (PostgreSQL 15" in r.stderr
    assert "Traceback" not in r.stderr
    assert tables(any_db) == set()
    r = run_cli(["migrate"], env={"APEXDB_DSN": any_db.dsn})
    assert r.exit_code == 4 and "pgvector" in r.stderr
    assert alembic_version(any_db) in ("no table", [])


def _lock(db, table: str, mode: str = "SHARE UPDATE EXCLUSIVE"):
    conn = db.connect()
    conn.autocommit = False
    conn.execute(f"LOCK TABLE {table} IN {mode} MODE")
    return conn


def test_locked_table_times_out_retries_and_gives_up(apex, db):
    assert apex("migrate", "0002").exit_code == 0
    holder = _lock(db, "documents")
    try:
        r = apex("migrate", "--lock-timeout", "100ms", "--retries", "2")
    finally:
        holder.rollback()
        holder.close()
    assert r.exit_code == 4, r
    assert "retry 1/2" in r.stderr and "retry 2/2" in r.stderr
    assert "revision 0003" in r.stderr and "SQLSTATE 55P03" in r.stderr
    assert alembic_version(db) == ["0002"]
    assert db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0
    r = apex("migrate")
    assert r.exit_code == 0, r
    assert alembic_version(db) == ["0004"]


def test_locked_table_released_during_retries_completes(apex, db):
    assert apex("migrate", "0002").exit_code == 0
    holder = _lock(db, "entities", "ACCESS EXCLUSIVE")
    waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'entities'::regclass"

    def release_after_the_first_timeout():
        try:  # the first attempt waits for the lock, then gives up: release it during the backoff
            wait_for(lambda: db.scalar(waiting), "the migration to wait for the lock")
            wait_for(lambda: not db.scalar(waiting), "the first attempt to time out", step=0.01)
        finally:
            holder.rollback()
            holder.close()

    release = threading.Thread(target=release_after_the_first_timeout)
    release.start()
    try:
        r = apex("migrate", "--lock-timeout", "200ms", "--retries", "10", "--format", "json")
    finally:
        release.join()
    assert r.exit_code == 0, r
    assert r.json["retries"] >= 1
    assert "lock timeout" in r.stderr and "with the timeouts set again" in r.stderr
    assert [s["revision"] for s in r.json["steps"]] == ["0003", "0004"]
    assert alembic_version(db) == ["0004"]


def test_ctrl_c_during_a_migration_rolls_back_that_revision_and_rerun_completes(db):
    proc = start_apexdb(db.dsn, "migrate", "--config", str(PROJECT), env={"FIXTURE_SLEEP": "60"})
    try:
        wait_for(lambda: db.sql("SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%' "
                                "AND datname = current_database()"), "the sleeping revision")
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted during revision z7 (rolled back); the database is at z6" in err
    assert "Traceback" not in err
    assert alembic_version(db) == ["z6"]
    assert db.sql("SELECT 1 FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'") == []
    assert db.sql("SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%' AND state = 'active'") == []
    rerun = start_apexdb(db.dsn, "migrate", "--config", str(PROJECT))
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert "z7" in out and alembic_version(db) == ["z7"]


def test_ctrl_c_during_a_concurrent_index_build_leaves_no_invalid_index(apex, db):
    assert apex("migrate", "0003").exit_code == 0
    # An open snapshot makes CREATE INDEX CONCURRENTLY wait after it has made its (invalid) index.
    snapshot = db.connect()
    snapshot.autocommit = False
    snapshot.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    snapshot.execute("SELECT count(*) FROM documents_meta").fetchone()
    proc = start_apexdb(db.dsn, "migrate", "--lock-timeout", "0")
    try:
        wait_for(lambda: db.sql("SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                "WHERE NOT i.indisvalid AND c.relname LIKE '%%hnsw'"), "the invalid index")
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        snapshot.rollback()
        snapshot.close()
    assert proc.returncode == 130, err
    assert "interrupted during revision 0004" in err
    assert db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0
    assert alembic_version(db) == ["0003"]
    r = apex("migrate")
    assert r.exit_code == 0, r
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%%hnsw'") == 5


def test_two_migrates_at_once_wait_for_each_other(db):
    from apexdb.ops.migrate.safety import lock_key

    # Hold the migration lock ourselves so both runs are certainly waiting at the same time.
    holder = db.connect()
    holder.execute("SELECT pg_advisory_lock(%s)", [lock_key()])
    runs = [start_apexdb(db.dsn, "migrate", "--format", "json") for _ in range(2)]
    try:
        wait_for(lambda: waiting_for_lock(db) == 2, "both runs to wait for the lock")
        holder.execute("SELECT pg_advisory_unlock(%s)", [lock_key()])
        results = [p.communicate(timeout=180) for p in runs]
    finally:
        holder.close()
        for p in runs:
            p.kill()
    assert [p.returncode for p in runs] == [0, 0], results
    for _out, err in results:
        assert "another migration" in err and "waiting" in err
    applied = [[s["revision"] for s in json.loads(out)["steps"]] for out, _ in results]
    assert sorted(applied) == [[], ["0001", "0002", "0003", "0004"]]
    assert alembic_version(db) == ["0004"]
    assert all(json.loads(out)["waited_for_lock"] for out, _ in results)


def test_plain_alembic_waits_for_a_running_apexdb_migrate(db):
    """alembic upgrade head from the repository takes the same lock."""
    import sys

    from apexdb.ops.migrate.safety import lock_key

    holder = db.connect()
    holder.execute("SELECT pg_advisory_lock(%s)", [lock_key()])
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([str(Path(sys.executable).parent / "alembic"), "upgrade", "head"], cwd=repo,
                            env={**os.environ, "APEXDB_DSN": db.dsn}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        wait_for(lambda: waiting_for_lock(db) == 1, "alembic to wait for the lock")
        assert alembic_version(db) == "no table"
        holder.execute("SELECT pg_advisory_unlock(%s)", [lock_key()])
        _out, err = proc.communicate(timeout=180)
    finally:
        holder.close()
        proc.kill()
    assert proc.returncode == 0, err
    assert "holds the migration lock; waiting" in err
    assert alembic_version(db) == ["0004"]
    assert schema_snapshot(db)["indexes"]


def test_deadlock_is_retried_with_the_settings_applied_again(apex, db):
    assert apex("migrate", "z6", "--config", str(PROJECT)).exit_code == 0
    other = db.connect()
    other.autocommit = False
    other.execute("SET deadlock_timeout = '20s'")  # so the migration's backend detects the deadlock
    other.execute("LOCK TABLE owners IN ACCESS EXCLUSIVE MODE")
    proc = start_apexdb(db.dsn, "migrate", "--config", str(PROJECT), "--format", "json", env={"FIXTURE_TOUCH_OWNERS": "1"})
    try:
        # the migration holds items (ADD COLUMN) and waits for owners ...
        wait_for(lambda: db.sql("SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'owners'::regclass"),
                 "the migration to wait for owners")
        # ... and we now want items: a deadlock, which the migration's backend reports (40P01)
        other.execute("SELECT count(*) FROM items").fetchone()
        other.commit()
        out, err = proc.communicate(timeout=120)
    finally:
        other.close()
        proc.kill()
    assert proc.returncode == 0, err
    assert "deadlock: revision z7: deadlock detected; retry 1/5" in err
    assert json.loads(out)["retries"] == 1
    assert alembic_version(db) == ["z7"]


def test_statement_timeout_applies_to_migrations(apex, db):
    assert apex("migrate", "z6", "--config", str(PROJECT)).exit_code == 0
    r = apex("migrate", "--config", str(PROJECT), "--statement-timeout", "300ms", env={"FIXTURE_SLEEP": "30"})
    assert r.exit_code == 4, r
    assert "revision z7" in r.stderr and "statement timeout" in r.stderr and "57014" in r.stderr
    assert alembic_version(db) == ["z6"]
    assert db.sql("SELECT 1 FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'") == []


def test_plain_alembic_retries_a_lock_timeout_too(apex, db):
    import sys

    assert apex("migrate", "0002").exit_code == 0
    holder = _lock(db, "documents")
    repo = Path(__file__).resolve().parent.parent
    try:
        proc = subprocess.run([str(Path(sys.executable).parent / "alembic"), "upgrade", "head"], cwd=repo,
                              env={**os.environ, "APEXDB_DSN": db.dsn, "APEXDB_LOCK_TIMEOUT": "100ms",
                                   "APEXDB_DDL_RETRIES": "1"}, capture_output=True, text=True, timeout=120)
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode != 0
    assert "lock timeout" in proc.stderr and "retry 1/1" in proc.stderr
    assert alembic_version(db) == ["0002"]


def test_two_inits_at_once_create_the_extension_once(db):
    from apexdb.ops.migrate.safety import lock_key

    db.sql("DROP EXTENSION vector")
    holder = db.connect()
    holder.execute("SELECT pg_advisory_lock(%s)", [lock_key()])
    runs = [start_apexdb(db.dsn, "init", "--format", "json") for _ in range(2)]
    try:
        wait_for(lambda: waiting_for_lock(db) == 2, "both inits to wait for the lock")
        holder.execute("SELECT pg_advisory_unlock(%s)", [lock_key()])
        results = [p.communicate(timeout=180) for p in runs]
    finally:
        holder.close()
        for p in runs:
            p.kill()
    assert [p.returncode for p in runs] == [0, 0], results
    actions = sorted(next(e["action"] for e in json.loads(out)["extensions"] if e["extension"] == "vector")
                     for out, _ in results)
    assert actions == ["already installed", "created"]
    assert alembic_version(db) == ["0004"]
