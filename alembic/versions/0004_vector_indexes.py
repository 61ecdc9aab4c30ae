"""HNSW cosine indexes on every embedding column, built CONCURRENTLY

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:00:03

HNSW with vector_cosine_ops, m=16 and ef_construction=64 (pgvector's defaults, the
research's recommendation for normalized OpenAI embeddings). Built CONCURRENTLY in
autocommit blocks because the tables may already hold rows; for a large table raise
maintenance_work_mem first (``apexdb index create`` sizes it for you).
"""
from apexdb.ops.migrate import zero_downtime as zd

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ["documents", "chunks", "entities", "structured_data", "documents_vectors"]
HNSW = {"postgresql_using": "hnsw", "postgresql_with": {"m": 16, "ef_construction": 64},
        "postgresql_ops": {"embedding": "vector_cosine_ops"}}


def upgrade() -> None:
    for table in TABLES:
        zd.create_index_concurrently(f"ix_{table}_embedding_hnsw", table, ["embedding"], **HNSW)


def downgrade() -> None:
    for table in reversed(TABLES):
        zd.drop_index_concurrently(f"ix_{table}_embedding_hnsw", table=table)
