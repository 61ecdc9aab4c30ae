"""extensions: pgvector

Revision ID: 0001
Revises:
Create Date: 2026-11-24 21:00:00

First, before any table can use the vector type.
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")


def downgrade() -> None:
    # Other schemas in the database may use vectors too: keep the extension when they do.
    op.execute("""
        DO $$
        BEGIN
            DROP EXTENSION IF EXISTS vector;
        EXCEPTION WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'extension vector kept: other objects in this database use it';
        END
        $$""")
