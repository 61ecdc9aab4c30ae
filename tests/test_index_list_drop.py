"""``apexdb index list`` and ``apexdb index drop``."""
from __future__ import annotations

from support import indexes, make_table, run_cli


def test_list_shows_every_index_with_its_shape_and_use(apex, db):
    make_table(db, rows=500, dims=8)
    db.sql("CREATE INDEX items_note ON items (note)")
    db.sql("CREATE INDEX items_ivf ON items USING ivfflat (embedding vector_l2_ops) WITH (lists = 3)")
    db.sql("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_ip_ops) WITH (m = 12)")
    db.sql("ANALYZE items")
    with db.connect() as conn:  # use items_note once, and flush the statistics now
        conn.execute("SET enable_seqscan = off")
        conn.execute("SELECT * FROM items WHERE note = 'row 1'").fetchall()
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")
    r = apex("index", "list", "--format", "json")
    assert r.exit_code == 0, r
    by_name = {i["name"]: i for i in r.json}
    assert set(by_name) == {"items_pkey", "items_note", "items_ivf", "items_hnsw"}
    assert by_name["items_pkey"]["is_primary"] and by_name["items_pkey"]["metric"] is None
    assert by_name["items_pkey"]["bytes_per_row"] is None  # only for vector indexes
    ivf, hnsw = by_name["items_ivf"], by_name["items_hnsw"]
    assert (ivf["method"], ivf["metric"], ivf["lists"], ivf["m"]) == ("ivfflat", "l2", 3, None)
    # ef_construction was not given: pgvector's default is reported
    assert (hnsw["method"], hnsw["metric"], hnsw["m"], hnsw["ef_construction"]) == ("hnsw", "ip", 12, 64)
    assert all(i["table_rows"] == 500 and i["valid"] and i["ready"] for i in r.json)
    assert hnsw["bytes_per_row"] > 0 and hnsw["table"] == "items"
    assert by_name["items_note"]["scans"] == 1 and hnsw["scans"] == 0
    assert by_name["items_note"]["last_scan"] is not None
    assert "stats_reset" in hnsw and "last_scan" in hnsw

    only_vector = apex("index", "list", "items", "--vector", "--format", "json").json
    assert {i["name"] for i in only_vector} == {"items_ivf", "items_hnsw"}

    table = apex("index", "list", "items")
    assert table.exit_code == 0
    assert "items_hnsw" in table.stdout and "m=12, ef_construction=64" in table.stdout and "lists=3" in table.stdout


def test_list_marks_invalid_indexes_and_reports_unknown_tables(apex, db):
    import psycopg
    import pytest

    make_table(db, rows=20, dims=4)
    with pytest.raises(psycopg.errors.DivisionByZero):
        db.sql("CREATE INDEX CONCURRENTLY broken ON items USING hnsw (embedding vector_l2_ops) WHERE 1/(id-5) > -1")
    r = apex("index", "list", "items")
    assert r.exit_code == 0
    assert any("broken" in line and "INVALID" in line for line in r.stdout.splitlines())
    r = apex("index", "list", "nosuch")
    assert r.exit_code == 2 and "does not exist" in r.stderr
    empty = apex("index", "list", "items", "--vector", "--format", "json")
    assert [i["valid"] for i in empty.json] == [False]


def test_drop_asks_first_then_drops_concurrently(apex, db):
    make_table(db, rows=50, dims=4)
    db.sql("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops)")
    r = apex("index", "drop", "items_hnsw")
    assert r.exit_code == 2 and "--yes" in r.stderr
    assert "items_hnsw" in indexes(db)
    r = apex("index", "drop", "public.items_hnsw", "--yes", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["dropped"] == "public.items_hnsw" and r.json["concurrently"] is True
    assert indexes(db) == {"items_pkey": True}


def test_drop_refuses_unknown_and_constraint_indexes(apex, db):
    make_table(db, rows=5, dims=4)
    r = apex("index", "drop", "nosuch", "--yes")
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = apex("index", "drop", "items_pkey", "--yes")
    assert r.exit_code == 2 and "constraint" in r.stderr
    assert indexes(db) == {"items_pkey": True}


def test_list_and_refusals_on_each_server_version(any_db, tmp_path):
    """PostgreSQL 18 with pgvector, and Debian's 15 without it: list works, builds and loads say why not."""
    import numpy as np

    any_db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, body text, embedding real[])")
    any_db.sql("CREATE INDEX docs_body ON docs (body)")
    env = {"APEXDB_DSN": any_db.dsn}
    r = run_cli(["index", "list", "docs", "--format", "json"], env=env)
    assert r.exit_code == 0, r
    assert {i["name"] for i in r.json} == {"docs_pkey", "docs_body"}
    assert all(i["last_scan"] is None for i in r.json)  # never scanned (and no such column before 16)
    r = run_cli(["index", "create", "docs", "embedding"], env=env)
    assert r.exit_code == 2 and "real[], not a vector" in r.stderr
    np.save(tmp_path / "v.npy", np.ones((3, 4), dtype=np.float32))
    r = run_cli(["load", "docs", tmp_path / "v.npy"], env=env)
    assert r.exit_code == 2 and "not a vector" in r.stderr
    assert any_db.scalar("SELECT count(*) FROM docs") == 0
