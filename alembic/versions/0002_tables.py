"""tables of the Apex schema, with their keys and constraints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:00:01

Written out from apexdb.schema.models (``apexdb migrate check`` proves they agree).
Secondary and vector indexes follow in 0003 and 0004.
"""
# apexdb: ignore prefer-text-field entities.entity_type is VARCHAR(50) by the schema's design (schema-research.md 1.2)
# apexdb: ignore prefer-bigint-over-int chunk positions and per-document counters stay far below 2^31
import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ["documents", "chunks", "document_stats", "entities", "structured_data", "entity_id_mapping",
          "documents_meta", "documents_vectors"]


def _id() -> sa.Column:
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def _created_at() -> sa.Column:
    return sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                     nullable=False)


def _metadata() -> sa.Column:
    return sa.Column("metadata", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False)


def _embedding(nullable: bool = True) -> sa.Column:
    return sa.Column("embedding", pgvector.sqlalchemy.VECTOR(dim=1536), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "documents",
        _id(),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("doc_type", sa.Text(), nullable=False),
        _metadata(),
        _embedding(),
        _created_at(),
        sa.CheckConstraint("title <> ''", name=op.f("ck_documents_title_not_empty")),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
    )
    op.create_table(
        "chunks",
        _id(),
        sa.Column("document_id", sa.UUID(), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        _embedding(),
        _created_at(),
        sa.CheckConstraint("chunk_index >= 0", name=op.f("ck_chunks_chunk_index_not_negative")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_chunks_document_id",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_chunks"),
        sa.UniqueConstraint("document_id", "chunk_index", name="uq_chunks_document_id_chunk_index"),
    )
    op.create_table(
        "document_stats",
        sa.Column("document_id", sa.UUID(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("entity_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_accessed", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("access_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("chunk_count >= 0", name=op.f("ck_document_stats_chunk_count_not_negative")),
        sa.CheckConstraint("entity_count >= 0", name=op.f("ck_document_stats_entity_count_not_negative")),
        sa.CheckConstraint("access_count >= 0", name=op.f("ck_document_stats_access_count_not_negative")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_document_stats_document_id",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", name="pk_document_stats"),
    )
    op.create_table(
        "entities",
        _id(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("confidence", sa.Numeric(precision=5, scale=4), nullable=True),
        _metadata(),
        _embedding(),
        _created_at(),
        sa.CheckConstraint("confidence >= 0 AND confidence <= 1",
                           name=op.f("ck_entities_confidence_between_0_and_1")),
        sa.PrimaryKeyConstraint("id", name="pk_entities"),
    )
    op.create_table(
        "structured_data",
        _id(),
        sa.Column("data_id", sa.Text(), nullable=False),
        sa.Column("data_type", sa.Text(), nullable=False),
        sa.Column("raw_json", postgresql.JSONB(), nullable=False),
        sa.Column("text_representation", sa.Text(), nullable=True),
        _embedding(),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_structured_data"),
    )
    op.create_table(
        "entity_id_mapping",
        sa.Column("internal_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("neo4j_uuid", sa.UUID(), nullable=True),
        sa.Column("qdrant_point_id", sa.Text(), nullable=True),
        sa.Column("graphiti_uuid", sa.UUID(), nullable=True),
        sa.Column("entity_type", sa.Text(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("internal_id", name="pk_entity_id_mapping"),
    )
    op.create_table(
        "documents_meta",
        _id(),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("doc_type", sa.Text(), nullable=False),
        _created_at(),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("chunk_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("chunk_count >= 0", name=op.f("ck_documents_meta_chunk_count_not_negative")),
        sa.PrimaryKeyConstraint("id", name="pk_documents_meta"),
    )
    op.create_table(
        "documents_vectors",
        sa.Column("document_id", sa.UUID(), nullable=False),
        _embedding(nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents_meta.id"], name="fk_documents_vectors_document_id",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", name="pk_documents_vectors"),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
