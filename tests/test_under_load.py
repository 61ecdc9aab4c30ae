"""apexdb's DDL and audits while a writer inserts and updates rows without pause.

The writer (tests/load_writer.py) runs as its own process on the unix socket, bounded in time.
While it writes, apexdb builds an index, reindexes it, migrates (a new column and an index) and
audits everything. No write may wait longer than lock_timeout plus a margin, and no write may be
lost: the rows and the sum the writer expects are what the table holds afterwards.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from conftest import run_cli

LOCK_TIMEOUT_S = 2
MARGIN_S = 2.0
HERE = Path(__file__).parent


def test_ddl_and_audits_while_a_writer_writes(db, tmp_path, monkeypatch):
    rng = np.random.default_rng(11)
    db.sql("CREATE TABLE load_t (id bigserial PRIMARY KEY, v int NOT NULL, embedding vector(16))")
    with db.connect() as conn:
        with conn.cursor().copy("COPY load_t (v, embedding) FROM STDIN") as copy:
            for _ in range(30000):
                copy.write_row([int(rng.integers(1, 1000)), "[" + ",".join(f"{x:.4f}" for x in rng.random(16)) + "]"])
    db.sql("ANALYZE load_t")

    project = tmp_path / "project"
    shutil.copytree(HERE / "fixtures" / "load_project", project)
    out = tmp_path / "writer.json"
    writer = subprocess.Popen([sys.executable, str(HERE / "load_writer.py"), db.dsn, "load_t", "90", str(out)])
    env = {"APEXDB_DSN": db.dsn, "APEXDB_LOCK_TIMEOUT": f"{LOCK_TIMEOUT_S}s"}
    try:
        time.sleep(1.0)  # the writer is under way
        steps = [
            ["index", "create", "load_t", "embedding", "--name", "load_t_ann"],
            ["reindex", "load_t_ann", "--yes"],
            ["migrate", "--config", str(project / "alembic.ini")],
            ["audit", "all", "--format", "json"],
        ]
        for argv in steps:
            r = run_cli(argv, env=env)
            assert r.exit_code in (0, 1), (argv, r)  # audit may exit 1 on findings; nothing may fail
        time.sleep(0.5)
    finally:
        out.with_name(out.name + ".stop").touch()
        writer.wait(60)
    report = json.loads(out.read_text())

    print(report)
    assert report["failures"] == []
    assert report["writes"] > 100
    assert report["slowest_s"] < LOCK_TIMEOUT_S + MARGIN_S, report
    assert db.scalar("SELECT count(*) FROM load_t") == report["rows"]
    assert db.scalar("SELECT sum(v) FROM load_t") == report["expected_sum"]
    # and the DDL really happened
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'load_t_ann'::regclass") is True
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_load_t_v'::regclass") is True
    assert db.scalar("SELECT count(*) FROM information_schema.columns "
                     "WHERE table_name = 'load_t' AND column_name = 'note'") == 1
