"""``audit activity`` on a real streaming standby of the test server: hot_standby_feedback is reported
there (where it applies), and the primary's physical slot for it is active, so not a finding."""
from __future__ import annotations

import os
import shutil
import time

import psycopg
import pytest

from conftest import _free_port
from support import run_cli


@pytest.fixture(scope="module")
def standby(pg_server):
    """A hot standby streaming from the session's server through a physical slot; yields its DSN."""
    home = pg_server.home / "standby"
    data, run = home / "data", home / "run"
    shutil.rmtree(home, ignore_errors=True)
    run.mkdir(parents=True)
    owner = pg_server._owner()
    if owner:
        for path in (home, run):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    hba = pg_server.data_dir / "pg_hba.conf"
    if "replication" not in hba.read_text():
        hba.write_text(hba.read_text() + "local   replication   postgres   trust\n")
        with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
    slot = "apexdb_test_standby"
    with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
        conn.execute("SELECT pg_create_physical_replication_slot(%s, true)", [slot])
    port = _free_port()
    try:
        pg_server._pg("pg_basebackup", "-D", str(data), "-R", "-X", "stream", "-c", "fast", "-S", slot,
                      "-h", str(pg_server.socket_dir), "-p", str(pg_server.port), "-U", "postgres", timeout=300)
        with open(data / "postgresql.auto.conf", "a") as conf:  # read after apexdb.conf: these win
            conf.write(f"port = {port}\nunix_socket_directories = '{run}'\nhot_standby_feedback = on\n")
        pg_server._pg("pg_ctl", "-D", str(data), "-l", str(home / "log"), "-w", "-t", "120", "start", timeout=180)
        dsn = f"postgresql://postgres@/apexdb?host={run}&port={port}"
        deadline = time.monotonic() + 60
        while True:  # streaming (not just started): the primary's slot turns active
            with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
                if conn.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", [slot]).fetchone()[0]:
                    break
            if time.monotonic() > deadline:
                pytest.fail("the standby did not start streaming within 60 s")
            time.sleep(0.5)
        yield dsn
    finally:
        try:
            pg_server._pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        except Exception:
            pass
        with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
            conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                         "WHERE slot_name = %s AND NOT active", [slot])
        shutil.rmtree(home, ignore_errors=True)


def test_hot_standby_feedback_is_reported_on_the_standby(standby):
    r = run_cli(["audit", "activity", "--format", "json", "--dsn", standby])
    assert r.exit_code == 0, r
    found = {(f["check"], f["object"]): f for f in r.json["findings"]}
    f = found[("hot_standby_feedback", "hot_standby_feedback")]
    assert f["severity"] == "info" and "hold back the primary's xmin horizon" in f["detail"]


def test_the_primary_with_an_active_standby_slot_is_clean(db, standby):
    r = run_cli(["audit", "activity", "--format", "json", "--dsn", db.dsn])
    assert r.exit_code == 0, r
    assert not [f for f in r.json["findings"] if f["check"] in ("replication_slot", "hot_standby_feedback")]
