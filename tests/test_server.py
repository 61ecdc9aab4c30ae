"""The embedded server's lifecycle and the faults a user can meet with it."""
from __future__ import annotations

import os
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from apexdb.db.embedded import EmbeddedServer

from support import one_clear_line, run_cli


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    path = tmp_path_factory.mktemp("srv")
    yield path
    try:
        EmbeddedServer(path).stop()
    except Exception:
        pass


def server_cli(home: Path, *args: str):
    return run_cli(list(args), env={"APEXDB_HOME": str(home)})


def test_start_status_url_logs_stop(home, pg_server):
    r = server_cli(home, "server", "start", "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    assert doc["running"] is True and doc["version"] == "18"
    assert Path(doc["data_dir"]) == home / "data"

    # the data directory is private and the server listens on a unix socket only
    assert stat.S_IMODE(os.stat(home / "data").st_mode) == 0o700
    r = run_cli(["info", "--format", "json"], env={"APEXDB_HOME": str(home)})
    assert r.exit_code == 0, r
    assert r.json["vector_version"] and r.json["target"]["source"] == "embedded"
    server = EmbeddedServer(home)
    with __import__("psycopg").connect(server.dsn()) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
        assert "pg_stat_statements" in conn.execute("SHOW shared_preload_libraries").fetchone()[0]

    # `server url` prints a DSN that psql accepts
    url = server_cli(home, "server", "url").stdout.strip()
    psql = server.bin_dir / "psql"
    out = subprocess.run([str(psql), url, "-Atc", "SELECT extname FROM pg_extension ORDER BY 1"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert "vector" in out and "pg_stat_statements" in out

    r = server_cli(home, "server", "status")
    assert r.exit_code == 0 and "running" in r.stdout and "PostgreSQL 18" in r.stdout
    r = server_cli(home, "server", "logs", "-n", "5")
    assert r.exit_code == 0 and r.stdout.strip()

    r = server_cli(home, "server", "stop")
    assert r.exit_code == 0 and "stopped" in r.stdout
    r = server_cli(home, "server", "status", "--format", "json")
    assert r.exit_code == 3 and r.json["running"] is False


def test_stale_postmaster_pid_is_removed(home, pg_server):
    server_cli(home, "server", "stop")
    pid_file = home / "data" / "postmaster.pid"
    pid_file.write_text("999999\n" + str(home / "data") + "\n1700000000\n5432\n/tmp\n\n  0 0\nready\n")
    r = server_cli(home, "server", "start", "--format", "json")
    assert r.exit_code == 0, r
    assert "stale postmaster.pid" in r.stderr
    assert r.json["running"] is True
    server_cli(home, "server", "stop")


def test_pid_file_naming_another_live_process(home, pg_server):
    server_cli(home, "server", "stop")
    pid_file = home / "data" / "postmaster.pid"
    pid_file.write_text(f"{os.getpid()}\n{home / 'data'}\n1700000000\n5432\n/tmp\n\n  0 0\nready\n")
    try:
        r = server_cli(home, "server", "start")
        assert r.exit_code == 3
        assert "not PostgreSQL" in one_clear_line(r)
    finally:
        pid_file.unlink()


def test_data_directory_from_another_major_version(tmp_path, pg_server):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "PG_VERSION").write_text("15\n")
    r = server_cli(tmp_path, "server", "start")
    assert r.exit_code == 2
    line = one_clear_line(r)
    assert "PostgreSQL 15 cluster" in line and "pg_upgrade" in line


def test_socket_already_in_use(tmp_path, pg_server):
    home = tmp_path / "h"
    sock_dir = EmbeddedServer(home).socket_dir
    sock_dir.mkdir(parents=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_dir / ".s.PGSQL.5432"))
    listener.listen(1)
    try:
        r = server_cli(home, "server", "start")
        assert r.exit_code == 3
        assert "already in use" in one_clear_line(r)
    finally:
        listener.close()


def test_unwritable_home_for_server_start(pg_server):
    r = server_cli(Path("/proc/apexdb-nope"), "server", "start")
    assert r.exit_code == 2
    assert "not writable" in one_clear_line(r)
