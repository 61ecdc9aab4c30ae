"""How ``index create`` sizes maintenance_work_mem and workers, and the IVFFlat lists rule."""
from __future__ import annotations

import pytest

from apexdb.errors import BadInput
from apexdb.ops.index import sizing as index_sizing
from apexdb.ops.index.plan import IndexRequest, auto_lists, plan_index
from apexdb.ops.index.sizing import MB, HostFacts, estimate_hnsw_bytes, parse_size, size_build

from support import make_table


def test_auto_lists_follows_pgvector_advice():
    assert auto_lists(0) == 1 and auto_lists(999) == 1
    assert auto_lists(250_000) == 250 and auto_lists(1_000_000) == 1000
    assert auto_lists(4_000_000) == 2000  # sqrt(rows) above 1M


def test_hnsw_estimate_matches_where_pgvector_overflows():
    # pgvector reported "no longer fits into maintenance_work_mem after 7446 tuples" at 16MB for
    # 384-d vectors, m=16: about 2.25 kB per tuple. The estimate must not be below that.
    per_tuple = 16 * MB / 7446
    est = estimate_hnsw_bytes(60_000, "vector", 384, 16)
    assert 60_000 * per_tuple <= est <= 60_000 * per_tuple * 1.5
    assert estimate_hnsw_bytes(60_000, "halfvec", 384, 16) < est  # half the value bytes
    assert estimate_hnsw_bytes(60_000, "vector", 384, 32) > est  # more neighbours


@pytest.mark.parametrize("text,expected", [("512MB", 512 * MB), ("2GB", 2048 * MB), ("1.5gb", 1536 * MB),
                                           ("800kB", None), ("lots", None), ("1048576", MB)])
def test_parse_size(text, expected):
    if expected is None:
        with pytest.raises(BadInput):
            parse_size(text)
    else:
        assert parse_size(text) == expected


@pytest.fixture
def big_plan(db):
    """A plan for a table whose graph would need far more memory than any cap (rows faked)."""
    import psycopg

    make_table(db, rows=100, dims=384)
    conn = psycopg.connect(db.dsn, autocommit=True)
    plan = plan_index(conn, IndexRequest(table="items", column="embedding"))
    plan.rows = 5_000_000
    yield conn, plan
    conn.close()


def test_memory_is_capped_by_what_the_server_host_can_spare(big_plan, monkeypatch):
    conn, plan = big_plan
    monkeypatch.setattr(index_sizing, "host_facts", lambda c: HostFacts(4096 * MB, 8, "server"))
    sizing = size_build(conn, plan)
    assert sizing.maintenance_work_mem_bytes == 2048 * MB  # half of what is available
    assert sizing.workers == 7 and sizing.settings()["max_parallel_maintenance_workers"] == "7"
    assert "capped by half the 4.0 GB the server host has available" in sizing.reasons[0]
    assert "8 cores" in sizing.reasons[1]


def test_unknown_host_caps_at_1gb_and_keeps_the_workers(big_plan, monkeypatch):
    conn, plan = big_plan
    monkeypatch.setattr(index_sizing, "host_facts", lambda c: HostFacts(None, None, "unknown"))
    sizing = size_build(conn, plan)
    assert sizing.maintenance_work_mem_bytes == 1024 * MB
    assert "1 GB ceiling" in sizing.reasons[0] and "--memory" in sizing.reasons[0]
    assert sizing.workers == sizing.current_workers and "not visible" in sizing.reasons[1]
    flagged = size_build(conn, plan, memory="3GB")  # --memory allows more when the host is unknown
    assert flagged.maintenance_work_mem_bytes == 3072 * MB


def test_small_graph_keeps_the_server_setting(db):
    import psycopg

    make_table(db, rows=100, dims=8)
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        plan = plan_index(conn, IndexRequest(table="items", column="embedding"))
        sizing = size_build(conn, plan)
        assert sizing.maintenance_work_mem_bytes == sizing.current_memory_bytes
        assert "kept" in sizing.reasons[0] and "which fits" in sizing.reasons[0]


def test_small_dev_shm_makes_a_parallel_hnsw_build_serial(big_plan, monkeypatch):
    conn, plan = big_plan
    monkeypatch.setattr(index_sizing, "host_facts", lambda c: HostFacts(4096 * MB, 4, "local"))
    monkeypatch.setattr(index_sizing, "_local_shm_free", lambda facts, dsm: 64 * MB)
    sizing = size_build(conn, plan)
    assert sizing.maintenance_work_mem_bytes == 2048 * MB and sizing.workers == 0
    assert "/dev/shm, which has only 64.0 MB free" in sizing.reasons[-1]
    assert size_build(conn, plan, workers=2).workers == 2  # an explicit --workers is obeyed
