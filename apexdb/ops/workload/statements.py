"""The statements worth a look: the top of pg_stat_statements by total time, then by mean
time among those called at least ``min_calls`` times, for this database and every role.

pg_stat_statements is reached through the one access check (``stats_queries``): its schema,
its version's column names, and a one-line reason when it is missing, not preloaded or
not readable by this role.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apexdb.db.queries import fetch

HIDDEN_TEXT = "<insufficient privilege>"


@dataclass
class WorkloadStatement:
    queryid: int
    query: str
    calls: int
    total_ms: float
    mean_ms: float
    rows: int
    role: str | None = None

    @property
    def rows_per_call(self) -> float:
        return self.rows / self.calls if self.calls else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"queryid": self.queryid, "calls": self.calls, "total_ms": round(self.total_ms, 3),
                "mean_ms": round(self.mean_ms, 3), "rows": self.rows, "role": self.role}


def top_statements(conn, *, top: int, top_mean: int, min_calls: int) -> tuple[list[WorkloadStatement], int]:
    """(the statements, how many hide their text from this role); NotEnabled when pgss cannot be read.

    Runs in the caller's transaction (the audit's READ ONLY one)."""
    import psycopg

    from apexdb.errors import NotEnabled
    from apexdb.ops.stats.queries import NOT_LOADED, statements_access

    access = statements_access(conn)
    view = (access["schema"], "pg_stat_statements")
    rows: dict[int, dict[str, Any]] = {}
    hidden = 0
    try:
        with conn.transaction():
            batches = [fetch(conn, "stats_statements", {"sort": "total", "limit": top, "min_calls": 1,
                                                        "all_users": True}, view=view)]
            if top_mean:
                batches.append(fetch(conn, "stats_statements", {"sort": "mean", "limit": top_mean,
                                                                "min_calls": min_calls, "all_users": True},
                                     view=view))
    except psycopg.errors.ObjectNotInPrerequisiteState:  # created but not preloaded
        raise NotEnabled(NOT_LOADED) from None
    for batch in batches:
        for row in batch:
            if row["query"] == HIDDEN_TEXT or row["query"] is None:
                hidden += 1
                continue
            rows.setdefault(row["queryid"], row)
    found = [WorkloadStatement(r["queryid"], r["query"], int(r["calls"]), float(r["total_ms"] or 0),
                               float(r["mean_ms"] or 0), int(r["rows"] or 0), r["role"]) for r in rows.values()]
    return sorted(found, key=lambda s: -s.total_ms), hidden
