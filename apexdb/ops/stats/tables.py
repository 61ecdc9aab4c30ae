"""``stats tables``, ``stats indexes`` and ``stats cache``: what the statistics views say per relation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apexdb.db.queries import fetch, fetch_one
from apexdb.db.connection import read_only
from apexdb.errors import BadInput


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise BadInput("--limit must be at least 1")


def table_stats(conn, limit: int = 50) -> list[dict[str, Any]]:
    """User tables, largest first: size, rows, scans, dead tuples, vacuum and analyze times."""
    _check_limit(limit)
    with read_only(conn):
        return fetch(conn, "stats_tables", {"limit": limit})


def index_stats(conn, limit: int = 50) -> list[dict[str, Any]]:
    """User indexes, largest first: method, size, scans, tuples read and fetched."""
    _check_limit(limit)
    with read_only(conn):
        return fetch(conn, "stats_indexes", {"limit": limit})


@dataclass
class CacheReport:
    overall: dict[str, Any]
    tables: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"overall": self.overall, "tables": self.tables}


def cache_stats(conn, limit: int = 50) -> CacheReport:
    """Heap and index hit ratios, overall and per table (busiest first)."""
    _check_limit(limit)
    with read_only(conn):
        overall = fetch_one(conn, "stats_cache_overall") or {}
        tables = fetch(conn, "stats_cache_tables", {"limit": limit})
    return CacheReport(overall, tables)
