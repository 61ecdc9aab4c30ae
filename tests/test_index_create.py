"""``apexdb index create``: what gets built, what is refused before anything happens, and
that failed or cancelled builds leave no INVALID index behind."""
from __future__ import annotations

import pytest

from support import indexes, make_table, run_cli


def test_hnsw_build_reports_choices_and_index_list_shows_it(apex, db):
    make_table(db)
    r = apex("index", "create", "items", "embedding", "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    assert doc["index"] == "public.items_embedding_hnsw_cosine_idx"
    assert doc["concurrently"] is True and doc["opclass"] == "vector_cosine_ops"
    assert doc["options"] == {"m": 16, "ef_construction": 64} and doc["rows"] == 2000
    assert "maintenance_work_mem" in r.stderr and "max_parallel_maintenance_workers" in r.stderr
    assert "CONCURRENTLY" in r.stderr
    assert indexes(db) == {"items_pkey": True, "items_embedding_hnsw_cosine_idx": True}

    listed = apex("index", "list", "items", "--vector", "--format", "json")
    assert listed.exit_code == 0, listed
    [idx] = listed.json
    assert (idx["name"], idx["method"], idx["metric"], idx["m"], idx["ef_construction"]) == \
        ("items_embedding_hnsw_cosine_idx", "hnsw", "cosine", 16, 64)
    assert idx["valid"] and idx["ready"] and idx["table_rows"] == 2000
    assert idx["size_bytes"] > 0 and idx["bytes_per_row"] == pytest.approx(idx["size_bytes"] / 2000, rel=0.01)
    assert idx["scans"] == 0


def test_custom_parameters_name_and_partial_index(apex, db):
    make_table(db)
    r = apex("index", "create", "items", "--metric", "l2", "--m", "8", "--ef-construction", "32",
             "--name", "items_l2", "--where", "id > 100", "--format", "json")
    assert r.exit_code == 0, r
    [idx] = apex("index", "list", "items", "--vector", "--format", "json").json
    assert (idx["name"], idx["metric"], idx["m"], idx["ef_construction"]) == ("items_l2", "l2", 8, 32)
    assert idx["predicate"] == "id > 100"


def test_ivfflat_lists_auto_is_rows_over_1000(apex, db):
    make_table(db, rows=2500)
    r = apex("index", "create", "items", "embedding", "--method", "ivfflat", "--lists", "auto", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["options"] == {"lists": 2}
    [idx] = apex("index", "list", "--vector", "--format", "json").json
    assert (idx["method"], idx["lists"], idx["metric"]) == ("ivfflat", 2, "cosine")


def test_halfvec_builds_an_expression_index(apex, db):
    make_table(db, rows=300, dims=2500)
    r = apex("index", "create", "items", "embedding", "--halfvec", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["opclass"] == "halfvec_cosine_ops"
    [idx] = apex("index", "list", "items", "--vector", "--format", "json").json
    assert idx["keys"] == ["(embedding::halfvec(2500))"] and idx["opclasses"] == ["halfvec_cosine_ops"]


def test_empty_table_is_built_plainly(apex, db):
    make_table(db, rows=0)
    r = apex("index", "create", "items", "embedding", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["concurrently"] is False and "empty" in r.stderr


def test_plain_build_on_a_large_table_needs_confirmation(apex, db):
    make_table(db, rows=10_000, dims=3)
    r = apex("index", "create", "items", "embedding", "--no-concurrently")
    assert r.exit_code == 2 and "--yes" in r.stderr
    assert indexes(db) == {"items_pkey": True}
    r = apex("index", "create", "items", "embedding", "--no-concurrently", "--yes", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["concurrently"] is False


@pytest.mark.parametrize("args,message", [
    (["nosuch", "embedding"], "table 'nosuch' does not exist"),
    (["items", "nosuch"], "column 'nosuch' does not exist"),
    (["items", "note"], "is text, not a vector"),
    (["items", "embedding", "--m", "1"], "--m must be between 2 and 100"),
    (["items", "embedding", "--m", "101"], "--m must be between 2 and 100"),
    (["items", "embedding", "--ef-construction", "2000"], "--ef-construction must be between 4 and 1000"),
    (["items", "embedding", "--m", "32", "--ef-construction", "40"], "at least twice --m"),
    (["items", "embedding", "--metric", "euclid"], "unknown metric"),
    (["items", "embedding", "--method", "ivfflat", "--metric", "l1"], "no ivfflat opclass for l1"),
    (["items", "embedding", "--metric", "hamming"], "no hnsw opclass for hamming on vector"),
    (["items", "embedding", "--method", "btree"], "unknown index method"),
    (["items", "embedding", "--method", "ivfflat", "--lists", "0"], "--lists must be between"),
    (["items", "embedding", "--lists", "10"], "--lists applies to ivfflat"),
    (["items", "embedding", "--name", "items_pkey"], "already exists"),
    (["items", "embedding", "--name", "items"], "is not an index"),
    (["items", "embedding", "--name", "other_pkey", "--replace"], "already exists as an index on other"),
    (["items", "embedding", "--where", "nosuch > 1"], "--where does not apply"),
    (["items", "embedding", "--where", "true; DROP TABLE items"], "one boolean expression"),
    (["items", "embedding", "--memory", "lots"], "--memory must be a size"),
    (["items", "embedding", "--workers", "-1"], "--workers must be between"),
])
def test_bad_input_is_refused_before_anything_is_built(apex, db, args, message):
    make_table(db, rows=50)
    db.sql("CREATE TABLE other (id int PRIMARY KEY)")
    r = apex("index", "create", *args)
    assert r.exit_code == 2, r
    assert message in r.stderr
    assert indexes(db) == {"items_pkey": True}
    assert db.scalar("SELECT count(*) FROM items") == 50


def test_too_many_dimensions_suggests_halfvec(apex, db):
    db.sql("CREATE TABLE wide (id int, embedding vector(2100))")
    r = apex("index", "create", "wide", "embedding")
    assert r.exit_code == 2 and "2,100 dimensions" in r.stderr and "--halfvec" in r.stderr
    db.sql("CREATE TABLE huge (id int, embedding vector(4100))")
    r = apex("index", "create", "huge", "embedding", "--halfvec")
    assert r.exit_code == 2 and "halfvec indexes allow at most 4,000" in r.stderr


def test_null_and_zero_vectors_are_reported_for_cosine(apex, db):
    make_table(db, rows=200, dims=4)
    db.sql("UPDATE items SET embedding = NULL WHERE id <= 3")
    db.sql("UPDATE items SET embedding = '[0,0,0,0]' WHERE id BETWEEN 4 AND 5")
    r = apex("index", "create", "items", "embedding")
    assert r.exit_code == 0, r
    assert "3 of 200 rows have a NULL embedding; they will not be indexed" in r.stderr
    assert "2 of 200 rows have an all-zero embedding" in r.stderr
    r = apex("index", "create", "items", "embedding", "--metric", "l2")
    assert r.exit_code == 0 and "all-zero" not in r.stderr and "3 of 200 rows have a NULL" in r.stderr


def test_server_notice_is_shown_as_a_warning(apex, db):
    make_table(db, rows=3000, dims=64)
    r = apex("index", "create", "items", "embedding", "--memory", "1MB", "--workers", "0")
    assert r.exit_code == 0, r
    assert "maintenance_work_mem 1.0 MB for this build (--memory" in r.stderr
    assert "warning: server: hnsw graph no longer fits into maintenance_work_mem" in r.stderr


def test_failed_concurrent_build_drops_its_invalid_index(apex, db):
    make_table(db, rows=50, dims=4)
    # the predicate divides by zero at id 5 while the index is being filled: after CONCURRENTLY made it
    r = apex("index", "create", "items", "embedding", "--where", "1 / (id - 5) > -1", "--name", "doomed")
    assert r.exit_code == 4, r
    assert "division by zero" in r.stderr and "INVALID index it left (public.doomed) was dropped" in r.stderr
    assert indexes(db) == {"items_pkey": True}


def make_invalid_leftover(db, name="items_embedding_hnsw_cosine_idx"):
    import psycopg

    with pytest.raises(psycopg.errors.DivisionByZero):
        db.sql(f"CREATE INDEX CONCURRENTLY {name} ON items USING hnsw (embedding vector_cosine_ops) "
               f"WHERE 1 / (id - 5) > -1")
    assert indexes(db)[name] is False


def test_invalid_leftover_is_reported_and_replace_rebuilds_it(apex, db):
    make_table(db, rows=50, dims=4)
    make_invalid_leftover(db)
    r = apex("index", "create", "items", "embedding")
    assert r.exit_code == 2
    assert "is INVALID (left by an earlier failed or interrupted build)" in r.stderr and "--replace" in r.stderr
    assert indexes(db)["items_embedding_hnsw_cosine_idx"] is False
    r = apex("index", "create", "items", "embedding", "--replace")
    assert r.exit_code == 0, r
    assert "dropped the INVALID leftover" in r.stderr
    assert indexes(db) == {"items_pkey": True, "items_embedding_hnsw_cosine_idx": True}
    definition = db.scalar("SELECT pg_get_indexdef('items_embedding_hnsw_cosine_idx'::regclass)")
    assert "WHERE" not in definition


def test_replace_of_a_valid_index_swaps_in_the_new_build(apex, db):
    make_table(db, rows=100, dims=4)
    assert apex("index", "create", "items", "embedding").exit_code == 0
    r = apex("index", "create", "items", "embedding", "--replace", "--m", "8", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["replaced"] == "public.items_embedding_hnsw_cosine_idx"
    assert indexes(db) == {"items_pkey": True, "items_embedding_hnsw_cosine_idx": True}
    assert "m='8'" in db.scalar("SELECT pg_get_indexdef('items_embedding_hnsw_cosine_idx'::regclass)")


def test_build_settings_hold_on_the_build_connection_only(db):
    """Startup options carry the sized settings; nothing leaks to other sessions."""
    import psycopg

    from apexdb.db.connection import Target
    from apexdb.ops.index.build import open_build_connection
    from apexdb.ops.index.sizing import BuildSettings

    sizing = BuildSettings(300 * 1024 * 1024, 1, 0, 64 * 1024 * 1024, 2, None, 2)
    conn = open_build_connection(Target(db.dsn, "test", "test"), sizing)
    try:
        assert conn.apexdb_applied_via == "startup options"
        assert conn.execute("SHOW maintenance_work_mem").fetchone()[0] == "300MB"
        assert conn.execute("SHOW max_parallel_maintenance_workers").fetchone()[0] == "1"
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "0"
    finally:
        conn.close()
    with psycopg.connect(db.dsn) as other:
        assert other.execute("SHOW maintenance_work_mem").fetchone()[0] == "64MB"


def test_index_create_behind_pgbouncer_warns_and_still_builds(db, pgbouncer):
    make_table(db, rows=200, dims=4)
    r = run_cli(["index", "create", "items", "embedding", "--format", "json", "--dsn", pgbouncer(db.name)])
    assert r.exit_code == 0, r
    assert "pooler" in r.stderr
    assert indexes(db) == {"items_pkey": True, "items_embedding_hnsw_cosine_idx": True}
