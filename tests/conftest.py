"""The test harness: a throwaway embedded PostgreSQL 18 + pgvector for the whole session,
a fresh database per test, and helpers that drive the real CLI.

Nothing here skips for want of a server: the session starts its own. Debian's
PostgreSQL 15 (no pgvector) is started too when its binaries are on the machine
(``.ci/run`` installs them) for the version-sensitive tests.
"""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from apexdb.db.embedded import EmbeddedServer

PG15_BIN = Path("/usr/lib/postgresql/15/bin")
TEST_SETTINGS = {"fsync": "off", "full_page_writes": "off", "shared_buffers": "128MB",
                 "max_connections": "200"}
_CLEARED_ENV = ("APEXDB_DSN", "DATABASE_URL", "APEXDB_TARGET", "APEXDB_CONFIG", "APEXDB_PORT", "PGHOST",
                "PGPORT", "PGSERVICE", "PGDATABASE", "PGUSER", "PGPASSWORD", "NO_COLOR", "APEXDB_DEBUG")
_counter = itertools.count()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        import json

        return json.loads(self.stdout)

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Result(exit_code={self.exit_code}, stdout={self.stdout[-2000:]!r}, stderr={self.stderr[-2000:]!r})"


class Database:
    """One test's own database on a test server."""

    def __init__(self, server: EmbeddedServer, name: str):
        self.server, self.name = server, name
        self.dsn = server.dsn(name)

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True, **kwargs)

    def sql(self, statement: str, params=None) -> list[tuple]:
        """Run one statement as the superuser; the rows it returns (if any)."""
        with self.connect() as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def scalar(self, statement: str, params=None):
        rows = self.sql(statement, params)
        return rows[0][0] if rows else None


def _start(home: Path, bin_dir: Path | None = None) -> EmbeddedServer:
    server = EmbeddedServer(home, bin_dir=bin_dir, extra_settings=TEST_SETTINGS)
    server.ensure_running()
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS apex_template")
        conn.execute("CREATE DATABASE apex_template TEMPLATE apexdb")
    return server


def _stop(server: EmbeddedServer) -> None:
    try:
        server._pg("pg_ctl", "-D", str(server.data_dir), "-m", "immediate", "-w", "stop")
    except Exception:
        pass


@pytest.fixture(scope="session", autouse=True)
def clean_environment():
    """No test may reach a database or config the developer has lying around."""
    saved = {k: os.environ.pop(k) for k in _CLEARED_ENV if k in os.environ}
    yield
    os.environ.update(saved)


@pytest.fixture(scope="session")
def pg_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("apexdb-home")


@pytest.fixture(scope="session")
def pg_server(pg_home, clean_environment) -> EmbeddedServer:
    """The session's embedded PostgreSQL 18 + pgvector; APEXDB_HOME points at it."""
    os.environ["APEXDB_HOME"] = str(pg_home)
    server = _start(pg_home)
    yield server
    _stop(server)


@pytest.fixture(scope="session")
def pg15_server(tmp_path_factory, clean_environment):
    """Debian's PostgreSQL 15 (no pgvector), when the machine has it."""
    if not (PG15_BIN / "postgres").exists():
        pytest.skip("Debian's PostgreSQL 15 is not installed (.ci/run installs it)")
    home = tmp_path_factory.mktemp("pg15-home")
    server = _start(home, PG15_BIN)
    yield server
    _stop(server)


def _new_database(server: EmbeddedServer) -> Database:
    name = f"t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE apex_template')
    return Database(server, name)


def _drop_database(db: Database) -> None:
    with psycopg.connect(db.server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')


@pytest.fixture
def db(pg_server) -> Database:
    """A fresh database (vector and pg_stat_statements created) on the PostgreSQL 18 server."""
    database = _new_database(pg_server)
    yield database
    _drop_database(database)


@pytest.fixture(params=["pg18", "pg15"])
def any_db(request) -> Database:
    """A fresh database on each server version: for version-sensitive tests."""
    server = request.getfixturevalue("pg_server" if request.param == "pg18" else "pg15_server")
    database = _new_database(server)
    yield database
    _drop_database(database)


def run_cli(args: list[str], env: dict[str, str] | None = None, input: str | None = None) -> Result:
    """Run apexdb in-process through Typer's CliRunner (stdout and stderr apart)."""
    from apexdb.cli.app import app

    runner = CliRunner()
    result = runner.invoke(app, [str(a) for a in args], env=env, input=input, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def apex(db):
    """``apex("info", "--format", "json")``: the CLI against this test's database."""

    def invoke(*args, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return run_cli(list(args), env={"APEXDB_DSN": db.dsn, **(env or {})}, input=input)

    return invoke


def apexdb_executable() -> list[str]:
    found = Path(sys.executable).parent / "apexdb"
    if found.exists():
        return [str(found)]
    which = shutil.which("apexdb")
    return [which] if which else [sys.executable, "-m", "apexdb"]


@pytest.fixture
def apex_proc(db):
    """The installed ``apexdb`` entry point as a subprocess, against this test's database."""

    def invoke(*args, env: dict[str, str] | None = None, timeout: float = 120, **kwargs) -> Result:
        full_env = {**os.environ, "APEXDB_DSN": db.dsn, **(env or {})}
        proc = subprocess.run([*apexdb_executable(), *map(str, args)], capture_output=True, text=True,
                              env=full_env, timeout=timeout, **kwargs)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return invoke


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pgbouncer(pg_server, tmp_path_factory):
    """Debian's pgbouncer in transaction mode on 127.0.0.1, in front of the test server.

    Yields a function ``dsn(dbname)`` giving a DSN through the pooler.
    """
    import pwd
    import time

    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        pytest.fail("pgbouncer is not installed (.ci/run installs Debian's pgbouncer)")
    workdir = tmp_path_factory.mktemp("pgbouncer")
    port = _free_port()
    (workdir / "userlist.txt").write_text('"postgres" ""\n')
    (workdir / "pgbouncer.ini").write_text(f"""\
[databases]
* = host={pg_server.socket_dir} port={pg_server.port} user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/userlist.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
""")
    argv = [binary, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses root; run it as the embedded server's user
        owner = pwd.getpwnam("apexdb")
        for path in [workdir, *workdir.iterdir()]:
            os.chown(path, owner.pw_uid, owner.pw_gid)
        for parent in workdir.parents:
            parent.chmod(parent.stat().st_mode | 0o001)
        argv = [binary, "-u", "apexdb", str(workdir / "pgbouncer.ini")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/apexdb", connect_timeout=2,
                                 prepare_threshold=None) as conn:
                conn.execute("SELECT 1")
            break
        except psycopg.OperationalError:
            if proc.poll() is not None:
                pytest.fail(f"pgbouncer exited: {proc.stdout.read().decode()[-500:]}")
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("pgbouncer did not start in 15 s")
    yield lambda dbname: f"postgresql://postgres@127.0.0.1:{port}/{dbname}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- a streaming replica of the session server (for the cluster tests) ---------------------------------
@pytest.fixture(scope="session")
def pg_replica(pg_server, tmp_path_factory) -> EmbeddedServer:
    """A streaming replica (hot standby) of the session's PostgreSQL 18 server, stopped at session end."""
    from apexdb.db.embedded_replica import start_replica

    replica = start_replica(pg_server, tmp_path_factory.mktemp("apexdb-replica"), "r1", TEST_SETTINGS)
    yield replica
    _stop(replica)


def wait_replayed(primary_dsn: str, replica: EmbeddedServer) -> None:
    """Wait until ``replica`` has replayed all the primary wrote so far (a sync point, not a timing assertion)."""
    from apexdb.db.embedded_replica import wait_replayed as wait

    wait(primary_dsn, replica)
