"""What a database's schema holds, read from the catalog: ``apexdb schema show``.

Works on any PostgreSQL database (not only the Apex schema); read-only, with timeouts.
"""
from __future__ import annotations

from typing import Any

from apexdb.db.connection import read_only
from apexdb.db.queries import fetch


def list_tables(conn) -> list[dict[str, Any]]:
    """Every table of the user's schemas with sizes and counts."""
    with read_only(conn):
        return fetch(conn, "schema_tables")


def describe_table(conn, name: str) -> dict[str, Any]:
    """One table's columns, constraints and indexes (``name`` as the user gave it)."""
    from apexdb.ops.catalog import resolve_table

    with read_only(conn):
        ref = resolve_table(conn, name)
        summary = next((t for t in fetch(conn, "schema_tables")
                        if t["schema"] == ref.schema and t["table"] == ref.name), None)
        params = {"table_oid": ref.oid}
        return {
            "table": summary or {"schema": ref.schema, "table": ref.name, "kind": ref.kind,
                                 "estimated_rows": ref.estimated_rows},
            "columns": fetch(conn, "schema_columns", params),
            "constraints": fetch(conn, "schema_constraints", params),
            "indexes": fetch(conn, "schema_indexes", params),
        }
