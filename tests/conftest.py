"""The fixtures: a throwaway embedded PostgreSQL 18 + pgvector for the whole session, a fresh
database per test, the CLI against it, and the optional servers (Debian's PostgreSQL 15,
pgbouncer, HypoPG). Helpers that tests call live in ``support`` (``from support import ...``).

Nothing here skips for want of the main server: the session starts its own. Debian's PostgreSQL
15 and pgbouncer are optional on a developer's machine: the tests that need them skip with a
one-line reason when they are absent, and fail instead when APEXDB_TEST_REQUIRE_OPTIONAL is set
(``.ci/run`` installs them and sets it).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from support import (PG15_BIN, Database, Result, apexdb_executable, drop_database, new_database, require_optional,
                     run_cli, start_server, stop_server)

_CLEARED_ENV = ("APEXDB_DSN", "DATABASE_URL", "APEXDB_TARGET", "APEXDB_CONFIG", "APEXDB_PORT", "PGHOST",
                "PGPORT", "PGSERVICE", "PGDATABASE", "PGUSER", "PGPASSWORD", "NO_COLOR", "APEXDB_DEBUG")


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
def pg_server(pg_home, clean_environment):
    """The session's embedded PostgreSQL 18 + pgvector; APEXDB_HOME points at it."""
    os.environ["APEXDB_HOME"] = str(pg_home)
    server = start_server(pg_home)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def pg15_server(tmp_path_factory, clean_environment):
    """Debian's PostgreSQL 15 (no pgvector), when the machine has it."""
    if not (PG15_BIN / "postgres").exists():
        require_optional("Debian's PostgreSQL 15 is not installed (.ci/run installs postgresql-15)")
    home = tmp_path_factory.mktemp("pg15-home")
    server = start_server(home, PG15_BIN)
    yield server
    stop_server(server)


@pytest.fixture
def db(pg_server) -> Database:
    """A fresh database (vector and pg_stat_statements created) on the PostgreSQL 18 server."""
    database = new_database(pg_server)
    yield database
    drop_database(database)


@pytest.fixture
def hypopg_db(pg15_server):
    """A fresh database on Debian's PostgreSQL 15 with HypoPG created (hypothetical indexes)."""
    if not Path("/usr/share/postgresql/15/extension/hypopg.control").exists():
        require_optional("HypoPG for PostgreSQL 15 is not installed (.ci/run installs postgresql-15-hypopg)")
    database = new_database(pg15_server)
    database.sql("CREATE EXTENSION hypopg")
    yield database
    drop_database(database)


@pytest.fixture(params=["pg18", "pg15"])
def any_db(request) -> Database:
    """A fresh database on each server version: for version-sensitive tests."""
    server = request.getfixturevalue("pg_server" if request.param == "pg18" else "pg15_server")
    database = new_database(server)
    yield database
    drop_database(database)


@pytest.fixture
def apex(db):
    """``apex("info", "--format", "json")``: the CLI against this test's database."""

    def invoke(*args, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return run_cli(list(args), env={"APEXDB_DSN": db.dsn, **(env or {})}, input=input)

    return invoke


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

    binary = shutil.which("pgbouncer")  # Debian puts it in /usr/sbin; a PATH without it hides it
    if binary is None:
        require_optional("pgbouncer is not on PATH (.ci/run installs Debian's pgbouncer)")
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
    deadline = time.monotonic() + 60  # bounds a hang only: pgbouncer starts in well under a second
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
        pytest.fail("pgbouncer did not start in 60 s")
    yield lambda dbname: f"postgresql://postgres@127.0.0.1:{port}/{dbname}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- a streaming replica of the session server (for the cluster tests) ---------------------------------
@pytest.fixture(scope="session")
def pg_replica(pg_server, tmp_path_factory):
    """A streaming replica (hot standby) of the session's PostgreSQL 18 server, stopped at session end."""
    from apexdb.db.embedded_replica import start_replica
    from support import TEST_SETTINGS

    replica = start_replica(pg_server, tmp_path_factory.mktemp("apexdb-replica"), "r1", TEST_SETTINGS)
    yield replica
    stop_server(replica)


@pytest.fixture
def cluster(db, pg_replica, tmp_path):
    """This test's database on the primary (target p) and on the replica (r1), as [clusters.main]."""
    from support.cluster import ClusterConfig

    return ClusterConfig(db, pg_replica, tmp_path)
