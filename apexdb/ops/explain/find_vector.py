"""A vector ``ORDER BY`` that did not use the vector index, and why; or used it with too small a search.

The statement (parsed with pglast) says what was asked; the verdict comes from the one
diagnosis, :mod:`apexdb.ops.explain.vector_diagnosis`, which search and audit use too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apexdb.ops.catalog import OPERATOR_METRIC
from apexdb.ops.explain import vector_diagnosis as diagnosis
from apexdb.ops.explain.findings import Finding, node_name
from apexdb.ops.explain.statement import walk


@dataclass
class OrderClause:
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


def vector_orders(statement, params: list[str]) -> list[OrderClause]:
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
        found.append(OrderClause(distance.name[-1].sval, ref[1], ref[0], distance is item, RawStream()(item),
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


def _judge(run, order: OrderClause, table) -> list[Finding]:
    column = next((c for c in table.vector_columns if c.column == order.column), None)
    asked = diagnosis.VectorOrder(table.display, column, order.column, order.operator, table.estimated_rows,
                                  bare=order.bare, has_limit=order.has_limit, cast=order.cast)
    verdict = diagnosis.diagnose(asked, table.vector_indexes, run.plan.root,
                                 probes=run.context.setting_int("ivfflat_probes"), replan=run.replan)
    if verdict.index_used:
        return _judge_used(run, order, verdict.used, verdict.node)
    where = f"ORDER BY {order.text}" + (f" LIMIT {order.limit}" if order.limit is not None else "")
    sort_node = next((n for n in run.plan.nodes() if n.node_type in ("Sort", "Incremental Sort")), None)
    return [Finding(verdict.severity, node_name(sort_node) if sort_node else "query",
                    f"{where} on {table.display} did not use a vector index: {verdict.reason}", verdict.fix or "",
                    sort_node.id if sort_node else None)]


def _judge_used(run, order: OrderClause, index, node) -> list[Finding]:
    """The index was used: is the search deep enough for the LIMIT, and is the filter applied after it?"""
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
