"""``stats queries``: the statements that cost the most, from pg_stat_statements.

The extension's own version picks the column names (1.8+ ``*_exec_time``; 1.11+
``shared_blk_*_time``), its schema comes from pg_extension, and a role without
pg_read_all_stats is told how many statements' text it cannot see.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from apexdb.db.connection import parse_version, read_only
from apexdb.db.queries import fetch, fetch_one
from apexdb.errors import BadInput, NotEnabled

SORTS = ("total", "mean", "calls", "rows", "io", "temp")
HIDDEN_TEXT = "<insufficient privilege>"
NOT_LOADED = ("pg_stat_statements is not loaded: add it to shared_preload_libraries and restart the server, "
              "then CREATE EXTENSION pg_stat_statements")


@dataclass
class StatementsReport:
    rows: list[dict[str, Any]]
    statements: int  # how many the filters cover (before --limit)
    total_ms: float
    hidden: int  # statements of other roles whose text this role cannot read
    version: str
    schema: str
    notes: list[str] = field(default_factory=list)


def statements_access(conn) -> dict[str, Any]:
    """pg_stat_statements' state; NotEnabled with what to do when it cannot be read."""
    access = fetch_one(conn, "stats_statements_access")
    if access["preloaded"] is False:  # None: this role may not read shared_preload_libraries
        raise NotEnabled(NOT_LOADED)
    if not access["created"]:
        raise NotEnabled("pg_stat_statements is preloaded but not created in this database: "
                         "CREATE EXTENSION pg_stat_statements")
    if parse_version(access["version"]) < (1, 8):
        raise NotEnabled(f"pg_stat_statements {access['version']} is older than 1.8: "
                         "ALTER EXTENSION pg_stat_statements UPDATE")
    if not access["readable"]:
        raise NotEnabled(f"this role may not execute {access['schema']}.pg_stat_statements(): "
                         "GRANT pg_read_all_stats (or pg_monitor) to it")
    return access


def top_statements(conn, *, sort: str = "total", limit: int = 20, min_calls: int = 1,
                   all_users: bool = False) -> StatementsReport:
    if sort not in SORTS:
        raise BadInput(f"unknown sort {sort!r} (choose from {', '.join(SORTS)})")
    if limit < 1 or min_calls < 0:
        raise BadInput("--limit must be at least 1 and --min-calls at least 0")
    params = {"sort": sort, "limit": limit, "min_calls": min_calls, "all_users": all_users}
    with read_only(conn):
        access = statements_access(conn)
        view = (access["schema"], "pg_stat_statements")
        try:
            rows = fetch(conn, "stats_statements", params, view=view)
        except psycopg.errors.ObjectNotInPrerequisiteState:  # created but not preloaded
            raise NotEnabled(NOT_LOADED) from None
        scope = fetch_one(conn, "stats_statements_scope", params, view=view)
    total = float(scope["total_ms"] or 0)
    for row in rows:
        row["share"] = row["total_ms"] / total if total else None
        row["text_visible"] = row["query"] != HIDDEN_TEXT
    report = StatementsReport(rows, scope["statements"], total, scope["hidden"], access["version"],
                              access["schema"])
    if report.hidden:
        report.notes.append(f"{report.hidden} statement(s) of other roles show no text: reading it needs "
                            "pg_read_all_stats (or pg_monitor)")
    if not all_users:
        report.notes.append("only this role's statements; --all-users shows every role's")
    return report


def reset_statements(conn) -> int:
    """Forget every gathered statement; how many there were."""
    with conn.transaction():
        access = statements_access(conn)
        count = fetch_one(conn, "stats_statements_scope", {"all_users": True, "min_calls": 0},
                          view=(access["schema"], "pg_stat_statements"))["statements"]
        fetch(conn, "stats_statements_reset", reset=(access["schema"], "pg_stat_statements_reset"))
    return int(count)
