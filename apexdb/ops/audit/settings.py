"""Facts several families share, read once per audit: server settings and per-table statistics."""
from __future__ import annotations

from typing import Any

from apexdb.db.queries import fetch
from apexdb.ops.audit.context import AuditContext


def settings(ctx: AuditContext) -> dict[str, dict[str, Any]]:
    """The settings the checks judge, read once per audit (apexdb.ops.settings.read_settings rows)."""
    from apexdb.ops.settings import MEMORY_SETTINGS, read_settings

    names = (*MEMORY_SETTINGS, "hnsw.ef_search", "ivfflat.probes", "shared_preload_libraries")
    return ctx.cached("settings", lambda: read_settings(ctx.conn, names))


def setting_bytes(ctx: AuditContext, name: str) -> int | None:
    row = settings(ctx).get(name)
    return int(row["bytes"]) if row and row["bytes"] is not None else None


def table_stats(ctx: AuditContext) -> dict[int, dict[str, Any]]:
    """table oid -> live/dead rows, last vacuum and analyze, autovacuum trigger (pg_stat_user_tables)."""
    return ctx.cached("tables", lambda: {r["table_oid"]: r for r in fetch(ctx.conn, "audit_table_vacuum")})


def row_count(reltuples: float | None, live_rows: int | None) -> int:
    """The planner's row count when the table was ever analyzed or vacuumed, else the live-row counter."""
    if reltuples is not None and reltuples >= 0:
        return int(reltuples)
    return int(live_rows or 0)
