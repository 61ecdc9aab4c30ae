"""Index shapes pg-index-health flags: btree on arrays, boolean keys, a timestamp before the last key,
``WHERE col IS NOT NULL`` on a NOT NULL column, and intersected indexes of methods other than btree
(btree prefixes are ``redundant_index``). Also says which index methods the bloat estimate skips.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from apexdb.db.queries import fetch
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.indexes import _finding, drop_statement, flagged, index_catalog, load_definitions
from apexdb.ops.audit.rebuild import concurrent_definition, rebuild_statements

TIMESTAMPS = ("timestamp", "timestamptz")
BLOAT_ESTIMATED = ("btree",)


def key_columns(ctx: AuditContext) -> dict[int, dict[int, dict[str, Any]]]:
    """index oid -> key position -> the array, boolean or timestamp table column there."""
    def load():
        out: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        for row in fetch(ctx.conn, "audit_index_key_columns"):
            out[row["index_oid"]][row["position"]] = row
        return out
    return ctx.cached("index_key_columns", load)


def _candidates(ctx: AuditContext) -> list[dict[str, Any]]:
    return [ix for ix in index_catalog(ctx) if ix["is_valid"] and ix["index_oid"] not in flagged(ctx)
            and not ix["is_partition"]]


def check_array_and_boolean(ctx: AuditContext) -> None:
    keys = key_columns(ctx)
    arrays, booleans = [], []
    for ix in _candidates(ctx):
        cols = keys.get(ix["index_oid"], {})
        if ix["method"] == "btree" and any(c["is_array"] for c in cols.values()):
            arrays.append((ix, [c["column_name"] for c in cols.values() if c["is_array"]]))
        elif not ix["is_unique"] and any(c["type_name"] == "bool" for c in cols.values()):
            booleans.append((ix, [c["column_name"] for c in cols.values() if c["type_name"] == "bool"]))
    load_definitions(ctx, [ix for ix, _ in arrays + booleans])
    for ix, names in arrays:
        ctx.add(_finding(
            "btree_on_array", "warning", ix,
            f"btree over the array column(s) {', '.join(names)}: it serves only whole-array equality and "
            "ordering, not the containment and overlap (@>, <@, &&) queries arrays get; GIN serves those",
            [], [f"CREATE INDEX CONCURRENTLY ON {ix['table_qname']} USING gin ({', '.join(names)});",
                 drop_statement(ix), "to recreate: " + concurrent_definition(ix["definition"])]))
    for ix, names in booleans:
        ctx.add(_finding(
            "boolean_index", "warning", ix,
            f"indexes the boolean column(s) {', '.join(names)}: two values split the rows in halves an index "
            "rarely beats a scan on; a partial index (WHERE col, or WHERE NOT col) on the rare value serves "
            "the queries that need it",
            [], ["e.g. CREATE INDEX CONCURRENTLY ON " + ix["table_qname"] + f" (...) WHERE {names[0]};",
                 "to recreate: " + concurrent_definition(ix["definition"])]))


def check_timestamp_in_middle(ctx: AuditContext) -> None:
    keys = key_columns(ctx)
    found = []
    for ix in _candidates(ctx):
        cols = keys.get(ix["index_oid"], {})
        n = ix["key_count"]
        if ix["method"] != "btree" or ix["is_unique"] or n < 2:
            continue
        middle = [cols[p]["column_name"] for p in range(1, n) if p in cols and cols[p]["type_name"] in TIMESTAMPS]
        if middle:
            found.append((ix, middle))
    load_definitions(ctx, [ix for ix, _ in found])
    for ix, middle in found:
        ctx.add(_finding(
            "timestamp_mid_index", "info", ix,
            f"timestamp column(s) {', '.join(middle)} before the last key: a range on the timestamp stops the "
            "columns after it from narrowing the scan (put equality columns first, ranges last)",
            [], ["to recreate: " + concurrent_definition(ix["definition"])]))


def check_not_null_predicate(ctx: AuditContext) -> None:
    found = []
    for ix in _candidates(ctx):
        pred = (ix["predicate"] or "").strip()
        if pred.startswith("(") and pred.endswith(")"):
            pred = pred[1:-1].strip()
        if not pred.endswith(" IS NOT NULL"):
            continue
        column = pred[: -len(" IS NOT NULL")].strip().strip('"')
        if _column_not_null(ctx, ix, column):
            found.append((ix, column))
    load_definitions(ctx, [ix for ix, _ in found])
    for ix, column in found:
        flagged(ctx).add(ix["index_oid"])
        ctx.add(_finding(
            "redundant_not_null_predicate", "warning", ix,
            f"partial index WHERE {column} IS NOT NULL, but {column} is NOT NULL: the predicate excludes nothing "
            "and keeps the planner from using the index for queries that do not repeat it",
            rebuild_statements(ix["definition"], ix["schema"], ix["index"], without_predicate=True)))


def _column_not_null(ctx: AuditContext, ix: dict[str, Any], column: str) -> bool:
    nn = ctx.cached("not_null_columns", lambda: {
        (r["table_oid"], r["column_name"]) for r in fetch(ctx.conn, "audit_not_null_columns")})
    return (ix["table_oid"], column) in nn


def check_intersected(ctx: AuditContext) -> None:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for ix in _candidates(ctx):
        if ix["method"] != "btree":
            groups[(ix["table_oid"], ix["method"], ix["predicate"] or "")].append(ix)
    found = []
    for members in groups.values():
        for a in members:
            for b in members:
                if a is b or b["index_oid"] in flagged(ctx) or a["index_oid"] in flagged(ctx):
                    continue
                ka, kb = _keys(a), _keys(b)
                if len(kb) < len(ka) and ka[:len(kb)] == kb and not b["is_unique"] and not b["constraint_name"]:
                    flagged(ctx).add(b["index_oid"])
                    found.append((b, a))
    load_definitions(ctx, [b for b, _ in found])
    for ix, wider in found:
        ctx.add(_finding(
            "intersected_index", "warning", ix,
            f"its keys ({', '.join(k[0] for k in _keys(ix))}) lead {wider['index_qname']} "
            f"({', '.join(k[0] for k in _keys(wider))}), the same {ix['method']} method and opclasses: the wider "
            "index usually serves the same queries", [drop_statement(ix)],
            ["check the wider index serves your queries as well first; to recreate: "
             + concurrent_definition(ix["definition"])]))


def _keys(ix: dict[str, Any]) -> list[tuple]:
    return [(ix["column_defs"][k], ix["opclass_oids"][k], ix["collations"][k]) for k in range(ix["key_count"])]


def bloat_coverage(ctx: AuditContext) -> None:
    """Which index methods the bloat estimate does not cover, said once in the summary."""
    skipped: dict[str, int] = defaultdict(int)
    for ix in index_catalog(ctx):
        if ix["method"] not in BLOAT_ESTIMATED:
            skipped[ix["method"]] += 1
    if skipped:
        listed = ", ".join(f"{n} {m}" for m, n in sorted(skipped.items()))
        ctx.report.coverage.append(f"index bloat is estimated for btree only; not judged: {listed} index(es)")
