"""The one progress watcher (apexdb.db.progress) on real work held at a known point by another
session, so the work is certainly running while it is watched (no timing assumptions)."""
from __future__ import annotations

import threading

import pytest

from apexdb.db.progress import QUERIES, ProgressWatcher, read_progress
from support import wait_for

GATE = 4242  # the advisory lock the gated function waits for


def gated_table(db) -> None:
    """``t`` with an expression index whose function waits for advisory lock GATE: ANALYZE computes
    the expression for its sample rows, so it stops in "computing statistics" while GATE is held."""
    db.sql(f"""CREATE FUNCTION gate(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS
               $$ BEGIN PERFORM pg_advisory_xact_lock_shared({GATE}); RETURN x; END $$""")
    db.sql("CREATE TABLE t (id int)")
    db.sql("INSERT INTO t SELECT generate_series(1, 5000)")
    db.sql("CREATE INDEX t_gate ON t (gate(id))")


def test_watcher_and_read_progress_follow_an_analyze(db):
    gated_table(db)
    holder, worker, monitor = db.connect(), db.connect(), db.connect()
    holder.execute("SELECT pg_advisory_lock(%s)", [GATE])
    pid, errors, samples = worker.info.backend_pid, [], []

    def analyze():
        try:
            worker.execute("ANALYZE t")
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    thread = threading.Thread(target=analyze)
    thread.start()
    try:
        with ProgressWatcher(kind="analyze", pid=pid, conn=monitor, on_sample=samples.append,
                             interval=0.05) as watcher:
            wait_for(lambda: watcher.last is not None and watcher.last.phase == "computing statistics",
                     "the watcher to see ANALYZE computing statistics")
            with db.connect() as other:  # any session can list the running ANALYZEs
                listed = read_progress(other, "analyze")
            holder.execute("SELECT pg_advisory_unlock(%s)", [GATE])
            thread.join(60)
    finally:
        for conn in (holder, worker, monitor):
            conn.close()
    assert not errors and not thread.is_alive()
    last = watcher.last
    assert last.kind == "analyze" and last.pid == pid and last.unit == "sample blocks"
    assert last.total and last.done == last.total and last.fraction == 1.0  # the sample was read
    assert samples and samples[-1] is last and watcher.samples == len(samples)
    assert [(s.pid, s.phase) for s in listed] == [(last.pid, "computing statistics")]
    assert db.scalar("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 't'")


def test_read_progress_shows_a_concurrent_build_waiting_for_a_writer(db):
    db.sql("CREATE TABLE t (id int)")
    writer = db.connect()
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES (1)")  # CREATE INDEX CONCURRENTLY waits for this transaction
    writer_pid = writer.info.backend_pid
    builder = threading.Thread(target=lambda: db.sql("CREATE INDEX CONCURRENTLY t_id ON t (id)"))
    builder.start()
    try:
        with db.connect() as conn:
            # the build first reports "initializing", and names the locker it waits for only after it
            # has entered its waiting phase: wait until it waits for the writer
            sample = wait_for(lambda: [s for s in read_progress(conn, "create_index")
                                       if s.phase == "waiting for writers before build"
                                       and f"waiting for pid {writer_pid}" in (s.detail or "")],
                              "the build to wait for the writer")[0]
    finally:
        writer.execute("COMMIT")
        writer.close()
        builder.join(60)
    assert sample.kind == "create_index" and sample.row["command"] == "CREATE INDEX CONCURRENTLY"
    assert sample.phase == "waiting for writers before build" and sample.unit == "lockers"
    assert sample.done == 0 and sample.total == 1
    assert f"waiting for pid {writer_pid}" in sample.detail and sample.elapsed_s >= 0
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id'::regclass") is True


def test_every_kind_reads_on_this_server_and_unknown_kinds_are_refused(db):
    with db.connect() as conn:
        for kind in QUERIES:
            assert read_progress(conn, kind, pid=conn.info.backend_pid) == []
        with pytest.raises(ValueError, match="unknown progress kind"):
            read_progress(conn, "copy")
