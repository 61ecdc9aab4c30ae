"""The Apex schema: SQLAlchemy 2 models and their MetaData (for Alembic), and a catalog reader.

The models load on first use (``from apexdb.schema import metadata``), so commands that only
read the catalog do not pay for SQLAlchemy.
"""
from __future__ import annotations

_MODELS = ("Base", "EMBEDDING_DIM", "Document", "Chunk", "DocumentStats", "Entity", "StructuredData",
           "EntityIdMapping", "DocumentMeta", "DocumentVector")

__all__ = ["metadata", *_MODELS]


def __getattr__(name: str):
    if name == "metadata" or name in _MODELS:
        from apexdb.schema import models

        return models.Base.metadata if name == "metadata" else getattr(models, name)
    raise AttributeError(f"module 'apexdb.schema' has no attribute {name!r}")
