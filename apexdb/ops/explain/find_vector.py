"""A vector ``ORDER BY`` that did not use the vector index, and why; or used it with too small a search.

pgvector serves only ``ORDER BY column <op> value LIMIT k`` with ``<op>`` matching the
index's opclass. The statement (parsed with pglast) says what was asked; the plan says
whether an index scan on an HNSW/IVFFlat index happened; vector_catalog says what exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apexdb.ops.explain.conditions import expression_columns, qualified, quote_ident
from apexdb.ops.explain.findings import Finding, node_name
from apexdb.ops.explain.statement import walk
from apexdb.ops.vector_catalog import METRICS, OPERATOR_METRIC


@dataclass
class VectorOrder:
    operator: str
    column: str
    alias: str | None
    bare: bool  # ORDER BY col <op> value itself, not an expression around it
    text: str  # the ORDER BY item as written (deparsed)
    limit: int | None
    has_limit: bool
    relation: Any  # the pglast RangeVar the column belongs to
    cast: bool = False  # the column is cast (embedding::halfvec(n)), as an expression index needs


def find(run) -> list[Finding]:
    if not run.context.has_vector:
        return []
    out = []
    for order in vector_orders(run.statement.node, run.options.params):
        table = _table(run, order.relation)
        if table is None:
            continue
        out.extend(_judge(run, order, table))
    return out


def vector_orders(statement, params: list[str]) -> list[VectorOrder]:
    """Every SELECT in the statement whose first ORDER BY item involves a distance operator."""
    from pglast.ast import A_Expr, SelectStmt, TypeCast
    from pglast.stream import RawStream

    found = []
    for select in (n for n in walk(statement) if isinstance(n, SelectStmt) and n.sortClause):
        item = select.sortClause[0].node
        distance = next((n for n in walk(item) if isinstance(n, A_Expr) and n.name
                         and n.name[-1].sval in OPERATOR_METRIC), None)
        if distance is None:
            continue
        ref = _column(distance.lexpr) or _column(distance.rexpr)
        if ref is None:
            continue
        relation = _relation_of(select, ref[0])
        if relation is None:
            continue
        limit = _limit(select.limitCount, params)
        column_side = distance.lexpr if _column(distance.lexpr) else distance.rexpr
        cast = isinstance(column_side, TypeCast)
        found.append(VectorOrder(distance.name[-1].sval, ref[1], ref[0], distance is item, RawStream()(item),
                                 limit, select.limitCount is not None, relation, cast))
    return found


def _column(node) -> tuple[str | None, str] | None:
    from pglast.ast import ColumnRef, String, TypeCast

    while isinstance(node, TypeCast):  # embedding::halfvec(384) <=> ...
        node = node.arg
    if not isinstance(node, ColumnRef):
        return None
    names = [f.sval for f in node.fields if isinstance(f, String)]
    return (names[-2] if len(names) > 1 else None, names[-1]) if names else None


def _relation_of(select, alias: str | None):
    from pglast.ast import RangeVar

    relations = [n for n in walk(list(select.fromClause or [])) if isinstance(n, RangeVar)]
    if alias is None:
        return relations[0] if len(relations) == 1 else None
    for rel in relations:
        if (rel.alias.aliasname if rel.alias else rel.relname) == alias:
            return rel
    return None


def _limit(node, params: list[str]) -> int | None:
    from pglast.ast import A_Const, Integer, ParamRef, TypeCast

    while isinstance(node, TypeCast):
        node = node.arg
    if isinstance(node, A_Const) and isinstance(node.val, Integer):
        return node.val.ival
    if isinstance(node, ParamRef) and node.number <= len(params):
        try:
            return int(params[node.number - 1])
        except ValueError:
            return None
    return None


def _table(run, relation):
    for table in run.context.tables.values():
        if table.name == relation.relname and relation.schemaname in (None, table.schema):
            return table
    return None


def _judge(run, order: VectorOrder, table) -> list[Finding]:
    metric = OPERATOR_METRIC[order.operator]
    on_column = [i for i in table.vector_indexes if i.column == order.column
                 or order.column in expression_columns(i.expression)]
    names = {i.name for i in table.vector_indexes}
    used = [n for n in run.plan.nodes() if n.index in names]
    if used:
        return _judge_used(run, order, table, used[0])
    where = f"ORDER BY {order.text}" + (f" LIMIT {order.limit}" if order.limit is not None else "")
    head = f"{where} on {table.display} did not use a vector index: "
    target = qualified(table.schema, table.name)
    sort_node = next((n for n in run.plan.nodes() if n.node_type in ("Sort", "Incremental Sort")), None)
    node = node_name(sort_node) if sort_node else "query"
    node_id = sort_node.id if sort_node else None

    def finding(severity: str, why: str, fix: str) -> list[Finding]:
        return [Finding(severity, node, head + why, fix, node_id)]

    if not on_column:
        return finding("warning", f"there is no HNSW or IVFFlat index on {order.column}", _create_fix(
            table, order.column, metric))
    matching = [i for i in on_column if i.metric == metric]
    if not matching:
        have = ", ".join(f"{i.name} ({i.opclass}, operator {i.operator})" for i in on_column)
        return finding("warning", f"it orders by {order.operator} ({metric}) but the index serves another "
                       f"operator: {have}",
                       f"ORDER BY {order.column} {on_column[0].operator} ... to use {on_column[0].name}, or "
                       + _create_fix(table, order.column, metric))
    index = matching[0]
    if not index.valid:
        return finding("critical", f"index {index.name} is INVALID (a failed concurrent build)",
                       f"REINDEX INDEX CONCURRENTLY {qualified(index.schema, index.name)};")
    if not order.bare:
        return finding("warning", "it orders by an expression around the distance, which no index serves",
                       f"ORDER BY the bare distance ({order.column} {order.operator} <query vector>) and compute "
                       "the derived value in the select list")
    if not order.has_limit:
        return finding("warning", "there is no LIMIT; an index serves only ORDER BY distance LIMIT k",
                       "add LIMIT k (the number of neighbours you need)")
    if index.column is None and index.expression and not order.cast:
        return finding("warning", f"index {index.name} is on the expression {index.expression}, "
                       f"but the query orders by the bare column {order.column}",
                       f"ORDER BY {index.expression} {order.operator} <query vector> to match the index")
    probes = run.context.setting_int("ivfflat_probes")
    lists = int(index.options.get("lists", 100))
    if index.method == "ivfflat" and probes is not None and probes >= lists:
        return finding("warning", f"ivfflat.probes = {probes} searches all of the index's {lists} lists, so "
                       "the index costs as much as an exact scan", f"SET ivfflat.probes = {max(1, int(lists ** 0.5))}"
                       " (sqrt(lists) as a start; raise it while recall is short)")
    return finding("info", f"the planner preferred another plan although {index.name} matches "
                   f"({table.estimated_rows:,} rows estimated in the table)",
                   "expected for small tables; to compare, run the query with SET LOCAL enable_seqscan = off "
                   f"in a transaction, and ANALYZE {target} if the row count is stale")


def _create_fix(table, column: str, metric: str) -> str:
    from apexdb.errors import BadInput
    from apexdb.ops.vector_catalog import opclass_for

    col = next((c for c in table.vector_columns if c.column == column), None)
    type_ = col.type if col else "vector"
    try:
        opclass = opclass_for(type_, "hnsw", metric)
    except BadInput as exc:
        return str(exc)
    name = quote_ident(f"{table.name}_{column}_{METRICS[metric][1].removesuffix('_ops')}_hnsw_idx"[:63])
    return (f"CREATE INDEX CONCURRENTLY {name} ON {qualified(table.schema, table.name)} "
            f"USING hnsw ({quote_ident(column)} {opclass});")


def _judge_used(run, order: VectorOrder, table, node) -> list[Finding]:
    index = next(i for i in table.vector_indexes if i.name == node.index)
    out = []
    iterative = (run.context.settings.get("hnsw_iterative_scan") or "off") != "off"
    ef_search = run.context.setting_int("hnsw_ef_search")
    if index.method == "hnsw" and ef_search and order.limit and order.limit > ef_search and not iterative:
        out.append(Finding("warning", node_name(node),
                           f"LIMIT {order.limit} is above hnsw.ef_search = {ef_search}: an HNSW scan returns at "
                           f"most {ef_search} rows, so the query can return fewer than asked",
                           f"SET hnsw.ef_search = {min(max(order.limit, ef_search), 1000)} (1..1000), or SET "
                           "hnsw.iterative_scan = relaxed_order", node.id))
    if index.method == "hnsw" and node.filter and not iterative:
        short = node.analyzed and order.limit and node.rows_total < order.limit
        out.append(Finding("warning" if short else "info", node_name(node),
                           f"the filter {node.filter} is applied after the HNSW scan" +
                           (f" and left {node.rows_total:,.0f} of the {order.limit} rows asked" if short else
                            "; with a selective filter it returns fewer rows than LIMIT"),
                           "SET hnsw.iterative_scan = relaxed_order (pgvector 0.8+), or a partial index "
                           "per filter value", node.id))
    return out
