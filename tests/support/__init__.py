"""What the tests share, in one place: ``from support import ...`` (fixtures live in conftest.py).

- the harness: test servers and databases, the CLI in-process (``run_cli``) or as the installed
  program (``apexdb_executable``), optional parts of the machine (``require_optional``);
- waiting without timing assumptions (``wait_for`` polls a condition, with a generous deadline);
- fingerprints that show a command changed nothing (``catalog_fingerprint``, ``schema_snapshot``);
- data makers: vector tables, dead tuples, clustered vectors and their exact neighbours, audit
  schemas, Alembic versions, lint runs;
- a writer process that inserts and updates rows while apexdb works (``start_writer``).

The pieces live in this package's modules (fingerprints, data, writer); import them from here.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent.parent  # tests/
REPO = HERE.parent
PG15_BIN = Path("/usr/lib/postgresql/15/bin")
TEST_SETTINGS = {"fsync": "off", "full_page_writes": "off", "shared_buffers": "128MB", "max_connections": "200",
                 "max_prepared_transactions": "10", "pg_stat_statements.max": "20000"}
REQUIRE_OPTIONAL = "APEXDB_TEST_REQUIRE_OPTIONAL"  # set (to 1) by .ci/run: a missing optional part fails
_counter = itertools.count()


# -- the harness ------------------------------------------------------------------------------------

def require_optional(missing: str) -> None:
    """Skip the test because ``missing`` (one line: what, and who installs it) is not on this machine;
    fail instead when APEXDB_TEST_REQUIRE_OPTIONAL is set, so CI always runs these tests."""
    import pytest

    if os.environ.get(REQUIRE_OPTIONAL, "") not in ("", "0"):
        pytest.fail(f"{missing}, and {REQUIRE_OPTIONAL} is set", pytrace=False)
    pytest.skip(missing)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Result(exit_code={self.exit_code}, stdout={self.stdout[-2000:]!r}, stderr={self.stderr[-2000:]!r})"


class Database:
    """One test's own database on a test server."""

    def __init__(self, server, name: str):
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


def start_server(home: Path, bin_dir: Path | None = None, settings: dict | None = None):
    """An embedded server in ``home`` (Debian's binaries from ``bin_dir``) with the apex_template database."""
    from apexdb.db.embedded import EmbeddedServer

    server = EmbeddedServer(home, bin_dir=bin_dir, extra_settings=settings or TEST_SETTINGS)
    server.ensure_running()
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS apex_template")
        conn.execute("CREATE DATABASE apex_template TEMPLATE apexdb")
    return server


def stop_server(server) -> None:
    try:
        server._pg("pg_ctl", "-D", str(server.data_dir), "-m", "immediate", "-w", "stop")
    except Exception:
        pass


def new_database(server) -> Database:
    name = f"t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE apex_template')
    return Database(server, name)


def drop_database(db: Database) -> None:
    with psycopg.connect(db.server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')


def run_cli(args: list, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    """Run apexdb in-process through Typer's CliRunner (stdout and stderr apart)."""
    from typer.testing import CliRunner

    from apexdb.cli.app import app

    result = CliRunner().invoke(app, [str(a) for a in args], env=env, input=input, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def apexdb_executable() -> list[str]:
    found = Path(sys.executable).parent / "apexdb"
    if found.exists():
        return [str(found)]
    which = shutil.which("apexdb")
    return [which] if which else [sys.executable, "-m", "apexdb"]


def start_apexdb(dsn: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    """The installed ``apexdb`` as a process (for signals and kills), text pipes."""
    return subprocess.Popen([*apexdb_executable(), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "APEXDB_DSN": dsn, **(env or {})})


def one_clear_line(r: Result) -> str:
    """The one non-empty stderr line of a refused command (no traceback anywhere)."""
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    return lines[0]


def wait_for(predicate, what: str = "the condition", timeout: float = 60.0, step: float = 0.05):
    """Poll ``predicate`` until it gives something true (returned); an AssertionError after ``timeout``.
    The deadline only bounds a hang: no test asserts how fast anything happens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


# The rest of the package, importable from here like everything above.
from support.data import (APEX_TABLES, AUDIT_SMALL, LINT_KEYS, LINT_PROJECT, LINT_SQL, clean_schema,  # noqa: E402
                          clustered, dead_tuples, drop_role, findings, indexes, lint, load_items, make_dead_tuples,
                          make_role, make_table,
                          pin_first_page, release_pin, run_flushed, true_neighbours, use_indexes, TUNE_DIMS, TUNE_K,
                          TUNE_ROWS, WEAK_HNSW, tune_data)
from support.fingerprints import alembic_version, catalog_fingerprint, schema_snapshot, tables  # noqa: E402
from support.writer import start_writer, stop_writer  # noqa: E402
from support.report import (REPORT_SCRIPT_ALIAS, REPORT_SEARCHES, make_report_database, report_workload,  # noqa: E402
                            tune_and_store, with_history_database)

__all__ = ["APEX_TABLES", "AUDIT_SMALL", "Database", "HERE", "LINT_KEYS", "LINT_PROJECT", "LINT_SQL", "PG15_BIN", "REPO",
           "Result", "TEST_SETTINGS", "alembic_version", "apexdb_executable", "catalog_fingerprint", "clean_schema",
           "clustered", "dead_tuples", "drop_database", "drop_role", "findings", "indexes", "lint", "load_items", "make_dead_tuples",
           "make_report_database", "make_role", "make_table", "new_database", "pin_first_page", "release_pin", "one_clear_line", "REPORT_SCRIPT_ALIAS", "REPORT_SEARCHES", "report_workload", "require_optional",
           "tune_and_store", "with_history_database", "run_cli", "run_flushed",
           "schema_snapshot", "start_apexdb", "start_server", "start_writer", "stop_server", "stop_writer", "tables",
           "true_neighbours", "use_indexes", "wait_for"]
