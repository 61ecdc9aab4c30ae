"""apexdb stats: pg_stat_statements on both server versions, tables, indexes, cache, activity, settings."""
from __future__ import annotations

import threading

import psycopg
import pytest

from support import run_cli


def cli(database, *args, input=None):
    return run_cli(list(args), env={"APEXDB_DSN": database.dsn}, input=input)


def run_workload(database, times: int = 5) -> None:
    database.sql("CREATE TABLE IF NOT EXISTS qt (id int PRIMARY KEY, v int)")
    database.sql("INSERT INTO qt SELECT g, g FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING")
    with database.connect() as conn:
        for i in range(times):
            conn.execute("SELECT count(*) FROM qt WHERE v > %s", [i]).fetchone()


def test_queries_on_each_server_version(any_db):
    run_workload(any_db)
    r = cli(any_db, "stats", "queries", "--format", "json", "--limit", "50")
    assert r.exit_code == 0, r
    mine = [row for row in r.json if "FROM qt WHERE v >" in row["query"]]
    assert len(mine) == 1, r.json
    row = mine[0]
    assert row["calls"] == 5 and row["rows"] == 5
    assert row["total_ms"] > 0 and 0 < row["share"] <= 1
    assert row["mean_ms"] == pytest.approx(row["total_ms"] / 5)
    assert row["hit_ratio"] is not None and row["io_ms"] is not None
    # --min-calls leaves it out; --sort calls orders by calls
    r = cli(any_db, "stats", "queries", "--format", "json", "--min-calls", "6")
    assert r.exit_code == 0 and not any("FROM qt WHERE v >" in row["query"] for row in r.json), r
    r = cli(any_db, "stats", "queries", "--format", "json", "--sort", "calls", "--limit", "5")
    calls = [row["calls"] for row in r.json]
    assert calls == sorted(calls, reverse=True) and len(calls) <= 5


@pytest.mark.parametrize("sort", ["total", "mean", "calls", "rows", "io", "temp"])
def test_every_sort(apex, db, sort):
    run_workload(db, 2)
    r = apex("stats", "queries", "--sort", sort, "--limit", "3")
    assert r.exit_code == 0, r
    assert f"statements by {sort} (pg_stat_statements 1.1" in r.stdout


def test_query_text_shortened_in_tables_whole_in_json(apex, db):
    long_select = "SELECT " + ", ".join(f"{i} AS column_number_{i}" for i in range(30))
    db.sql(long_select)
    r = apex("stats", "queries", "--limit", "100", "--format", "json")
    assert any(row["query"].endswith("AS column_number_29") for row in r.json), r
    r = apex("stats", "queries", "--limit", "100")
    assert "column_number_29" not in r.stdout and "column_number_0" in r.stdout and "…" in r.stdout


def test_bad_sort_and_limit(apex):
    r = apex("stats", "queries", "--sort", "speed")
    assert r.exit_code == 2 and "unknown sort 'speed'" in r.stderr, r
    r = apex("stats", "queries", "--limit", "0")
    assert r.exit_code == 2, r


def test_reset_asks_first(apex, db):
    run_workload(db, 2)
    r = apex("stats", "queries", "--reset")
    assert r.exit_code == 2 and "needs confirmation: rerun with --yes" in r.stderr, r
    r = apex("stats", "queries", "--format", "json", "--limit", "100")
    assert any("FROM qt WHERE v >" in row["query"] for row in r.json)
    r = apex("stats", "queries", "--reset", "--yes", "--format", "json")
    assert r.exit_code == 0 and r.json["reset"] is True and r.json["statements_forgotten"] >= 1, r
    r = apex("stats", "queries", "--format", "json", "--limit", "100")
    assert not any("FROM qt WHERE v >" in row["query"] for row in r.json), r


def test_extension_missing_or_in_another_schema(apex, db):
    db.sql("DROP EXTENSION pg_stat_statements")
    r = apex("stats", "queries")
    assert r.exit_code == 4, r
    assert "pg_stat_statements is preloaded but not created in this database: CREATE EXTENSION " \
           "pg_stat_statements" in r.stderr
    db.sql("CREATE SCHEMA monitoring")
    db.sql("CREATE EXTENSION pg_stat_statements SCHEMA monitoring")
    run_workload(db, 3)
    r = apex("stats", "queries", "--limit", "50")
    assert r.exit_code == 0, r
    assert "in monitoring)" in r.stdout.splitlines()[0] and "FROM qt WHERE v >" in r.stdout


def test_tables_indexes_and_cache(apex, db):
    run_workload(db, 3)
    db.sql("CREATE INDEX qt_v ON qt (v)")
    db.sql("SELECT * FROM qt WHERE id = 3")
    r = apex("stats", "tables", "--format", "json")
    assert r.exit_code == 0, r
    [qt] = [row for row in r.json if row["table"] == "qt"]
    assert qt["total_bytes"] > qt["table_bytes"] > 0 and qt["seq_scan"] >= 1
    assert qt["last_seq_scan"] is not None  # PostgreSQL 16+ variant
    r = apex("stats", "indexes", "--format", "json")
    names = {row["index"]: row for row in r.json}
    assert names["qt_v"]["method"] == "btree" and names["qt_pkey"]["is_primary"] is True
    r = apex("stats", "cache", "--format", "json")
    assert r.exit_code == 0, r
    assert set(r.json) == {"overall", "tables"}
    assert 0 <= r.json["overall"]["heap_hit_ratio"] <= 1
    assert any(row["table"] == "qt" for row in r.json["tables"])
    r = apex("stats", "cache")
    assert "Overall" in r.stdout and "Per table" in r.stdout


def test_activity_shows_who_blocks_whom_and_idle_in_transaction(apex, db):
    db.sql("CREATE TABLE locked (id int)")
    holder = db.connect()
    holder.autocommit = False
    holder.execute("LOCK TABLE locked IN ACCESS EXCLUSIVE MODE")
    holder_pid = holder.info.backend_pid
    waiter = db.connect()
    waiter_pid = waiter.info.backend_pid
    thread = threading.Thread(target=lambda: waiter.execute("SELECT count(*) FROM locked"), daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if db.scalar("SELECT cardinality(pg_blocking_pids(%s))", [waiter_pid]):
                break
            threading.Event().wait(0.05)
        r = apex("stats", "activity", "--format", "json")
        assert r.exit_code == 0, r
        sessions = {s["pid"]: s for s in r.json["sessions"]}
        assert sessions[waiter_pid]["blocked_by"] == [holder_pid]
        assert sessions[waiter_pid]["flag"] == "blocked" and sessions[waiter_pid]["wait_event_type"] == "Lock"
        assert sessions[holder_pid]["state"] == "idle in transaction"
        assert sessions[holder_pid]["flag"] == "blocking"
        assert r.json["hidden_sessions"] == 0
        r = apex("stats", "activity")
        assert "blocked" in r.stdout and str(holder_pid) in r.stdout
    finally:
        holder.rollback()
        holder.close()
        thread.join(10)
        waiter.close()


def test_settings_recommendations(apex, db):
    db.sql("CREATE TABLE emb (id int, e vector(64))")
    db.sql("INSERT INTO emb SELECT g, (SELECT array_agg(random() + d.i * 0 + g * 0) FROM generate_series(1, 64) d(i))::vector "
           "FROM generate_series(1, 3000) g")
    db.sql("CREATE INDEX emb_hnsw ON emb USING hnsw (e vector_l2_ops)")
    db.sql(f'ALTER DATABASE "{db.name}" SET maintenance_work_mem = \'1MB\'')
    r = apex("stats", "settings", "--ram", "64GB", "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    assert doc["ram_bytes"] == 64 * 1024 ** 3 and doc["ram_source"] == "--ram"
    rows = {row["name"]: row for row in doc["settings"]}
    # RAM x 0.25 / max_connections: 64 GB / 4 / 200 connections (the test server's setting)
    assert rows["work_mem"]["recommended"] == "81MB"
    assert rows["shared_buffers"]["recommended"] == "16GB"
    assert rows["maintenance_work_mem"]["status"] == "warning"
    assert "emb_hnsw" in rows["maintenance_work_mem"]["note"] and "does not fit" in rows["maintenance_work_mem"]["note"]
    assert doc["largest_vector_index"]["name"] == "public.emb_hnsw"
    assert {"hnsw.ef_search", "ivfflat.probes"} <= set(rows)
    # the test server is on this machine: RAM from the OS
    r = apex("stats", "settings", "--format", "json")
    assert r.json["ram_source"] == "os" and r.json["ram_bytes"] > 0
    r = apex("stats", "settings", "--ram", "lots")
    assert r.exit_code == 2 and "cannot read 'lots' as a size" in r.stderr


@pytest.mark.parametrize("command", ["tables", "indexes", "cache", "activity", "settings"])
def test_every_stats_command_on_each_server_version(any_db, command):
    run_workload(any_db, 1)
    r = cli(any_db, "stats", command, "--format", "json")
    assert r.exit_code == 0, r
    r = cli(any_db, "stats", command)
    assert r.exit_code == 0 and "Traceback" not in r.stderr, r


def test_not_preloaded_says_so(tmp_path_factory, pg_server):
    """A server without pg_stat_statements in shared_preload_libraries (the extension created anyway)."""
    from apexdb.db.embedded import EmbeddedServer

    home = tmp_path_factory.mktemp("no-preload")
    server = EmbeddedServer(home, extra_settings={"shared_preload_libraries": "''", "fsync": "off"})
    server.ensure_running()
    try:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        r = run_cli(["stats", "queries"], env={"APEXDB_DSN": server.dsn()})
        assert r.exit_code == 4, r
        assert "pg_stat_statements is not loaded: add it to shared_preload_libraries and restart the server" \
            in r.stderr
        r = run_cli(["stats", "tables"], env={"APEXDB_DSN": server.dsn()})
        assert r.exit_code == 0, r  # the rest of stats does not need it
    finally:
        server.stop()


def test_settings_on_a_remote_server_without_ram_says_unknown(apex, monkeypatch):
    import apexdb.ops.stats_settings as stats_settings

    monkeypatch.setattr(stats_settings, "server_is_local", lambda conn: False)
    r = apex("stats", "settings", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["ram_bytes"] is None and r.json["ram_source"] == "unknown"
    rows = {row["name"]: row for row in r.json["settings"]}
    assert rows["work_mem"]["recommended"] == "RAM x 0.25 / max_connections"
    assert "RAM unknown" in r.stderr and "--ram" in r.stderr
    r = apex("stats", "settings", "--ram", "32GB", "--format", "json")
    assert r.json["ram_source"] == "--ram"


def test_server_is_local():
    from types import SimpleNamespace

    from apexdb.ops.stats_settings import server_is_local

    for host, local in (("/tmp/sock", True), ("localhost", True), ("127.0.0.1", True), ("db.example.com", False),
                        ("10.0.0.5", False)):
        assert server_is_local(SimpleNamespace(info=SimpleNamespace(host=host))) is local
