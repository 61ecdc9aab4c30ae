"""apexdb cancel / terminate on real backends: what they hit, that they ask first, that they refuse the
session's own pid, unknown pids, and roles that may not signal; and that the other session really got
the signal (QueryCanceled, gone from pg_stat_activity)."""
from __future__ import annotations

import os
import threading

import psycopg
import pytest

from apexdb.db.connection import Target, connect
from apexdb.errors import BadInput
from apexdb.ops.sessions import SessionFilter, select_sessions
from support import drop_role, make_role, one_clear_line, run_cli, wait_for


class Sleeper:
    """A connection (as ``dsn``'s role) running ``SELECT pg_sleep(600)`` in a thread, seen running through
    ``admin_dsn``; ``error`` is what ended it."""

    def __init__(self, dsn: str, admin_dsn: str, application: str):
        self.admin_dsn = admin_dsn
        self.conn = psycopg.connect(dsn, autocommit=True, application_name=application)
        self.pid, self.error = self.conn.info.backend_pid, None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        wait_for(self._active, "the sleeper's pg_sleep to run")

    def _run(self) -> None:
        try:
            self.conn.execute("SELECT pg_sleep(600)")
        except Exception as exc:  # noqa: BLE001 - asserted by the tests
            self.error = exc

    def _active(self) -> bool:
        with psycopg.connect(self.admin_dsn, autocommit=True) as c:
            return bool(c.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = 'active' "
                                  "AND query = 'SELECT pg_sleep(600)'", [self.pid]).fetchone())

    def running(self) -> bool:
        return self.thread.is_alive() and self._active()

    def stop(self) -> None:
        if self.thread.is_alive():
            with psycopg.connect(self.admin_dsn, autocommit=True) as c:
                c.execute("SELECT pg_cancel_backend(%s)", [self.pid])
            self.thread.join(60)
        self.conn.close()


@pytest.fixture
def sleeper(db):
    made = []

    def start(application: str = "report", dsn: str | None = None) -> Sleeper:
        s = Sleeper(dsn or db.dsn, db.dsn, application)
        made.append(s)
        return s

    yield start
    for s in made:
        s.stop()


def idle_in_transaction(db, application: str) -> psycopg.Connection:
    conn = db.connect(application_name=application)
    conn.execute("BEGIN")
    conn.execute("SELECT 1")
    return conn


def present(db, pid: int) -> bool:
    return bool(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]))


def test_cancel_a_running_query(apex, sleeper):
    s = sleeper("report")
    r = apex("cancel", s.pid, "--yes", "--format", "json")
    assert r.exit_code == 0, r
    assert [x["pid"] for x in r.json["sessions"]] == [s.pid] and r.json["sessions"][0]["state"] == "active"
    assert r.json["results"] == [{"pid": s.pid, "outcome": "sent", "detail": "cancel signal sent"}]
    s.thread.join(60)
    assert isinstance(s.error, psycopg.errors.QueryCanceled)
    assert s.conn.execute("SELECT 1").fetchone() == (1,)  # cancelled, not ended: the session goes on


def test_terminate_an_idle_in_transaction_session(apex, db):
    victim = idle_in_transaction(db, "forgotten")
    pid = victim.info.backend_pid
    try:
        r = apex("terminate", pid, "--yes")
        assert r.exit_code == 0, r
        assert "Sessions to terminate" in r.stdout and "idle in transaction" in r.stdout and "forgotten" in r.stdout
        assert "terminate signal sent" in r.stdout
        wait_for(lambda: not present(db, pid), "the terminated session to leave pg_stat_activity")
        with pytest.raises(psycopg.OperationalError):
            victim.execute("SELECT 1")
    finally:
        victim.close()


def test_filters_select_the_right_sessions_and_dry_run_signals_nothing(apex, db, sleeper):
    db.sql("CREATE TABLE t (id int)")
    idle_tx = idle_in_transaction(db, "idle-tx")
    idle_tx.execute("LOCK TABLE t IN SHARE MODE")  # ... and it blocks the writer below
    idle = db.connect(application_name="idle-one")
    writer = db.connect(application_name="writer")
    thread = threading.Thread(target=lambda: writer.execute("INSERT INTO t VALUES (1)"), daemon=True)
    thread.start()
    wait_for(lambda: db.scalar("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                               [writer.info.backend_pid]), "the writer to wait for the lock")
    running = sleeper("report")
    mine = ["--database", db.name]

    def hit(*args: str) -> set[int]:
        r = apex("terminate", *args, *mine, "--dry-run", "--format", "json")
        assert r.exit_code == 0, r
        assert r.json["dry_run"] is True and r.json["results"] == []
        return {x["pid"] for x in r.json["sessions"]}

    try:
        assert hit("--idle-in-transaction-over", "0s") == {idle_tx.info.backend_pid}
        assert hit("--idle-in-transaction-over", "1h") == set()  # not that long
        assert hit("--running-over", "0s", "--application", "report") == {running.pid}
        assert hit("--running-over", "2h") == set()
        assert hit("--blocking") == {idle_tx.info.backend_pid}
        assert hit("--application", "idle-one") == {idle.info.backend_pid}
        assert hit("--user", "nobody-here") == set()
        # pids and filters together: the pids the filters keep
        assert hit(str(running.pid), str(idle.info.backend_pid), "--running-over", "0s") == {running.pid}
        r = apex("terminate", "--idle-in-transaction-over", "0s", *mine, "--dry-run")
        assert r.exit_code == 0 and "idle-tx" in r.stdout and "dry run: 1 session(s) would get a terminate" in r.stderr
        # nothing was signalled
        assert running.running() and present(db, idle_tx.info.backend_pid) and present(db, idle.info.backend_pid)
        # now for real: only the blocker goes, and the writer gets its lock
        r = apex("terminate", "--blocking", *mine, "--yes", "--format", "json")
        assert r.exit_code == 0 and [x["pid"] for x in r.json["results"]] == [idle_tx.info.backend_pid], r
        thread.join(60)
        assert not thread.is_alive() and running.running() and present(db, idle.info.backend_pid)
    finally:
        for conn in (idle_tx, idle, writer):
            conn.close()


def test_yes_is_needed_off_a_terminal_and_nothing_is_signalled(apex, sleeper):
    s = sleeper("report")
    for command in ("cancel", "terminate"):
        r = apex(command, s.pid)
        assert r.exit_code == 2, r
        assert "needs confirmation: rerun with --yes" in r.stderr and "Traceback" not in r.stderr
        assert f"Sessions to {command}" in r.stdout and str(s.pid) in r.stdout  # shown before asking
        assert s.running()
    r = apex("cancel", "--application", "report", "--dry-run")
    assert r.exit_code == 0 and s.running(), r


def test_own_pid_is_refused_and_left_out_of_filters(apex, db):
    conn = connect(Target(db.dsn, "test", "test"))
    try:
        with pytest.raises(BadInput, match="this apexdb session's own connection"):
            select_sessions(conn, "terminate", [conn.info.backend_pid], SessionFilter())
        # through filters it is never among the hit: apexdb's own connection is application "apexdb"
        selection = select_sessions(conn, "terminate", [], SessionFilter(application="apexdb"))
        assert conn.info.backend_pid not in {s["pid"] for s in selection.sessions}
        assert any("own connection: left out" in n for n in selection.notes)
    finally:
        conn.close()
    r = apex("terminate", "--application", "apexdb", "--database", db.name, "--yes", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["sessions"] == [] and any("own connection: left out" in n for n in r.json["notes"])


def test_unknown_pid_and_not_a_client_session(apex, db, sleeper):
    s = sleeper("report")
    r = apex("cancel", os.getpid(), s.pid, "--yes")  # this test's own process is no backend
    assert r.exit_code == 2, r
    assert f"no backend with pid {os.getpid()}" in one_clear_line(r)
    assert s.running()  # nothing was done, not even to the pid that exists
    checkpointer = db.scalar("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
    r = apex("terminate", checkpointer, "--yes")
    assert r.exit_code == 2 and "is the checkpointer, not a client session" in one_clear_line(r), r
    r = apex("cancel")
    assert r.exit_code == 2 and "give pids, or a filter" in one_clear_line(r), r
    r = apex("terminate", "--running-over", "soon")
    assert r.exit_code == 2 and "--running-over: cannot read 'soon' as a duration" in one_clear_line(r), r


@pytest.fixture
def roles(db):
    made = []

    def role(suffix: str, grant: str | None = None) -> str:
        made.append(suffix)
        return make_role(db, suffix, grant)

    yield role
    for suffix in made:
        drop_role(db, suffix)


def test_a_role_needs_pg_signal_backend_for_other_roles_sessions(db, sleeper, roles):
    owner = roles("owner")
    plain = roles("plain")
    signaller = roles("signaller", "pg_signal_backend")
    theirs = sleeper("theirs", dsn=owner)
    r = run_cli(["cancel", theirs.pid, "--yes"], env={"APEXDB_DSN": plain})
    assert r.exit_code == 4, r
    line = one_clear_line(r)
    assert f"role {db.name}_plain may not cancel pid {theirs.pid} (owned by {db.name}_owner): grant " \
           "pg_signal_backend" in line and "42501" in line and "nothing was signalled" in line
    assert "secret" not in r.stderr + r.stdout
    assert theirs.running()
    # a superuser's session is refused even with pg_signal_backend (PostgreSQL's own rule)
    superusers = sleeper("admin")
    r = run_cli(["terminate", superusers.pid, "--yes"], env={"APEXDB_DSN": signaller})
    assert r.exit_code == 4 and "(owned by superuser postgres): only a superuser may" in one_clear_line(r), r
    assert superusers.running()
    # with pg_signal_backend the other role's query is cancelled
    r = run_cli(["cancel", theirs.pid, "--yes", "--format", "json"], env={"APEXDB_DSN": signaller})
    assert r.exit_code == 0 and r.json["results"][0]["outcome"] == "sent", r
    theirs.thread.join(60)
    assert isinstance(theirs.error, psycopg.errors.QueryCanceled)
    # and a role may always signal its own sessions
    again = sleeper("theirs", dsn=owner)
    r = run_cli(["cancel", again.pid, "--yes"], env={"APEXDB_DSN": owner})
    assert r.exit_code == 0, r
    again.thread.join(60)
    assert isinstance(again.error, psycopg.errors.QueryCanceled)
