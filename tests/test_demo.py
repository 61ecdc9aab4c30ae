"""`apexdb demo`, the README's main job: the whole tour, twice, through the installed entry point."""
from __future__ import annotations

import os
import subprocess

import psycopg

from apexdb.cli.demo import DEMO_STEPS

from support import apexdb_executable


def test_the_whole_tour_runs_and_can_run_again(pg_server):
    env = {k: v for k, v in os.environ.items() if k not in ("APEXDB_DSN", "DATABASE_URL")}
    env["APEXDB_HOME"] = str(pg_server.home)
    for _ in range(2):
        proc = subprocess.run([*apexdb_executable(), "demo"], capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr
        for number, (title, _argv) in enumerate(DEMO_STEPS, 1):
            assert f"── {number}. {title}" in proc.stdout
        assert "That was the tour." in proc.stdout
    with psycopg.connect(pg_server.dsn()) as conn:
        assert conn.execute("SELECT count(*) FROM demo_items").fetchone()[0] == 3000
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone()[0] == 0
