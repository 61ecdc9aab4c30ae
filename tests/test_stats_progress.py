"""apexdb stats progress: real work started by other sessions, held at a known point so it is certainly
running while it is looked at (no timing assumptions): HNSW and IVFFlat builds wait inside an indexed
expression for an advisory lock, a VACUUM (FREEZE) for a page a cursor pins, a base backup streams at
pg_basebackup's lowest --max-rate."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading

import pytest

from apexdb.db.progress import PhaseClock, ProgressSample
from support import apexdb_executable, make_dead_tuples, pin_first_page, release_pin, start_apexdb, wait_for

GATE = 7301  # the advisory lock the indexed expression waits for


def gated_vectors(db) -> None:
    """``docs`` whose vector expression waits for advisory lock GATE: an index build on it stops at the
    first row it reads (HNSW while loading tuples, IVFFlat while sampling for k-means) while GATE is held."""
    db.sql(f"""CREATE FUNCTION gate(v vector) RETURNS vector LANGUAGE plpgsql IMMUTABLE AS
               $$ BEGIN PERFORM pg_advisory_xact_lock_shared({GATE}); RETURN v; END $$""")
    db.sql("CREATE TABLE docs (id int, emb vector(3))")
    db.sql("INSERT INTO docs SELECT g, ARRAY[g, g % 7, 1]::vector FROM generate_series(1, 2000) g")


class GatedBuild:
    """A CREATE INDEX on ``docs`` run by another connection in a thread, held at the gate until release()."""

    def __init__(self, db, method: str, name: str, with_options: str = ""):
        self.db, self.errors = db, []
        self.holder, self.builder = db.connect(), db.connect(application_name="nightly-indexer")
        self.holder.execute("SELECT pg_advisory_lock(%s)", [GATE])
        self.pid = self.builder.info.backend_pid
        statement = (f"CREATE INDEX {name} ON docs USING {method} ((gate(emb)::vector(3)) vector_l2_ops) "
                     f"{with_options}")
        self.thread = threading.Thread(target=self._build, args=(statement,))
        self.thread.start()

    def _build(self, statement: str) -> None:
        try:
            self.builder.execute(statement)
        except Exception as exc:  # noqa: BLE001 - asserted by the tests
            self.errors.append(exc)

    def wait_for_phase(self, phase: str) -> None:
        # the phase is set before the first row is read: wait until the build also waits at the gate
        wait_for(lambda: self.db.sql("SELECT 1 FROM pg_stat_progress_create_index p JOIN pg_stat_activity a "
                                     "USING (pid) WHERE p.pid = %s AND p.phase = %s AND a.wait_event_type = 'Lock'",
                                     [self.pid, phase]), f"the build to reach {phase!r} and wait at the gate")

    def release(self) -> None:
        if not self.holder.closed:
            self.holder.execute("SELECT pg_advisory_unlock(%s)", [GATE])
        self.thread.join(120)
        self.holder.close()
        self.builder.close()


@pytest.mark.parametrize("method,phase,options", [
    ("hnsw", "building index: loading tuples", ""),
    ("ivfflat", "building index: performing k-means", "WITH (lists = 10)"),
])
def test_a_vector_index_build_of_another_session_with_its_pgvector_phase(apex, db, method, phase, options):
    gated_vectors(db)
    build = GatedBuild(db, method, f"docs_{method}", options)
    try:
        build.wait_for_phase(phase)
        r = apex("stats", "progress", "--format", "json")
        assert r.exit_code == 0, r
        work = {w["pid"]: w for w in r.json["work"]}
        mine = work[build.pid]
        assert mine["kind"] == "create_index" and mine["command"] == "CREATE INDEX"
        assert mine["phase"] == phase
        # a plain CREATE INDEX has no committed index yet: its name comes from the statement
        assert mine["relation"] == f"public.docs_{method}" and mine["table"] == "public.docs"
        assert mine["role"] == "postgres" and mine["application"] == "nightly-indexer"
        assert mine["database"] == db.name and mine["elapsed_s"] >= 0
        assert mine["wait_event_type"] == "Lock" and "CREATE INDEX" in mine["query"]
        r = apex("stats", "progress")
        assert r.exit_code == 0, r
        assert phase in r.stdout and f"public.docs_{method} on public.docs" in r.stdout and str(build.pid) in r.stdout
    finally:
        build.release()
    assert not build.errors and not build.thread.is_alive()
    r = apex("stats", "progress", "--format", "json")
    assert build.pid not in {w["pid"] for w in r.json["work"]}  # over: no longer listed
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass", [f"docs_{method}"])


def test_a_vacuum_of_another_session(apex, db):
    make_dead_tuples(db, rows=30000, filler=60)
    pin = pin_first_page(db, "items")  # VACUUM (FREEZE) waits for this page, in "scanning heap"
    vacuumer = db.connect(application_name="nightly-vacuum")
    pid, errors = vacuumer.info.backend_pid, []

    def vacuum():
        try:
            vacuumer.execute("VACUUM (FREEZE) items")
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    thread = threading.Thread(target=vacuum)
    thread.start()
    try:
        wait_for(lambda: db.sql("SELECT 1 FROM pg_stat_progress_vacuum p JOIN pg_stat_activity a USING (pid) "
                                "WHERE p.pid = %s AND a.wait_event = 'BufferPin'", [pid]), "VACUUM to wait for the page")
        r = apex("stats", "progress", "--format", "json")
        assert r.exit_code == 0, r
        mine = {w["pid"]: w for w in r.json["work"]}[pid]
        assert mine["kind"] == "vacuum" and mine["command"] == "VACUUM" and mine["relation"] == "public.items"
        assert mine["phase"] == "scanning heap" and mine["unit"] == "heap blocks"
        assert mine["total"] > 0 and mine["done"] < mine["total"]
        assert mine["application"] == "nightly-vacuum" and mine["wait_event"] == "BufferPin"
        r = apex("stats", "progress")
        assert "scanning heap" in r.stdout and "public.items" in r.stdout and "heap blocks" in r.stdout
    finally:
        release_pin(pin)
        thread.join(120)
        vacuumer.close()
    assert not errors


def test_a_base_backup_is_work_in_progress_too(apex, db, pg_server, tmp_path):
    """pg_basebackup at its lowest rate (32 kB/s) takes minutes over the test server's databases: its WAL
    sender's row is certainly there while apexdb looks; the backup is then stopped."""
    argv = [str(pg_server.bin_dir / "pg_basebackup"), "-D", "-", "-F", "t", "-X", "none", "-c", "fast",
            "--max-rate=32k", "-d", f"host={pg_server.socket_dir} port={pg_server.port} user=postgres "
                                   "application_name=backup-probe"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        row = wait_for(lambda: db.sql("SELECT p.pid FROM pg_stat_progress_basebackup p JOIN pg_stat_activity a "
                                      "USING (pid) WHERE a.application_name = 'backup-probe' "
                                      "AND p.phase = 'streaming database files'") or proc.poll() is not None,
                       "the base backup to stream")
        assert proc.poll() is None, proc.stderr.read()
        pid = row[0][0]
        r = apex("stats", "progress", "--format", "json")
        assert r.exit_code == 0, r
        mine = {w["pid"]: w for w in r.json["work"]}[pid]
        assert mine["kind"] == "basebackup" and mine["command"] == "BASE BACKUP"
        assert mine["phase"] == "streaming database files" and mine["unit"] == "bytes"
        assert mine["total"] > mine["done"] >= 0 and mine["relation"] is None
        assert mine["application"] == "backup-probe"
        r = apex("stats", "progress")
        assert "BASE BACKUP" in r.stdout and "streaming database files" in r.stdout
    finally:
        proc.kill()
        proc.wait(60)


def test_watch_on_a_pipe_prints_a_document_per_look_until_the_work_is_done(db):
    gated_vectors(db)
    build = GatedBuild(db, "hnsw", "docs_hnsw")
    build.wait_for_phase("building index: loading tuples")  # before the watch starts: its first look sees it
    proc = start_apexdb(db.dsn, "stats", "progress", "--watch", "--interval", "0.2", "--format", "json")
    try:
        first = json.loads(proc.stdout.readline())  # sync point: the first look was printed
        assert build.pid in {w["pid"] for w in first["work"]}
        build.release()  # the build finishes; the next look finds nothing and the watch ends by itself
        out, err = proc.communicate(timeout=120)
    finally:
        build.release()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    looks = [first] + [json.loads(line) for line in out.splitlines() if line.strip()]
    assert looks[-1]["work"] == [] and len(looks) >= 2
    assert all(set(look) == {"work", "taken_at"} for look in looks)


def test_watch_lines_and_ctrl_c_leave_the_work_running(db):
    gated_vectors(db)
    build = GatedBuild(db, "hnsw", "docs_hnsw")
    build.wait_for_phase("building index: loading tuples")
    proc = subprocess.Popen([*apexdb_executable(), "stats", "progress", "--watch", "--interval", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "APEXDB_DSN": db.dsn})
    try:
        line = proc.stdout.readline()
        assert f"pid {build.pid} CREATE INDEX public.docs_hnsw on public.docs: building index: loading tuples" in line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert [ln for ln in err.splitlines() if ln.strip()] == [
            "error: stopped watching (Ctrl-C); the work goes on on the server"]
        # only the watch stopped: the build is still there, waiting at the gate
        assert db.scalar("SELECT count(*) FROM pg_stat_progress_create_index WHERE pid = %s", [build.pid]) == 1
    finally:
        build.release()
        if proc.poll() is None:
            proc.kill()
    assert not build.errors


def test_no_work_and_bad_interval(apex):
    r = apex("stats", "progress")
    assert r.exit_code == 0 and "(no work in progress)" in r.stdout, r
    r = apex("stats", "progress", "--watch", "--format", "json")  # nothing runs: one look, then done
    assert r.exit_code == 0 and [json.loads(line)["work"] for line in r.stdout.splitlines()] == [[]], r
    r = apex("stats", "progress", "--interval", "0")
    assert r.exit_code == 2 and "--interval must be between" in r.stderr and "Traceback" not in r.stderr, r


def sample(phase: str, done: int | None, total: int | None, pid: int = 1, kind: str = "create_index"):
    return ProgressSample(kind, pid, phase, "blocks", done, total, phase, 0.0, None, {})


def test_phase_clock_rates_each_phase_apart():
    now = [100.0]
    clock = PhaseClock(now=lambda: now[0])
    assert clock.eta(sample("loading tuples", 0, 1000)) is None  # first look at a phase: no rate yet
    now[0] = 110.0
    assert clock.eta(sample("loading tuples", 100, 1000)) == pytest.approx(90.0)  # 10/s, 900 to go
    now[0] = 111.0
    assert clock.eta(sample("loading tuples", 100, 1000)) == pytest.approx(99.0)  # no progress: slower rate
    now[0] = 112.0
    assert clock.eta(sample("performing k-means", 5, 10)) is None  # a new phase counts afresh
    now[0] = 114.0
    assert clock.eta(sample("performing k-means", 7, 10)) == pytest.approx(3.0)
    assert clock.eta(sample("scanning heap", 7, None, pid=2, kind="vacuum")) is None  # no total: no ETA
    clock.forget_except([sample("scanning heap", 7, None, pid=2, kind="vacuum")])
    now[0] = 120.0
    assert clock.eta(sample("performing k-means", 9, 10)) is None  # pid 1's work ended: a new one starts afresh


def test_a_concurrent_build_waiting_for_old_snapshots_counts_lockers_not_the_blocks_left_behind(apex, db):
    db.sql("CREATE TABLE docs (id int, emb vector(3))")
    db.sql("INSERT INTO docs SELECT g, ARRAY[g, g % 7, 1]::vector FROM generate_series(1, 3000) g")
    reader = db.connect()
    reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    reader.execute("SELECT count(*) FROM pg_class").fetchone()  # a snapshot the build must outwait
    builder = db.connect()
    pid = builder.info.backend_pid
    thread = threading.Thread(target=lambda: builder.execute(
        "CREATE INDEX CONCURRENTLY docs_hnsw ON docs USING hnsw (emb vector_l2_ops)"))
    thread.start()
    try:
        # the phase is set before the locker it waits for is named: wait until the reader is named
        wait_for(lambda: db.sql("SELECT 1 FROM pg_stat_progress_create_index WHERE pid = %s "
                                "AND phase = 'waiting for old snapshots' AND current_locker_pid = %s",
                                [pid, reader.info.backend_pid]), "the build to wait for the reader")
        r = apex("stats", "progress", "--format", "json")
        mine = {w["pid"]: w for w in r.json["work"]}[pid]
        assert mine["command"] == "CREATE INDEX CONCURRENTLY" and mine["relation"] == "public.docs_hnsw"
        assert mine["unit"] == "lockers" and mine["done"] < mine["total"]
        assert f"waiting for pid {reader.info.backend_pid}" in mine["detail"]
    finally:
        reader.execute("ROLLBACK")
        thread.join(120)
        reader.close()
        builder.close()
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'docs_hnsw'::regclass")
