"""The pgvector checks: vector columns without an ANN index, IVFFlat lists against the row
count, HNSW indexes too big for maintenance_work_mem, and opclasses the workload does not use.

Vector facts (columns, metrics, opclasses, dimension limits) and the CREATE INDEX fix
(:func:`apexdb.ops.catalog.suggest_index`) come from ``apexdb.ops.catalog``; whether a
workload's operator has an index comes from the one vector diagnosis
(:func:`apexdb.ops.explain.vector_diagnosis.catalog_verdict`). The indexes come from the
audit's own catalog read, which never waits on a locked relation.
"""
from __future__ import annotations

import math
from typing import Any

from apexdb.db.queries import fetch, fetch_one
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.indexes import _finding, index_catalog, load_definitions
from apexdb.ops.audit.rebuild import quote_ident, rebuild_statements
from apexdb.ops.audit.settings import row_count, setting_bytes, table_stats
from apexdb.ops.catalog import (METRICS, OPERATOR_METRIC, VectorColumn, VectorIndex, metric_of_opclass, suggest_index,
                                vector_columns)
from apexdb.render.format import human_bytes

IVFFLAT_DEFAULT_LISTS = 100


def _columns(ctx: AuditContext) -> list[VectorColumn]:
    return ctx.cached("vector_columns", lambda: vector_columns(ctx.conn))


def _ann_indexes(ctx: AuditContext) -> list[dict[str, Any]]:
    return [ix for ix in index_catalog(ctx) if ix["method"] in ("hnsw", "ivfflat")]


def _on_column(ctx: AuditContext, col: VectorColumn) -> list[dict[str, Any]]:
    return [ix for ix in _ann_indexes(ctx) if ix["table_oid"] == col.table_oid and col.attnum in ix["table_attnums"]]


def _rows(ctx: AuditContext, table_oid: int) -> int:
    t = table_stats(ctx).get(table_oid, {})
    return row_count(t.get("estimated_rows"), t.get("live_rows"))


def _options(ix: dict[str, Any]) -> dict[str, str]:
    return dict(opt.split("=", 1) for opt in ix["reloptions"] or [])


def _index_sql(col: VectorColumn, metric: str | None, method: str = "hnsw",
               halfvec: bool | None = None) -> tuple[str | None, str]:
    """The one create-index suggestion for ``col`` and ``metric``, and a comment for the fix script."""
    suggestion = suggest_index(col, metric, method=method, halfvec=halfvec)
    if suggestion.statement is None:
        return None, suggestion.note
    comment = f"metric {suggestion.metric}: match it to the operator your queries ORDER BY"
    return suggestion.statement, comment + (f"; {suggestion.note}" if suggestion.note else "")


def _vector_index(ix: dict[str, Any], col: VectorColumn) -> VectorIndex:
    """An index row of the audit's catalog read as the catalog's VectorIndex (for the diagnosis)."""
    on_column = ix["attnums"][0] == col.attnum
    return VectorIndex(ix["schema"], ix["index"], ix["table"], ix["table_oid"], ix["index_oid"], ix["method"],
                       ix["opclasses"][0], col.column if on_column else None,
                       None if on_column else ix["column_defs"][0], _options(ix), ix["predicate"],
                       ix["is_valid"], ix["is_ready"])


def check_without_index(ctx: AuditContext) -> None:
    uses = _workload(ctx) if ctx.enabled("vector_opclass_mismatch") else []
    for col in _columns(ctx):
        rows = _rows(ctx, col.table_oid)
        if rows < ctx.thresholds.vector_min_rows or _on_column(ctx, col):
            continue
        used = sorted({OPERATOR_METRIC[u.operator] for u in uses if u.table == col.table and u.column == col.column})
        statement, comment = _index_sql(col, used[0] if len(used) == 1 else None)
        qname = f"{quote_ident(col.schema)}.{quote_ident(col.table)}"
        dims = f"({col.dims})" if col.dims else ""
        ctx.add(_finding_for_column(
            col, f"~{rows:,} rows and no HNSW or IVFFlat index on {col.column} {col.type}{dims}: every similarity "
                 f"search on {qname} reads and sorts the whole table",
            [statement] if statement else [], [comment]))


def _finding_for_column(col: VectorColumn, detail: str, statements: list[str], comments: list[str]):
    from apexdb.ops.audit.model import Finding

    text = "\n".join([*statements, *(f"-- {c}" for c in comments)])
    return Finding("vector_column_without_index", "warning",
                   f"{quote_ident(col.schema)}.{quote_ident(col.table)}.{quote_ident(col.column)}", detail, text,
                   schema=col.schema, table=col.table, statements=tuple(statements))


def recommended_lists(rows: int) -> int:
    """pgvector's starting point: rows/1000 up to 1M rows, sqrt(rows) above."""
    return max(1, round(rows / 1000)) if rows <= 1_000_000 else round(math.sqrt(rows))


def check_ivfflat_lists(ctx: AuditContext) -> None:
    factor = ctx.thresholds.ivfflat_lists_factor
    for ix in _ann_indexes(ctx):
        if ix["method"] != "ivfflat" or not ix["is_valid"]:
            continue
        rows = row_count(ix["table_rows"], ix["live_rows"])
        if rows < ctx.thresholds.vector_min_rows:
            continue
        lists = int(_options(ix).get("lists", IVFFLAT_DEFAULT_LISTS))
        want = recommended_lists(rows)
        ratio = lists / want
        if 1 / factor <= ratio <= factor:
            continue
        load_definitions(ctx, [ix])
        why = ("too many lists: each holds few rows, so the probes a query makes miss true neighbours"
               if ratio > 1 else "too few lists: every probe scans a large share of the table")
        ctx.add(_finding("ivfflat_lists", "warning", ix,
                         f"lists = {lists} for ~{rows:,} rows; the guideline (rows/1000 up to 1M rows, then "
                         f"sqrt(rows)) gives {want}: {why}",
                         rebuild_statements(ix["definition"], ix["schema"], ix["index"], options={"lists": want}),
                         [f"then start with ivfflat.probes = {max(1, round(math.sqrt(want)))} and tune it"]))


def check_hnsw_memory(ctx: AuditContext) -> None:
    mwm = setting_bytes(ctx, "maintenance_work_mem")
    if mwm is None:
        return
    for ix in _ann_indexes(ctx):
        if ix["method"] != "hnsw" or not ix["is_valid"] or ix["size_bytes"] is None or ix["size_bytes"] <= mwm:
            continue
        need_mb = 64 * math.ceil(ix["size_bytes"] * 1.25 / (64 * 1024 * 1024))
        fix = (f"SET maintenance_work_mem = '{need_mb}MB';  -- in the session that rebuilds it\n"
               f"REINDEX INDEX CONCURRENTLY {ix['index_qname']};")
        finding = _finding("hnsw_exceeds_maintenance_work_mem", "info", ix,
                           f"{human_bytes(ix['size_bytes'])} index, maintenance_work_mem is {human_bytes(mwm)}: a "
                           "rebuild would not fit the graph in memory and runs many times slower", [])
        finding.fix = fix  # shown, never applied by --apply: a rebuild is the maintenance command's job
        ctx.add(finding)


def _workload(ctx: AuditContext) -> list:
    def load():
        from apexdb.ops.audit.workload import operator_uses

        import psycopg

        try:
            with ctx.conn.transaction():  # a role without pg_read_all_settings cannot even ask
                access = fetch_one(ctx.conn, "stat_statements_access") or {}
        except psycopg.errors.InsufficientPrivilege:
            access = {}
        skipped = ("pg_stat_statements is not preloaded, installed or readable here: the opclass/workload "
                   "check was skipped")
        if not (access.get("created") and access.get("readable")) or access.get("preloaded") is False:
            ctx.note(skipped)
            return []
        if not access.get("sees_all_users"):
            ctx.note(f"role {ctx.facts.get('role')} sees only its own statements in pg_stat_statements: "
                     "the opclass/workload check judged those only")
        try:
            with ctx.conn.transaction():
                rows = fetch(ctx.conn, "audit_vector_workload", pgss=(access["schema"], "pg_stat_statements"))
        except psycopg.errors.ObjectNotInPrerequisiteState:  # created, but not preloaded
            ctx.note(skipped)
            return []
        return operator_uses(rows)
    return ctx.cached("workload", load)


def check_opclass_mismatch(ctx: AuditContext) -> None:
    from apexdb.ops.explain.vector_diagnosis import VectorOrder, catalog_verdict

    uses = _workload(ctx)
    for col in _columns(ctx):
        indexes = [ix for ix in _on_column(ctx, col) if ix["is_valid"]]
        if not indexes:
            continue
        as_catalog = [_vector_index(ix, col) for ix in indexes]
        for use in uses:
            if use.table != col.table or use.column != col.column or use.schema not in (None, col.schema):
                continue
            order = VectorOrder(f"{col.schema}.{col.table}", col, col.column, use.operator)
            verdict = catalog_verdict(order, as_catalog)
            if verdict is None or verdict.cause != "operator_mismatch":
                continue
            metric = order.metric
            names = ", ".join(f"{ix['index_qname']} ({metric_of_opclass(ix['opclasses'][0])})" for ix in indexes)
            # The same method and key type as the existing index (the column, or its halfvec cast)
            # with the opclass of the metric the queries use.
            first = indexes[0]
            halfvec = first["opclasses"][0].startswith("halfvec_") and col.type == "vector"
            statement, comment = _index_sql(col, metric, first["method"], halfvec)
            statements = [statement] if statement else []
            comments = [comment] if statement is None else [
                f"then drop {first['index_qname']} if nothing orders by "
                f"{METRICS[metric_of_opclass(first['opclasses'][0]) or metric][0]}"]
            ctx.add(_finding("vector_opclass_mismatch", "warning", first,
                             f"{use.calls:,} calls order {col.table}.{col.column} by {use.operator} ({metric}) but "
                             f"its index(es) {names} serve another metric: those queries scan the whole table",
                             statements, comments))
