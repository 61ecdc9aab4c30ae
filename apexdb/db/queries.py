"""Running registry queries: the variant for the connected server, rows as dicts."""
from __future__ import annotations

from typing import Any

from apexdb import sql as registry
from apexdb.db.connection import server_versions


def query_text(conn, name: str, **identifiers):
    """The text (or Composed, when identifiers are given) of ``name`` for this server."""
    query = registry.get(name, server_versions(conn))
    if identifiers:
        return registry.compose(query.text, **identifiers)
    return query.text


def fetch(conn, name: str, params: dict[str, Any] | None = None, **identifiers) -> list[dict[str, Any]]:
    """All rows of registry query ``name`` as dicts."""
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query_text(conn, name, **identifiers), params or None)
        return cur.fetchall() if cur.description else []


def fetch_one(conn, name: str, params: dict[str, Any] | None = None, **identifiers) -> dict[str, Any] | None:
    rows = fetch(conn, name, params, **identifiers)
    return rows[0] if rows else None


def execute(conn, name: str, params: dict[str, Any] | None = None, **identifiers) -> None:
    """Run a registry statement that returns nothing worth keeping (DDL, maintenance)."""
    conn.execute(query_text(conn, name, **identifiers), params or None)
