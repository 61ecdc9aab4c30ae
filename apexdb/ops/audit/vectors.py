"""The pgvector checks: vector columns without an ANN index, IVFFlat lists against the row
count, HNSW indexes too big for maintenance_work_mem, and opclasses the workload does not use.

Vector facts (columns, metrics, opclasses, dimension limits) come from
``apexdb.ops.vector_catalog``; the indexes come from the audit's own catalog read,
which never waits on a locked relation.
"""
from __future__ import annotations

import math
from typing import Any

from apexdb.db.queries import fetch, fetch_one
from apexdb.errors import BadInput
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.indexes import _finding, index_catalog, load_definitions
from apexdb.ops.audit.rebuild import quote_ident, rebuild_statements
from apexdb.ops.audit.settings import row_count, setting_bytes, table_stats
from apexdb.ops.settings import maintenance_memory_needed
from apexdb.ops.vector_catalog import (INDEX_DIM_LIMIT, METRICS, OPCLASS_METRICS, OPERATOR_METRIC, VectorColumn,
                                       metric_of_opclass, opclass_for, vector_columns)
from apexdb.units import human_bytes, setting_size

IVFFLAT_DEFAULT_LISTS = 100


def _columns(ctx: AuditContext) -> list[VectorColumn]:
    return ctx.cached("catalog_vector_columns", lambda: vector_columns(ctx.conn))


def _ann_indexes(ctx: AuditContext) -> list[dict[str, Any]]:
    return [ix for ix in index_catalog(ctx) if ix["method"] in ("hnsw", "ivfflat")]


def _on_column(ctx: AuditContext, col: VectorColumn) -> list[dict[str, Any]]:
    return [ix for ix in _ann_indexes(ctx) if ix["table_oid"] == col.table_oid and col.attnum in ix["table_attnums"]]


def _rows(ctx: AuditContext, table_oid: int) -> int:
    t = table_stats(ctx).get(table_oid, {})
    return row_count(t.get("estimated_rows"), t.get("live_rows"))


def _options(ix: dict[str, Any]) -> dict[str, str]:
    return dict(opt.split("=", 1) for opt in ix["reloptions"] or [])


def _index_sql(col: VectorColumn, metric: str) -> tuple[str | None, str]:
    """CREATE INDEX for ``col`` with ``metric``; a halfvec expression when the column is too wide."""
    table = f"{quote_ident(col.schema)}.{quote_ident(col.table)}"
    limit = INDEX_DIM_LIMIT.get(col.type)
    key, type_ = quote_ident(col.column), col.type
    if limit and col.dims and col.dims > limit:
        if col.type == "vector" and col.dims <= INDEX_DIM_LIMIT["halfvec"]:
            key, type_ = f"({quote_ident(col.column)}::halfvec({col.dims}))", "halfvec"
        else:
            return None, f"{col.type}({col.dims}) is wider than any ANN index accepts; reduce dimensions first"
    if metric not in OPCLASS_METRICS.get((type_, "hnsw"), ()):
        metric = OPCLASS_METRICS[(type_, "hnsw")][0]
    return (f"CREATE INDEX CONCURRENTLY ON {table} USING hnsw ({key} {opclass_for(type_, 'hnsw', metric)});",
            f"metric {metric}: match it to the operator your queries ORDER BY")


def check_without_index(ctx: AuditContext) -> None:
    uses = _workload(ctx) if ctx.enabled("vector_opclass_mismatch") else []
    for col in _columns(ctx):
        rows = _rows(ctx, col.table_oid)
        if rows < ctx.thresholds.vector_min_rows or _on_column(ctx, col):
            continue
        used = sorted({OPERATOR_METRIC[u.operator] for u in uses if u.table == col.table and u.column == col.column})
        statement, comment = _index_sql(col, used[0] if len(used) == 1 else "cosine")
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
        if ix["method"] != "hnsw" or not ix["is_valid"] or ix["size_bytes"] is None:
            continue
        need = maintenance_memory_needed(ix["size_bytes"])  # the memory rule stats settings and audit config use
        if need <= mwm:
            continue
        fix = (f"SET maintenance_work_mem = '{setting_size(need)}';  -- in the session that rebuilds it\n"
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
                access = fetch_one(ctx.conn, "stats_statements_access") or {}
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
    uses = _workload(ctx)
    for col in _columns(ctx):
        indexes = [ix for ix in _on_column(ctx, col) if ix["is_valid"]]
        if not indexes:
            continue
        for use in uses:
            if use.table != col.table or use.column != col.column or use.schema not in (None, col.schema):
                continue
            metric = OPERATOR_METRIC[use.operator]
            have = {metric_of_opclass(ix["opclasses"][0]) for ix in indexes}
            if metric in have:
                continue
            method = indexes[0]["method"]
            names = ", ".join(f"{ix['index_qname']} ({metric_of_opclass(ix['opclasses'][0])})" for ix in indexes)
            statements, comments = [], []
            try:
                # The same key as the existing index (a column, or an expression such as a halfvec cast)
                # with the opclass of the metric the queries use.
                first = indexes[0]
                have_metric = metric_of_opclass(first["opclasses"][0])
                key_type = first["opclasses"][0][: -len("_" + METRICS[have_metric][1])] if have_metric else col.type
                opclass = opclass_for(key_type, method, metric)
                statements = [f"CREATE INDEX CONCURRENTLY ON {first['table_qname']} USING {method} "
                              f"({first['column_defs'][0]} {opclass});"]
                comments = [f"then drop {indexes[0]['index_qname']} if nothing orders by "
                            f"{METRICS[metric_of_opclass(indexes[0]['opclasses'][0]) or metric][0]}"]
            except BadInput as exc:  # no opclass for this metric and method: say so instead
                comments = [str(exc)]
            ctx.add(_finding("vector_opclass_mismatch", "warning", indexes[0],
                             f"{use.calls:,} calls order {col.table}.{col.column} by {use.operator} ({metric}) but "
                             f"its index(es) {names} serve another metric: those queries scan the whole table",
                             statements, comments))
