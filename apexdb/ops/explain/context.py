"""What the findings need to know besides the plan: settings and facts about each table scanned."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from apexdb.db.connection import server_versions
from apexdb.db.queries import fetch, fetch_one


@dataclass
class TableFacts:
    oid: int
    schema: str
    name: str
    estimated_rows: int
    live_rows: int | None
    modified_since_analyze: int | None
    last_analyzed: dt.datetime | None
    indexed_leading_columns: list[str]
    vector_indexes: list[Any] = field(default_factory=list)  # catalog.VectorIndex
    vector_columns: list[Any] = field(default_factory=list)  # catalog.VectorColumn

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def stale_statistics(self) -> bool:
        """Never analyzed, or changed by more than 10% since the last ANALYZE."""
        if self.last_analyzed is None:
            return True
        rows = max(self.live_rows or self.estimated_rows or 0, 1)
        return (self.modified_since_analyze or 0) > 0.1 * rows


@dataclass
class Context:
    settings: dict[str, Any]
    tables: dict[str, TableFacts]  # by plan relation key: "schema.name" or "name"
    has_vector: bool = False

    def table(self, node) -> TableFacts | None:
        key = f"{node.schema}.{node.relation}" if node.schema else node.relation
        return self.tables.get(key) if key else None

    def setting_int(self, name: str) -> int | None:
        value = self.settings.get(name)
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None


def gather_context(conn, plan) -> Context:
    """Settings and per-table facts; runs in the caller's (rolled-back) transaction."""
    from apexdb.ops.catalog import resolve_table, vector_columns, vector_indexes
    from apexdb.errors import BadInput

    has_vector = server_versions(conn).get("vector") is not None
    if has_vector:
        fetch(conn, "load_vector_library")  # makes hnsw.* and ivfflat.* settings visible
    settings = fetch_one(conn, "explain_settings") or {}
    tables: dict[str, TableFacts] = {}
    for node in plan.nodes():
        if not node.relation:
            continue
        key = f"{node.schema}.{node.relation}" if node.schema else node.relation
        if key in tables:
            continue
        try:
            ref = resolve_table(conn, key)
        except BadInput:
            continue  # a relation only this statement made (CREATE TABLE AS) or off the search path
        facts = fetch_one(conn, "explain_table_facts", {"table_oid": ref.oid})
        if facts is None:
            continue
        facts["indexed_leading_columns"] = list(facts["indexed_leading_columns"] or [])
        table = TableFacts(**facts)
        if has_vector:
            table.vector_indexes = vector_indexes(conn, ref)
            table.vector_columns = vector_columns(conn, ref)
        tables[key] = table
    return Context(settings, tables, has_vector)
