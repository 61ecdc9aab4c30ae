"""The Apex schema: SQLAlchemy 2 models, and their MetaData for Alembic."""
from __future__ import annotations

from apexdb.schema.models import (EMBEDDING_DIM, Base, Chunk, Document, DocumentMeta, DocumentStats,
                                  DocumentVector, Entity, EntityIdMapping, StructuredData)

metadata = Base.metadata

__all__ = ["Base", "metadata", "EMBEDDING_DIM", "Document", "Chunk", "DocumentStats", "Entity", "StructuredData",
           "EntityIdMapping", "DocumentMeta", "DocumentVector"]
