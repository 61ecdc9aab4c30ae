"""Index checks that need the planner's column statistics: mostly-NULL indexes and btree bloat.

pg_stats only shows columns this role may SELECT; a pg_monitor-only role sees none
of the application's, so these checks say how many indexes they could not judge.
"""
from __future__ import annotations

import math
from typing import Any

from apexdb.db.queries import fetch
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.indexes import _finding, flagged, index_catalog, load_definitions
from apexdb.ops.audit.rebuild import rebuild_statements
from apexdb.render.format import human_bytes, human_pct

PAGE_HEADER = 24  # PageHeaderData
BTREE_SPECIAL = 16  # BTPageOpaqueData
ITEM_ID = 4
MAXALIGN = 8


def _stats(ctx: AuditContext) -> dict[int, dict[str, Any]]:
    def load():
        rows = {r["index_oid"]: r for r in fetch(ctx.conn, "audit_index_column_stats")}
        hidden = sum(1 for r in rows.values() if not r["can_read_stats"])
        if hidden:
            ctx.note(f"{hidden} btree index(es) are on tables role {ctx.facts.get('role')} may not SELECT from, "
                     "so pg_stats hides their columns: the mostly-NULL and bloat checks skipped them")
        return rows
    return ctx.cached("index_column_stats", load)


def _align(n: float) -> float:
    return math.ceil(n / MAXALIGN) * MAXALIGN


def estimated_btree_bytes(rows: float, key_width: float, null_frac: float, key_columns: int, fillfactor: int,
                          block_size: int) -> int:
    """The size a freshly built btree over ``rows`` keys of ``key_width`` bytes would have.

    A leaf tuple is an 8-byte header plus the key, MAXALIGNed, plus a 4-byte line pointer;
    a tuple with a NULL key column carries a NULL bitmap (header padded to 16) and no bytes
    for the NULL column. Leaves are filled to ``fillfactor``; inner pages and the metapage
    come on top. Deduplication (PostgreSQL 13+) can make the real index smaller, which
    only makes this estimate err towards less bloat, never towards a false finding.
    """
    plain = _align(8 + key_width) + ITEM_ID
    with_null = _align(16 + (key_width if key_columns > 1 else 0)) + ITEM_ID
    tuple_bytes = (1 - null_frac) * plain + null_frac * with_null
    usable = (block_size - PAGE_HEADER - BTREE_SPECIAL) * fillfactor / 100
    per_page = max(1, int(usable // tuple_bytes))
    leaves = math.ceil(rows / per_page) if rows > 0 else 1
    inner = math.ceil(leaves / max(1, int((block_size - PAGE_HEADER - BTREE_SPECIAL) // tuple_bytes)))
    return int((leaves + inner + 1) * block_size)


def check_mostly_null(ctx: AuditContext) -> None:
    t = ctx.thresholds
    stats = _stats(ctx)
    for ix in index_catalog(ctx):
        st = stats.get(ix["index_oid"])
        if (st is None or not ix["is_valid"] or ix["index_oid"] in flagged(ctx) or ix["is_unique"]
                or ix["constraint_name"] or ix["predicate"] or st["key_columns"] != 1 or st["has_expressions"]
                or st["leading_null_frac"] is None or ix["index_kind"] == "I" or ix["is_partition"]):
            continue
        if st["leading_null_frac"] < t.mostly_null_fraction or (ix["size_bytes"] or 0) < t.mostly_null_min_bytes:
            continue
        flagged(ctx).add(ix["index_oid"])
        load_definitions(ctx, [ix])
        column = st["leading_column"]
        statements = rebuild_statements(ix["definition"], ix["schema"], ix["index"], not_null_column=column)
        ctx.add(_finding(
            "mostly_null_index", "warning", ix,
            f"{human_pct(st['leading_null_frac'])} of {column} is NULL, and the index ({human_bytes(ix['size_bytes'])})"
            f" stores every one of them; a partial index WHERE {column} IS NOT NULL serves the same lookups",
            statements))


def check_bloat(ctx: AuditContext) -> None:
    t = ctx.thresholds
    stats = _stats(ctx)
    block_size = ctx.facts.get("block_size") or 8192
    for ix in index_catalog(ctx):
        st = stats.get(ix["index_oid"])
        size = ix["size_bytes"]
        if (st is None or size is None or size < t.bloat_min_bytes or not ix["is_valid"] or ix["predicate"]
                or ix["index_oid"] in flagged(ctx) or st["has_expressions"] or st["reltuples"] < 0
                or st["columns_with_stats"] < st["key_columns"] or ix["index_kind"] == "I"):
            continue
        expected = estimated_btree_bytes(st["reltuples"], float(st["key_width"] or 0), float(st["max_null_frac"]),
                                         st["key_columns"], st["fillfactor"], block_size)
        wasted = size - expected
        if wasted <= 0 or wasted / size < t.bloat_min_ratio:
            continue
        statement = f"REINDEX INDEX CONCURRENTLY {ix['index_qname']};"
        ctx.add(_finding(
            "index_bloat", "warning", ix,
            f"{human_bytes(size)} on disk, ~{human_bytes(expected)} expected for {int(st['reltuples']):,} rows: "
            f"~{human_pct(wasted / size)} ({human_bytes(wasted)}) is free space a rebuild returns (estimate from "
            "pg_stats)", [statement]))
