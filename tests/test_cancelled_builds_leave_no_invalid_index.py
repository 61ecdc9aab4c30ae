"""Cancelled builds (Ctrl-C, or pg_cancel_backend from another session) leave no INVALID index.

To catch a build mid-way without timing luck, a writer transaction is held open: CREATE
INDEX CONCURRENTLY has then already made its (INVALID) catalog entry and waits in the
phase "waiting for writers before build" until it is cancelled.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

from support import apexdb_executable, indexes, make_table


def _start_blocked_build(db, *extra):
    writer = db.connect()
    writer.execute("BEGIN")
    writer.execute("INSERT INTO items (id, embedding) VALUES (-1, '[1,2,3,4]')")
    env = {**os.environ, "APEXDB_DSN": db.dsn}
    proc = subprocess.Popen([*apexdb_executable(), "index", "create", "items", "embedding", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = _wait_for_phase(db, "waiting for writers before build", proc)
    return writer, proc, pid


def _wait_for_phase(db, phase, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = db.sql("SELECT pid, phase FROM pg_stat_progress_create_index")
        if row and row[0][1] == phase:
            return row[0][0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"the build never reached {phase!r}")


def test_pg_cancel_backend_leaves_no_invalid_index(db):
    make_table(db, rows=100, dims=4)
    writer, proc, pid = _start_blocked_build(db)
    # the index exists now, INVALID, while the build waits
    assert indexes(db)["items_embedding_hnsw_cosine_idx"] is False
    assert db.scalar("SELECT pg_cancel_backend(%s)", [pid]) is True
    writer.execute("ROLLBACK")  # so the cleanup's DROP INDEX CONCURRENTLY need not wait for it
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    assert "canceling statement" in err and "INVALID index it left" in err and "was dropped" in err
    assert indexes(db) == {"items_pkey": True}
    writer.close()


def test_ctrl_c_cancels_on_the_server_and_drops_the_invalid_index(db):
    make_table(db, rows=100, dims=4)
    writer, proc, pid = _start_blocked_build(db)
    proc.send_signal(signal.SIGINT)
    # the build's backend stops waiting (cancelled), then the cleanup waits for the writer
    deadline = time.monotonic() + 30
    while db.scalar("SELECT count(*) FROM pg_stat_progress_create_index WHERE pid = %s", [pid]) and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    writer.execute("ROLLBACK")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "index build cancelled on the server" in err and "was dropped" in err
    assert "Traceback" not in err
    assert indexes(db) == {"items_pkey": True}
    writer.close()
