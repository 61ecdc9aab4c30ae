"""apexdb: administration and diagnostics for PostgreSQL databases holding pgvector embeddings."""
__version__ = "0.1.0"
