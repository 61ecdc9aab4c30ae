"""apexdb init / migrate on the Apex schema: what gets created, round trips, status, check, stamp."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import APEX_TABLES, REPO, alembic_version, drop_database, new_database, schema_snapshot, tables


CONSTRAINTS = {
    "pk_documents", "ck_documents_title_not_empty",
    "pk_chunks", "fk_chunks_document_id", "uq_chunks_document_id_chunk_index", "ck_chunks_chunk_index_not_negative",
    "pk_document_stats", "fk_document_stats_document_id", "ck_document_stats_chunk_count_not_negative",
    "ck_document_stats_entity_count_not_negative", "ck_document_stats_access_count_not_negative",
    "pk_entities", "ck_entities_confidence_between_0_and_1",
    "pk_structured_data", "pk_entity_id_mapping",
    "pk_documents_meta", "ck_documents_meta_chunk_count_not_negative",
    "pk_documents_vectors", "fk_documents_vectors_document_id",
}
VECTOR_TABLES = ["documents", "chunks", "entities", "structured_data", "documents_vectors"]


@pytest.fixture
def other_db(pg_server):
    database = new_database(pg_server)
    yield database
    drop_database(database)


def test_init_creates_every_table_constraint_and_index(apex, db):
    r = apex("init", "--format", "json")
    assert r.exit_code == 0, r
    assert [s["revision"] for s in r.json["migrations"]["steps"]] == ["0001", "0002", "0003", "0004"]
    assert tables(db) == APEX_TABLES
    names = {r[1] for r in schema_snapshot(db)["constraints"]}
    assert CONSTRAINTS <= names, CONSTRAINTS - names
    indexes = {name: (definition, valid) for name, definition, valid in schema_snapshot(db)["indexes"]}
    assert all(valid for _, valid in indexes.values())
    for table in VECTOR_TABLES:
        definition = indexes[f"ix_{table}_embedding_hnsw"][0]
        assert "USING hnsw (embedding vector_cosine_ops) WITH (m='16', ef_construction='64')" in definition
    assert "USING gin (metadata jsonb_path_ops)" in indexes["ix_documents_metadata"][0]
    assert "USING gin (metadata)" in indexes["ix_entities_metadata"][0]
    assert "USING gin (((metadata -> 'tags'::text)))" in indexes["ix_entities_metadata_tags"][0]
    assert "USING gin (raw_json jsonb_path_ops)" in indexes["ix_structured_data_raw_json"][0]
    assert "(doc_type, created_at)" in indexes["ix_documents_doc_type_created_at"][0]
    for name in ("ix_entities_name", "ix_entities_entity_type", "ix_entity_id_mapping_neo4j_uuid",
                 "ix_entity_id_mapping_qdrant_point_id", "ix_structured_data_data_id"):
        assert name in indexes
    types = {(t, c): (ty, notnull, default) for t, c, ty, notnull, default in schema_snapshot(db)["columns"]}
    assert types[("entities", "confidence")][0] == "numeric(5,4)"
    assert types[("entities", "entity_type")][0] == "character varying(50)"
    assert types[("entities", "embedding")][0] == "vector(1536)"
    assert types[("documents", "created_at")] == ("timestamp with time zone", True, "now()")
    assert types[("documents", "id")][2] == "gen_random_uuid()"
    # the constraints hold: confidence outside 0..1 and a duplicate chunk index are refused
    with pytest.raises(Exception, match="ck_entities_confidence_between_0_and_1"):
        db.sql("INSERT INTO entities (name, entity_type, confidence) VALUES ('x', 'y', 1.5)")
    doc = db.scalar("INSERT INTO documents (title, doc_type) VALUES ('t', 'note') RETURNING id")
    db.sql("INSERT INTO chunks (document_id, chunk_index, content) VALUES (%s, 0, 'a')", [doc])
    with pytest.raises(Exception, match="uq_chunks_document_id_chunk_index"):
        db.sql("INSERT INTO chunks (document_id, chunk_index, content) VALUES (%s, 0, 'b')", [doc])
    db.sql("DELETE FROM documents WHERE id = %s", [doc])
    assert db.scalar("SELECT count(*) FROM chunks") == 0  # ON DELETE CASCADE


def test_init_is_idempotent_and_check_is_clean(apex, db):
    assert apex("init").exit_code == 0
    before = schema_snapshot(db)
    r = apex("init", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["migrations"]["steps"] == []
    assert {e["action"] for e in r.json["extensions"]} == {"already installed"}
    assert schema_snapshot(db) == before
    r = apex("migrate", "check")
    assert r.exit_code == 0, r
    assert "matches the models" in r.stdout


def test_down_base_then_migrate_round_trips(apex, db):
    assert apex("migrate").exit_code == 0
    before = schema_snapshot(db)
    r = apex("migrate", "down", "base", "--yes", "--format", "json")
    assert r.exit_code == 0, r
    assert [s["revision"] for s in r.json["steps"]] == ["0004", "0003", "0002", "0001"]
    assert tables(db) == {"alembic_version"} and alembic_version(db) == []
    assert db.sql("SELECT 1 FROM pg_extension WHERE extname = 'vector'") == []
    r = apex("migrate")
    assert r.exit_code == 0, r
    assert schema_snapshot(db) == before
    assert alembic_version(db) == ["0004"]


def test_down_needs_confirmation_off_a_terminal(apex, db):
    assert apex("migrate").exit_code == 0
    r = apex("migrate", "down", "0002")
    assert r.exit_code == 2
    assert "--yes" in r.stderr
    assert alembic_version(db) == ["0004"]
    r = apex("migrate", "down", "-1", "--yes")
    assert r.exit_code == 0, r
    assert alembic_version(db) == ["0003"]
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%hnsw'") == 0


def test_plain_alembic_from_the_repository_root_gives_the_same_schema(apex, db, other_db):
    assert apex("init").exit_code == 0
    env = {**os.environ, "APEXDB_DSN": other_db.dsn}
    proc = subprocess.run([str(Path(sys.executable).parent / "alembic"), "upgrade", "head"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Running upgrade 0003 -> 0004" in proc.stderr
    assert schema_snapshot(other_db) == schema_snapshot(db)
    assert alembic_version(other_db) == ["0004"]


def test_status_history_and_check_flag(apex, db):
    assert apex("migrate", "0002").exit_code == 0
    r = apex("migrate", "status", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["current"] == ["0002"] and r.json["heads"] == ["0004"] and r.json["at_head"] is False
    assert [p["revision"] for p in r.json["pending"]] == ["0003", "0004"]
    r = apex("migrate", "status", "--check")
    assert r.exit_code == 1
    assert "2 revision(s) pending" in r.stderr and "0003" in r.stdout
    r = apex("migrate", "history", "--current", "--format", "json")
    assert r.exit_code == 0, r
    assert [(h["revision"], h["applied"]) for h in r.json] == [("0004", False), ("0003", False), ("0002", True),
                                                              ("0001", True)]
    assert apex("migrate", "up").exit_code == 0
    assert apex("migrate", "status", "--check").exit_code == 0


def test_check_reports_drift_and_exits_1(apex, db):
    assert apex("init").exit_code == 0
    db.sql("DROP INDEX ix_entities_name")
    db.sql("ALTER TABLE documents_meta ALTER COLUMN author SET NOT NULL")
    r = apex("migrate", "check", "--format", "json")
    assert r.exit_code == 1
    changes = {(d["change"], d["object"]) for d in r.json["differences"]}
    assert ("add_index", "entities.ix_entities_name") in changes
    assert ("modify_nullable", "documents_meta.author") in changes
    assert "difference(s)" in r.stderr


def test_stamp_and_unknown_revision(apex, db):
    r = apex("migrate", "up", "nosuchrev")
    assert r.exit_code == 2
    assert "unknown revision 'nosuchrev'" in r.stderr
    assert alembic_version(db) == "no table"
    r = apex("migrate", "stamp", "0001", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["current"] == ["0001"]
    assert tables(db) == {"alembic_version"}  # nothing ran
    r = apex("migrate", "down", "zzz", "--yes")
    assert r.exit_code == 2 and "unknown revision" in r.stderr


def test_offline_sql_needs_no_database(apex):
    r = apex("migrate", "sql", "0002:0004", env={"APEXDB_DSN": "postgresql:///nowhere?host=/nonexistent"})
    assert r.exit_code == 0, r
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_entities_embedding_hnsw ON entities USING hnsw " \
           "(embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)" in r.stdout
    assert "CREATE TABLE" not in r.stdout
    assert "UPDATE alembic_version SET version_num='0004'" in r.stdout
    r = apex("migrate", "sql", "head:base", "--down")
    assert r.exit_code == 0, r
    assert "DROP TABLE documents" in r.stdout


def test_per_revision_sql_for_the_linter():
    from apexdb.ops.migrate.project import load_project
    from apexdb.ops.migrate.info import offline_sql_by_revision

    parts = offline_sql_by_revision(load_project(), "base:head")
    assert [p["revision"] for p in parts] == ["0001", "0002", "0003", "0004"]
    assert "CREATE EXTENSION IF NOT EXISTS vector" in parts[0]["sql"]
    assert "CREATE TABLE documents" in parts[1]["sql"] and "hnsw" not in parts[1]["sql"]
    assert "hnsw" in parts[3]["sql"] and "CREATE TABLE" not in parts[3]["sql"]


def test_database_at_a_revision_the_project_does_not_know(apex, db):
    assert apex("migrate", "0002").exit_code == 0
    db.sql("UPDATE alembic_version SET version_num = 'ffffffff'")
    r = apex("migrate", "status")
    assert r.exit_code == 2, r
    assert "the database is at revision ffffffff, which this project does not know" in r.stderr
    r = apex("migrate")
    assert r.exit_code == 2, r
    assert "ffffffff" in r.stderr and "Traceback" not in r.stderr
    assert alembic_version(db) == ["ffffffff"]


def test_down_base_keeps_pgvector_when_other_tables_use_it(apex, db):
    db.sql("CREATE TABLE someone_elses (id int PRIMARY KEY, v vector(3))")
    assert apex("migrate").exit_code == 0
    r = apex("migrate", "down", "base", "--yes")
    assert r.exit_code == 0, r
    assert tables(db) == {"alembic_version", "someone_elses"}
    assert db.scalar("SELECT extversion FROM pg_extension WHERE extname = 'vector'") is not None
    assert apex("migrate").exit_code == 0 and alembic_version(db) == ["0004"]
