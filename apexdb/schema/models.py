"""The Apex schema as SQLAlchemy 2 models (schema-research.md sections 1-3 and 7).

Choices beyond the seed, and why:
- every timestamp is ``timestamptz`` (``TIMESTAMP WITH TIME ZONE``): a bare ``timestamp``
  silently drops the zone, and ``now()`` is zone-aware anyway;
- JSONB columns are ``NOT NULL DEFAULT '{}'`` so ``@>`` filters never meet NULL;
- ``document_stats`` rows go with their document (ON DELETE CASCADE): they are derived data;
- every embedding column has an HNSW ``vector_cosine_ops`` index (m=16, ef_construction=64),
  the research's recommended default for OpenAI-style normalized embeddings.

The migrations in ``alembic/versions`` are written out by hand from these models and
``apexdb migrate check`` proves the two agree.
"""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Optional

from pgvector.sqlalchemy import VECTOR
from sqlalchemy import (CheckConstraint, ForeignKey, Index, Integer, MetaData, Numeric, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

EMBEDDING_DIM = 1536
HNSW_OPTIONS = {"m": 16, "ef_construction": 64}

NAMING = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _created_at() -> Mapped[dt.datetime]:
    return mapped_column(TIMESTAMP(timezone=True), nullable=False, server_default=text("now()"))


def _jsonb_object(name: str) -> Mapped[dict[str, Any]]:
    return mapped_column(name, JSONB, nullable=False, server_default=text("'{}'::jsonb"))


def hnsw_index(table: str, column: str = "embedding") -> Index:
    """The HNSW cosine index every embedding column gets."""
    return Index(f"ix_{table}_{column}_hnsw", column, postgresql_using="hnsw",
                 postgresql_with=dict(HNSW_OPTIONS), postgresql_ops={column: "vector_cosine_ops"})


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = _uuid_pk()
    title: Mapped[str] = mapped_column(Text, nullable=False)
    doc_type: Mapped[str] = mapped_column(Text, nullable=False)
    metadata_: Mapped[dict[str, Any]] = _jsonb_object("metadata")  # "metadata" is taken on the class
    embedding: Mapped[Optional[Any]] = mapped_column(VECTOR(EMBEDDING_DIM))
    created_at: Mapped[dt.datetime] = _created_at()

    __table_args__ = (
        CheckConstraint("title <> ''", name="title_not_empty"),
        Index("ix_documents_doc_type_created_at", "doc_type", "created_at"),
        # search filters documents by metadata with @> only: the smaller jsonb_path_ops fits
        Index("ix_documents_metadata", "metadata", postgresql_using="gin",
              postgresql_ops={"metadata": "jsonb_path_ops"}),
        hnsw_index("documents"),
    )



class Chunk(Base):
    __tablename__ = "chunks"

    id: Mapped[uuid.UUID] = _uuid_pk()
    document_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    chunk_index: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    embedding: Mapped[Optional[Any]] = mapped_column(VECTOR(EMBEDDING_DIM))
    created_at: Mapped[dt.datetime] = _created_at()

    __table_args__ = (
        # also the index behind the foreign key: document_id leads it
        UniqueConstraint("document_id", "chunk_index"),
        CheckConstraint("chunk_index >= 0", name="chunk_index_not_negative"),
        hnsw_index("chunks"),
    )


class DocumentStats(Base):
    __tablename__ = "document_stats"

    document_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    chunk_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    entity_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    last_accessed: Mapped[Optional[dt.datetime]] = mapped_column(TIMESTAMP(timezone=True))
    access_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))

    __table_args__ = (
        CheckConstraint("chunk_count >= 0", name="chunk_count_not_negative"),
        CheckConstraint("entity_count >= 0", name="entity_count_not_negative"),
        CheckConstraint("access_count >= 0", name="access_count_not_negative"),
    )


class Entity(Base):
    __tablename__ = "entities"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    entity_type: Mapped[str] = mapped_column(String(50), nullable=False)
    confidence: Mapped[Optional[Decimal]] = mapped_column(Numeric(5, 4))
    metadata_: Mapped[dict[str, Any]] = _jsonb_object("metadata")  # "metadata" is taken on the class
    embedding: Mapped[Optional[Any]] = mapped_column(VECTOR(EMBEDDING_DIM))
    created_at: Mapped[dt.datetime] = _created_at()

    __table_args__ = (
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_between_0_and_1"),
        Index("ix_entities_name", "name"),
        Index("ix_entities_entity_type", "entity_type"),
        # entities are filtered on key existence (?) as well as @>: the default jsonb_ops
        Index("ix_entities_metadata", "metadata", postgresql_using="gin"),
        Index("ix_entities_metadata_tags", text("(metadata -> 'tags')"), postgresql_using="gin"),
        hnsw_index("entities"),
    )



class StructuredData(Base):
    __tablename__ = "structured_data"

    id: Mapped[uuid.UUID] = _uuid_pk()
    data_id: Mapped[str] = mapped_column(Text, nullable=False)
    data_type: Mapped[str] = mapped_column(Text, nullable=False)
    raw_json: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    text_representation: Mapped[Optional[str]] = mapped_column(Text)
    embedding: Mapped[Optional[Any]] = mapped_column(VECTOR(EMBEDDING_DIM))
    created_at: Mapped[dt.datetime] = _created_at()

    __table_args__ = (
        Index("ix_structured_data_data_id", "data_id"),
        Index("ix_structured_data_data_type", "data_type"),
        # raw documents are only ever matched with @>
        Index("ix_structured_data_raw_json", "raw_json", postgresql_using="gin",
              postgresql_ops={"raw_json": "jsonb_path_ops"}),
        hnsw_index("structured_data"),
    )


class EntityIdMapping(Base):
    """Where an entity lives in the other stores (Neo4j, Qdrant, Graphiti)."""

    __tablename__ = "entity_id_mapping"

    internal_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))
    neo4j_uuid: Mapped[Optional[uuid.UUID]] = mapped_column(UUID(as_uuid=True))
    qdrant_point_id: Mapped[Optional[str]] = mapped_column(Text)
    graphiti_uuid: Mapped[Optional[uuid.UUID]] = mapped_column(UUID(as_uuid=True))
    entity_type: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = _created_at()

    __table_args__ = (
        Index("ix_entity_id_mapping_neo4j_uuid", "neo4j_uuid"),
        Index("ix_entity_id_mapping_qdrant_point_id", "qdrant_point_id"),
        Index("ix_entity_id_mapping_entity_type", "entity_type"),
    )


class DocumentMeta(Base):
    """The hot half of the hot/cold split: what listings and filters read."""

    __tablename__ = "documents_meta"

    id: Mapped[uuid.UUID] = _uuid_pk()
    title: Mapped[str] = mapped_column(Text, nullable=False)
    doc_type: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = _created_at()
    author: Mapped[Optional[str]] = mapped_column(Text)
    chunk_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))

    __table_args__ = (
        CheckConstraint("chunk_count >= 0", name="chunk_count_not_negative"),
        Index("ix_documents_meta_doc_type_created_at", "doc_type", "created_at"),
    )


class DocumentVector(Base):
    """The cold half: one 6 KB vector per document, read only by similarity search."""

    __tablename__ = "documents_vectors"

    document_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("documents_meta.id", ondelete="CASCADE"), primary_key=True)
    embedding: Mapped[Any] = mapped_column(VECTOR(EMBEDDING_DIM), nullable=False)

    __table_args__ = (hnsw_index("documents_vectors"),)
