"""Faults a production run meets: apexdb killed mid-build, the server stopping under a command,
a migration killed half-way, Ctrl-C during a load. Each through the installed entry point."""
from __future__ import annotations

import signal

import numpy as np
import psycopg
import pytest

from apexdb.db.embedded import EmbeddedServer

from support import TEST_SETTINGS, run_cli, start_apexdb, wait_for


def fill_vectors(db, rows: int, dims: int, table: str = "items") -> None:
    rng = np.random.default_rng(3)
    db.sql(f"CREATE TABLE {table} (id bigint PRIMARY KEY, embedding vector({dims}))")
    data = rng.standard_normal((rows, dims), dtype=np.float32)
    with db.connect() as conn:
        from pgvector.psycopg import register_vector

        register_vector(conn)
        with conn.cursor().copy(f"COPY {table} (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "vector"])
            for i, vec in enumerate(data):
                copy.write_row([i, vec])
    db.sql(f"ANALYZE {table}")


def test_sigkill_during_concurrent_build_then_audit_and_replace_recover(db):
    fill_vectors(db, 40_000, 96)
    proc = start_apexdb(db.dsn, "index", "create", "items", "embedding", "--name", "items_ann",
                        "--memory", "8MB", "--workers", "0")
    build_pid = wait_for(lambda: db.scalar(
        "SELECT pid FROM pg_stat_progress_create_index WHERE relid = 'items'::regclass"), timeout=60)
    proc.kill()  # SIGKILL: apexdb gets no chance to clean up
    proc.wait(10)
    # the server notices its client is gone and aborts the build, leaving the index INVALID
    wait_for(lambda: not db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [build_pid]),
             timeout=120)
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_ann'::regclass") is False

    r = run_cli(["audit", "indexes", "--format", "json"], env={"APEXDB_DSN": db.dsn})
    invalid = [f for f in r.json["findings"] if f["check"] == "invalid_index"]
    assert [f["object"].split(".")[-1] for f in invalid] == ["items_ann"], r
    assert invalid[0]["severity"] in ("warning", "critical")

    r = run_cli(["index", "create", "items", "embedding", "--name", "items_ann"], env={"APEXDB_DSN": db.dsn})
    assert r.exit_code != 0 and "INVALID" in r.stderr  # reported, not silently reused
    r = run_cli(["index", "create", "items", "embedding", "--name", "items_ann", "--replace"],
                env={"APEXDB_DSN": db.dsn})
    assert r.exit_code == 0, r
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_ann'::regclass") is True
    r = run_cli(["audit", "indexes", "--format", "json"], env={"APEXDB_DSN": db.dsn})
    assert not [f for f in r.json["findings"] if f["check"] == "invalid_index"]


@pytest.fixture
def private_server(tmp_path, pg_server):
    """A server of this test's own, so stopping it harms no other test."""
    server = EmbeddedServer(tmp_path / "home", extra_settings=TEST_SETTINGS)
    server.ensure_running()
    yield server
    server.stop()


def test_server_stopped_in_the_middle_of_a_command(private_server):
    proc = start_apexdb(private_server.dsn(), "explain", "--analyze", "SELECT pg_sleep(30)")
    with psycopg.connect(private_server.dsn(), autocommit=True) as conn:
        wait_for(lambda: conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s",
                                      ["%pg_sleep(30)%EXPLAIN%"]).fetchone()[0]
                 or conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s AND pid <> pg_backend_pid()",
                                 ["%pg_sleep(30)%"]).fetchone()[0])
    private_server.stop()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "connection" in lines[0], err
    assert "Traceback" not in err


def test_migration_killed_half_way_then_rerun_completes(db):
    proc = start_apexdb(db.dsn, "migrate")
    # wait until at least one revision is recorded, then kill apexdb outright
    wait_for(lambda: db.scalar("SELECT to_regclass('alembic_version') IS NOT NULL")
             and db.scalar("SELECT count(*) FROM alembic_version"), timeout=120, step=0.01)
    proc.kill()
    proc.wait(10)
    # its server sessions notice the client is gone (client_connection_check_interval) and end
    wait_for(lambda: not db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND application_name LIKE 'apexdb migrate%%'"), "the killed run's sessions to end")
    # whatever was applied is consistent: the recorded revision's tables exist
    r = run_cli(["migrate", "status", "--format", "json"], env={"APEXDB_DSN": db.dsn})
    assert r.exit_code == 0, r
    r = run_cli(["migrate"], env={"APEXDB_DSN": db.dsn})
    assert r.exit_code == 0, r
    r = run_cli(["migrate", "check"], env={"APEXDB_DSN": db.dsn})
    assert r.exit_code == 0, r
    assert db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0


def test_sigint_during_a_load_leaves_no_rows(db, tmp_path):
    rows, dims = 400_000, 64
    data = np.random.default_rng(5).standard_normal((rows, dims), dtype=np.float32)
    path = tmp_path / "big.npy"
    np.save(path, data)
    db.sql(f"CREATE TABLE items (id bigint PRIMARY KEY, embedding vector({dims}))")
    proc = start_apexdb(db.dsn, "load", "items", str(path))
    wait_for(lambda: db.scalar("SELECT count(*) FROM pg_stat_progress_copy WHERE relid = 'items'::regclass"),
             timeout=60, step=0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    assert db.scalar("SELECT count(*) FROM items") == 0
    assert not db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                         "AND query ILIKE 'COPY%%' AND state = 'active'")
