"""Connections against ``max_connections``: how many of the slots ordinary roles may use are taken,
broken down by state, role, database and application (check_postgres' ``backends``)."""
from __future__ import annotations

from typing import Any

from apexdb.db.queries import fetch_one
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import Finding
from apexdb.render.format import human_pct


def _top(counts: dict[str, int], n: int = 5) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{k} {v}" for k, v in items[:n])
    return shown + (f", {len(items) - n} more" if len(items) > n else "")


def check_connections(ctx: AuditContext) -> None:
    th = ctx.thresholds
    row: dict[str, Any] = fetch_one(ctx.conn, "audit_connections")
    usable = max(1, row["max_connections"] - row["superuser_reserved"] - row["reserved"])
    used = row["total"]
    ratio = used / usable
    ctx.report.metrics["connections"] = (used, "", int(usable * th.connections_warning_ratio),
                                         int(usable * th.connections_critical_ratio), usable)
    if row["by_state"].get("hidden"):
        ctx.note(f"connections: role {ctx.facts.get('role')} lacks pg_read_all_stats, so the state of "
                 f"{row['by_state']['hidden']} session(s) of other roles shows as 'hidden'")
    level = ("critical" if ratio >= th.connections_critical_ratio else
             "warning" if ratio >= th.connections_warning_ratio else None)
    if not level:
        return
    ctx.add(Finding(
        "connections", level, "max_connections",
        f"{used} of the {usable} connections ordinary roles may open are in use ({human_pct(ratio)}; "
        f"max_connections {row['max_connections']}, {row['superuser_reserved']} reserved for superusers"
        + (f", {row['reserved']} for pg_use_reserved_connections" if row["reserved"] else "")
        + f"): new sessions will be refused. By state: {_top(row['by_state'])}; by role: {_top(row['by_role'])}; "
        f"by database: {_top(row['by_database'])}; by application: {_top(row['by_application'])}",
        "-- put a pooler (PgBouncer in transaction mode) in front, end idle sessions "
        "(idle_session_timeout), or raise max_connections (restart; each costs memory)"))
