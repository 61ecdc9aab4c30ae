"""apexdb schema show: the catalog as tables, on the Apex schema and on any database."""
from __future__ import annotations

from support import APEX_TABLES, run_cli


def test_show_lists_every_table_with_sizes(apex, db):
    assert apex("init").exit_code == 0
    r = apex("schema", "show", "--format", "json")
    assert r.exit_code == 0, r
    found = {t["table"]: t for t in r.json["tables"]}
    assert set(found) == APEX_TABLES
    entities = found["entities"]
    assert entities["columns"] == 7 and entities["indexes"] == 6
    assert entities["total_bytes"] == entities["table_bytes"] + entities["index_bytes"] > 0
    r = apex("schema", "show")
    assert r.exit_code == 0 and "documents_vectors" in r.stdout


def test_show_one_table_columns_constraints_indexes(apex, db):
    assert apex("init").exit_code == 0
    db.sql("INSERT INTO entities (name, entity_type, confidence) VALUES ('a', 'person', 0.5)")
    r = apex("schema", "show", "public.entities", "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    columns = {c["column"]: c for c in doc["columns"]}
    assert columns["embedding"]["type"] == "vector(1536)" and columns["embedding"]["nullable"] is True
    assert columns["created_at"]["type"] == "timestamp with time zone" and columns["created_at"]["default"] == "now()"
    constraints = {c["name"]: c for c in doc["constraints"]}
    assert constraints["ck_entities_confidence_between_0_and_1"]["type"] == "check"
    assert constraints["pk_entities"]["type"] == "primary key"
    indexes = {i["name"]: i for i in doc["indexes"]}
    assert indexes["ix_entities_embedding_hnsw"]["method"] == "hnsw"
    assert indexes["ix_entities_embedding_hnsw"]["key"] == \
        "(embedding vector_cosine_ops) WITH (m='16', ef_construction='64')"
    assert all(i["valid"] for i in doc["indexes"])
    r = apex("schema", "show", "chunks")
    assert r.exit_code == 0, r
    for text in ("uq_chunks_document_id_chunk_index", "foreign key", "ON DELETE CASCADE", "Indexes"):
        assert text in r.stdout


def test_unknown_and_hostile_table_names(apex, db):
    db.sql('CREATE TABLE "x; drop table y" (id int PRIMARY KEY)')
    db.sql("CREATE TABLE y (id int)")
    r = apex("schema", "show", "x; drop table y", "--format", "json")
    assert r.exit_code == 0, r
    assert [c["column"] for c in r.json["columns"]] == ["id"]
    assert db.scalar("SELECT to_regclass('public.y') IS NOT NULL") is True
    r = apex("schema", "show", "nope")
    assert r.exit_code == 2 and "table 'nope' does not exist" in r.stderr


def test_show_works_without_pgvector(any_db):
    any_db.sql("CREATE TABLE plain (id bigint PRIMARY KEY, note text NOT NULL)")
    r = run_cli(["schema", "show", "plain", "--format", "json"], env={"APEXDB_DSN": any_db.dsn})
    assert r.exit_code == 0, r
    assert [(c["column"], c["type"]) for c in r.json["columns"]] == [("id", "bigint"), ("note", "text")]
