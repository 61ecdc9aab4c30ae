"""apexdb's DDL and audits while a writer inserts and updates rows without pause.

The writer (support.start_writer) runs as its own process on the unix socket. While it writes,
apexdb builds an index, reindexes it, migrates (a new column and an index) and audits everything.
No write may wait for a lock longer than lock_timeout plus a margin: the writer runs with that
as its own lock_timeout, so a longer wait fails the write (a server-side measure, not a clock in
the test that CPU load could stretch). And no write may be lost: the rows and the sum the writer
expects are what the table holds afterwards.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from support import run_cli, start_writer, stop_writer, wait_for

LOCK_TIMEOUT_S = 2
MARGIN_S = 2
HERE = Path(__file__).parent


def test_ddl_and_audits_while_a_writer_writes(db, tmp_path):
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
    writer = start_writer(db.dsn, "load_t", out, lock_timeout=f"{LOCK_TIMEOUT_S + MARGIN_S}s")
    env = {"APEXDB_DSN": db.dsn, "APEXDB_LOCK_TIMEOUT": f"{LOCK_TIMEOUT_S}s"}
    try:
        wait_for(lambda: db.scalar("SELECT count(*) FROM load_t") > 30000, "the writer's first insert")
        steps = [
            ["index", "create", "load_t", "embedding", "--name", "load_t_ann"],
            ["reindex", "load_t_ann", "--yes"],
            ["migrate", "--config", str(project / "alembic.ini")],
            ["audit", "all", "--format", "json"],
        ]
        for argv in steps:
            r = run_cli(argv, env=env)
            assert r.exit_code in (0, 1), (argv, r)  # audit may exit 1 on findings; nothing may fail
        writes_so_far = db.scalar("SELECT count(*) FROM load_t")
        wait_for(lambda: db.scalar("SELECT count(*) FROM load_t") > writes_so_far, "a write after the last step")
    finally:
        report = stop_writer(writer, out)

    print(report)
    assert report["failures"] == []  # a write that waited longer than lock_timeout + margin would be here
    assert report["inserted"] > 1 and report["writes"] >= report["inserted"]
    assert db.scalar("SELECT count(*) FROM load_t") == report["rows"]
    assert db.scalar("SELECT sum(v) FROM load_t") == report["expected_sum"]
    # and the DDL really happened
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'load_t_ann'::regclass") is True
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_load_t_v'::regclass") is True
    assert db.scalar("SELECT count(*) FROM information_schema.columns "
                     "WHERE table_name = 'load_t' AND column_name = 'note'") == 1
