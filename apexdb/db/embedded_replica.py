"""A streaming replica of an embedded server: for the test suite, benchmarks and demos.

``pg_basebackup -R -X stream`` from the primary's unix socket (its pg_hba lets the
superuser replicate over the socket), then started as a hot standby in its own home and
socket directory. Its ``cluster_name`` is its name, so the primary's pg_stat_replication
shows it under that name.
"""
from __future__ import annotations

import time
from pathlib import Path

from apexdb.db.embedded import EmbeddedServer
from apexdb.errors import NotConnected


def start_replica(primary: EmbeddedServer, home: Path, name: str,
                  extra_settings: dict[str, str] | None = None) -> EmbeddedServer:
    """Clone ``primary`` into ``home`` and start it as a hot standby named ``name``."""
    settings = {**(extra_settings or {}), "hot_standby": "on", "cluster_name": f"'{name}'"}
    replica = EmbeddedServer(home, bin_dir=primary.bin_dir, extra_settings=settings)
    replica._check_home()
    if replica.run_as_root:
        replica._grant_traverse(replica.home)
    replica._own(replica.home, 0o700)
    replica._own(replica.log_file.parent, 0o700)
    replica._pg("pg_basebackup", "-D", str(replica.data_dir), "-R", "-c", "fast", "-X", "stream",
                "-d", f"host={primary.socket_dir} port={primary.port} user=postgres application_name={name}",
                timeout=600)
    replica.ensure_running()
    return replica


def wait_replayed(primary_dsn: str, replica: EmbeddedServer, deadline_s: float = 120) -> None:
    """Wait until ``replica`` has replayed everything written on the primary so far (a sync point)."""
    import psycopg

    with psycopg.connect(primary_dsn, autocommit=True) as conn:
        # a WAL record flushed at once (a commit under synchronous_commit = off may still sit in WAL
        # buffers): once the replica has replayed it, it has replayed all before it
        lsn = conn.execute("SELECT pg_logical_emit_message(false, 'apexdb-sync', '', true)::text").fetchone()[0]
    end = time.monotonic() + deadline_s
    with psycopg.connect(replica.dsn("postgres"), autocommit=True) as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[0]:
            if time.monotonic() > end:
                raise NotConnected(f"the replica in {replica.home} did not replay up to {lsn} in {deadline_s:.0f} s")
            time.sleep(0.05)
