"""Replication health on a real primary and streaming replica: paused replay with writes going
on, an orphaned slot retaining WAL, a synchronous standby that is not there, queries cancelled
on the replica, settings that differ; and ``--apply`` touching the primary only.

Each test undoes what it changed on the shared servers (resume, drop, RESET) in ``finally``.
"""
from __future__ import annotations

import psycopg
import pytest

from apexdb.ops.cluster.health import parse_sync_names
from support import run_cli, run_flushed as run
from support.cluster import by_check, set_system, until

pytestmark = pytest.mark.replica


def test_paused_replay_with_writes_going_on(cluster):
    cluster.sync()
    replica = cluster.replica.dsn("postgres")
    with psycopg.connect(replica, autocommit=True) as rc:
        rc.execute("SELECT pg_wal_replay_pause()")
        try:
            n = iter(range(10_000))
            until(replica, "SELECT pg_get_wal_replay_pause_state() = 'paused' AND "
                           "pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()",
                  between=lambda: cluster.db.sql(f"CREATE TABLE w{next(n)} AS SELECT g FROM generate_series(1, 2000) g"))
            r = cluster("audit", "replication", "--cluster", "main", "--threshold", "replica_lag_bytes_warning=1",
                        "--format", "json")
            paused = by_check(r.json, "replay_paused")["r1"]
            assert paused["target"] == "r1" and paused["severity"] == "critical"  # behind by more than the threshold
            assert "SELECT pg_wal_replay_resume();" in paused["fix"]
            lag = by_check(r.json, "replica_lag")["r1"]
            assert lag["per_member"]["from_replica"]["received_not_replayed_bytes"] > 0
            assert lag["per_member"]["from_primary"]["replay_behind_bytes"] > 0
            assert "seen from p:" in lag["detail"] and "seen from r1:" in lag["detail"]
            assert r.exit_code == 1, r

            # one server alone (no --cluster): the primary's view of its standbys, named by application_name
            alone = run_cli(["audit", "replication", "--threshold", "replica_lag_bytes_warning=1", "--format", "json"],
                            env={"APEXDB_DSN": cluster.db.dsn})
            seen = by_check(alone.json, "replica_lag")["r1"]
            assert "not a member of the cluster" in seen["detail"] and "not replayed" in seen["detail"]

            info = cluster("info", "--cluster", "main", "--format", "json").json
            assert {m["member"]: m["replay_paused"] for m in info["members"]}["r1"] is True
            assert "replica (replay paused)" in cluster("info", "--cluster", "main").stdout

            # --apply runs on the primary only: resuming replay on r1 is left out, and said so
            r = cluster("audit", "replication", "--cluster", "main", "--apply", "--yes")
            assert "left out" in r.stderr and "replay_paused r1 on r1" in r.stderr
            assert rc.execute("SELECT pg_is_wal_replay_paused()").fetchone()[0] is True
        finally:
            rc.execute("SELECT pg_wal_replay_resume()")
    cluster.sync()


def test_orphaned_slot_is_found_and_apply_drops_it_on_the_primary_only(cluster):
    db, replica = cluster.db, cluster.replica.dsn("postgres")
    db.sql("SELECT pg_create_physical_replication_slot('apexdb_orphan', true)")
    try:
        run(db, "CREATE TABLE w AS SELECT g FROM generate_series(1, 20000) g")  # WAL the slot holds back
        cluster.sync()
        set_system(replica, "work_mem", "7MB")
        r = cluster("audit", "replication", "--cluster", "main", "--format", "json")
        slot = by_check(r.json, "replication_slot")["apexdb_orphan"]
        assert slot["severity"] == "warning" and slot["target"] == "p"
        assert "inactive physical slot" in slot["detail"] and "no member of the cluster streams from it" in slot["detail"]
        assert "SELECT pg_drop_replication_slot('apexdb_orphan');" in slot["fix"]
        differ = by_check(r.json, "member_settings_differ")["r1"]
        assert "work_mem = 7MB here, 16MB on p" in differ["detail"]
        assert "ALTER SYSTEM SET work_mem = '16MB';" in differ["fix"]

        r = cluster("audit", "all", "--cluster", "main", "--format", "json")
        same = [f for f in r.json["findings"] if f["check"] == "replication_slot" and f["object"] == "apexdb_orphan"]
        assert len(same) == 1, same  # judged once (by replication, knowing the consumers), not again by activity

        r = cluster("audit", "replication", "--cluster", "main", "--threshold", "slot_wal_critical_bytes=1",
                    "--format", "json")
        assert by_check(r.json, "replication_slot")["apexdb_orphan"]["severity"] == "critical"
        assert r.exit_code == 1

        r = cluster("audit", "replication", "--cluster", "main", "--apply", "--yes")
        assert "member_settings_differ r1 on r1" in r.stderr, r
        assert db.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'apexdb_orphan'") == 0
        with psycopg.connect(replica, autocommit=True) as conn:
            assert conn.execute("SHOW work_mem").fetchone()[0] == "7MB"  # nothing ran on the replica
    finally:
        db.sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'apexdb_orphan'")
        set_system(replica, "work_mem", None, reset_to="16MB")


def test_synchronous_standby_names_naming_an_absent_standby(cluster):
    primary = cluster.db.server.dsn("postgres")
    set_system(primary, "synchronous_standby_names", "FIRST 1 (ghost)")
    try:
        r = cluster("audit", "replication", "--cluster", "main", "--format", "json")
        found = by_check(r.json, "sync_standby_absent")["p"]
        assert found["severity"] == "critical" and "every COMMIT waits" in found["detail"]
        assert "ghost is not connected (streaming: r1)" in found["detail"]
        assert all(line.startswith("--") for line in found["fix"].splitlines())  # advice, never run by --apply
        set_system(primary, "synchronous_standby_names", "ANY 1 (ghost, r1)")
        found = by_check(cluster("audit", "replication", "--cluster", "main", "--format", "json").json,
                         "sync_standby_absent")["p"]
        assert found["severity"] == "warning"
    finally:
        set_system(primary, "synchronous_standby_names", None, reset_to="")


@pytest.mark.parametrize("value, parsed", [
    ("FIRST 2 (a, b, c)", ("FIRST", 2, ["a", "b", "c"])),
    ('ANY 1 ("r1", r2)', ("ANY", 1, ["r1", "r2"])),
    ("2 (a,b)", ("FIRST", 2, ["a", "b"])),
    ("a, b", ("FIRST", 1, ["a", "b"])),
    ("*", ("FIRST", 1, ["*"])),
])
def test_synchronous_standby_names_syntax(value, parsed):
    assert parse_sync_names(value) == parsed


def test_queries_cancelled_on_the_replica_are_reported_with_the_settings(cluster):
    db, replica = cluster.db, cluster.replica.dsn("postgres")
    run(db, "CREATE TABLE c (id int); ALTER TABLE c SET (autovacuum_enabled = off); "
            "INSERT INTO c SELECT generate_series(1, 1000)")
    cluster.sync()
    set_system(replica, "max_standby_streaming_delay", "0")
    try:
        reader = psycopg.connect(cluster.replica_dsn)
        try:
            reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            reader.execute("SELECT count(*) FROM c").fetchone()  # holds a snapshot that still sees the rows
            db.sql("DELETE FROM c")
            db.sql("VACUUM c")  # removes them: replaying that conflicts with the reader's snapshot
            until(cluster.replica_dsn, "SELECT confl_snapshot > 0 FROM pg_stat_database_conflicts "
                                       "WHERE datname = current_database()")
        finally:
            try:
                reader.close()
            except psycopg.Error:
                pass
        r = cluster("audit", "replication", "--cluster", "main", "--format", "json")
        found = by_check(r.json, "standby_conflicts")["r1"]
        assert found["severity"] == "warning" and found["target"] == "r1"
        assert "hot_standby_feedback = off" in found["detail"] and "max_standby_streaming_delay = 0" in found["detail"]
        assert "ALTER SYSTEM SET hot_standby_feedback = on;" in found["fix"]
    finally:
        set_system(replica, "max_standby_streaming_delay", None, reset_to="30s")
