"""Heap bloat: free space a table holds beyond what its live rows need.

Estimated from statistics the way check_postgres and pg-index-health do (reltuples, the
pg_stats widths of the columns, the tuple header and line pointer, fillfactor), and
measured with pgstattuple's ``pgstattuple_approx`` when that extension is installed in the
database (it reads only the pages the visibility map does not vouch for). The TOAST table,
where wide vectors live, is measured too: re-embedding rewrites those rows, and only
pgstattuple can see the space the old values left there.
"""
from __future__ import annotations

import math
from typing import Any

from apexdb.db.queries import fetch, fetch_one
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import Finding
from apexdb.render.format import human_bytes, human_pct

PAGE_HEADER = 24
ITEM_ID = 4
TUPLE_HEADER = 23
MAXALIGN = 8


def _align(n: float) -> float:
    return math.ceil(n / MAXALIGN) * MAXALIGN


def expected_pages(t: dict[str, Any], block_size: int, row_width: float | None = None) -> int | None:
    """Pages a fresh copy of the table would take, or None when pg_stats does not cover every column.

    ``row_width`` (a sampled whole-row size, header included) stands in for pg_stats when given."""
    if row_width is not None:
        tuple_bytes = _align(row_width) + ITEM_ID
    elif t["columns_with_stats"] < t["columns"] or t["columns"] == 0:
        return None
    else:
        header = TUPLE_HEADER + (math.ceil(t["columns"] / 8) if t["has_nulls"] else 0)
        tuple_bytes = _align(header) + _align(t["data_width"]) + ITEM_ID
    usable = (block_size - PAGE_HEADER) * t["fillfactor"] / 100
    per_page = max(1, int(usable // tuple_bytes))
    return max(1, math.ceil(t["reltuples"] / per_page))


def pgstattuple_schema(ctx: AuditContext) -> str | None:
    row = ctx.cached("pgstattuple", lambda: fetch_one(ctx.conn, "audit_extension_schema", {"name": "pgstattuple"}))
    return row["schema"] if row else None


def _measure(ctx: AuditContext, oid: int, schema: str) -> dict[str, Any] | None:
    """pgstattuple_approx of one relation, or None (and a note) when this role may not run it."""
    import psycopg

    try:
        with ctx.conn.transaction():
            return fetch_one(ctx.conn, "audit_pgstattuple_approx", {"oid": oid}, schema=schema)
    except psycopg.errors.InsufficientPrivilege:
        ctx.note(f"table bloat: role {ctx.facts.get('role')} may not run pgstattuple (pg_stat_scan_tables): "
                 "figures are estimates from pg_stats")
        ctx._cache["pgstattuple"] = None
        ctx._cache["pgstattuple_denied"] = True
        return None


def check_table_bloat(ctx: AuditContext) -> None:
    th = ctx.thresholds
    block_size = ctx.facts.get("block_size") or 8192
    min_pages = max(1, th.table_bloat_min_bytes // block_size)
    hidden = estimated = 0
    dead = ctx.cached("dead_flagged", set)  # dead_tuples already says VACUUM: what remains after it is bloat
    for t in fetch(ctx.conn, "audit_table_bloat", {"min_pages": min_pages, "locked": ctx.locked_oids}):
        if t["table_oid"] in dead:
            continue
        expected = expected_pages(t, block_size)
        if expected is None and not t["can_read_stats"]:
            hidden += 1
        if pgstattuple_schema(ctx) and _measured(ctx, t, min_pages):
            continue
        if t["pages"] < min_pages:
            continue
        how = "estimated from pg_stats"
        if expected is None and t["columns_with_stats"] == 0 and t["can_read_stats"]:
            expected, how = _from_sample(ctx, t, block_size), "estimated from sampled rows: never analyzed"
        if expected is None:
            continue
        size = t["pages"] * block_size
        wasted = max(0, (t["pages"] - expected) * block_size)
        if _judge(ctx, t, "table", size, wasted, how):
            estimated += 1
    if hidden:
        ctx.note(f"table bloat: {hidden} table(s) are ones role {ctx.facts.get('role')} may not SELECT from, so "
                 "pg_stats hides their columns and their bloat was not estimated")
    if estimated and not pgstattuple_schema(ctx) and not ctx._cache.get("pgstattuple_denied"):
        ctx.note("table bloat: pgstattuple is not installed in this database, so bloat is estimated from "
                 "statistics; CREATE EXTENSION pgstattuple for measured figures")


SAMPLE_PAGES = 64


def _from_sample(ctx: AuditContext, t: dict[str, Any], block_size: int) -> int | None:
    """Expected pages from the average size of rows on about SAMPLE_PAGES sampled pages."""
    percent = min(100.0, 100.0 * SAMPLE_PAGES / max(1, t["pages"]))
    row = fetch_one(ctx.conn, "audit_table_row_width", {"percent": percent}, table=(t["schema"], t["table"]))
    if not row or not row["sampled"]:
        return None
    return expected_pages(t, block_size, row_width=row["row_width"])


def _measured(ctx: AuditContext, t: dict[str, Any], min_pages: int) -> bool:
    """Judge the table (and its TOAST table) from pgstattuple; False when pgstattuple may not run."""
    parts = [("table", t["table_oid"], t["pages"]), ("TOAST table", t["toast_oid"], t["toast_pages"])]
    for what, oid, pages in parts:
        if not oid or pages < min_pages:
            continue
        m = _measure(ctx, oid, pgstattuple_schema(ctx))
        if m is None:
            return False
        _judge(ctx, t, what, int(m["table_len"]), int(m["approx_free_space"] + m["dead_tuple_len"]),
               "measured with pgstattuple_approx")
    return True


def _judge(ctx: AuditContext, t: dict[str, Any], what: str, size: int, wasted: int, how: str) -> bool:
    th = ctx.thresholds
    if size < th.table_bloat_min_bytes or size <= 0 or wasted / size < th.table_bloat_ratio:
        return False
    where = "" if what == "table" else f"its {what} "
    ctx.add(Finding(
        "table_bloat", "warning", t["table_qname"] + ("" if what == "table" else " (TOAST)"),
        f"{where}{human_bytes(size)} on disk, ~{human_bytes(wasted)} ({human_pct(wasted / size)}) free or dead "
        f"space ({how}): scans read it, and VACUUM only reuses it, never returns it; updated vector rows "
        "leave their old values behind",
        f"-- VACUUM FULL {t['table_qname']};  -- rewrites the table under an ACCESS EXCLUSIVE lock\n"
        "-- or online, without the long lock: pg_repack",
        schema=t["schema"], table=t["table"], size_bytes=size))
    return True
