"""btree and GIN indexes, built CONCURRENTLY

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 21:00:02

The tables may hold rows by the time this runs (a database migrated to 0002 earlier),
so every index is built CONCURRENTLY in an autocommit block: writes are never blocked,
and an interrupted run drops its INVALID index and is completed by the next run.
"""
import sqlalchemy as sa

from apexdb.ops.migrate import zero_downtime as zd

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (name, table, columns, options)
INDEXES = [
    ("ix_documents_doc_type_created_at", "documents", ["doc_type", "created_at"], {}),
    ("ix_documents_metadata", "documents", ["metadata"],
     {"postgresql_using": "gin", "postgresql_ops": {"metadata": "jsonb_path_ops"}}),
    ("ix_entities_name", "entities", ["name"], {}),
    ("ix_entities_entity_type", "entities", ["entity_type"], {}),
    ("ix_entities_metadata", "entities", ["metadata"], {"postgresql_using": "gin"}),
    ("ix_entities_metadata_tags", "entities", [sa.text("(metadata -> 'tags')")], {"postgresql_using": "gin"}),
    ("ix_structured_data_data_id", "structured_data", ["data_id"], {}),
    ("ix_structured_data_data_type", "structured_data", ["data_type"], {}),
    ("ix_structured_data_raw_json", "structured_data", ["raw_json"],
     {"postgresql_using": "gin", "postgresql_ops": {"raw_json": "jsonb_path_ops"}}),
    ("ix_entity_id_mapping_neo4j_uuid", "entity_id_mapping", ["neo4j_uuid"], {}),
    ("ix_entity_id_mapping_qdrant_point_id", "entity_id_mapping", ["qdrant_point_id"], {}),
    ("ix_entity_id_mapping_entity_type", "entity_id_mapping", ["entity_type"], {}),
    ("ix_documents_meta_doc_type_created_at", "documents_meta", ["doc_type", "created_at"], {}),
]


def upgrade() -> None:
    for name, table, columns, options in INDEXES:
        zd.create_index_concurrently(name, table, columns, **options)


def downgrade() -> None:
    for name, table, _columns, _options in reversed(INDEXES):
        zd.drop_index_concurrently(name, table=table)
