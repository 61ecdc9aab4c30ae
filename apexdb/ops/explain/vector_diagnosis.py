"""Why a vector ``ORDER BY`` did not use an HNSW/IVFFlat index: the one diagnosis.

pgvector's index serves only ``ORDER BY column <op> value LIMIT k`` where ``<op>`` is the
operator of the index's opclass. ``apexdb explain`` (a statement parsed with pglast),
``apexdb search`` (the query it writes) and ``apexdb audit`` (statements from
pg_stat_statements, no plan) describe what was asked as a :class:`VectorOrder`; this
module says which index the plan used, or the first reason that applies, in this order:

1. index scans were switched off (``search --exact``);
2. no HNSW/IVFFlat index on the column or an expression of it;
3. the operator does not match any index's opclass;
4. the matching index is INVALID;
5. ORDER BY an expression around the distance; 6. no LIMIT;
7. the index is on an expression (``col::halfvec(n)``) but the query orders by the column;
8. ``ivfflat.probes >= lists``;
9. a partial index whose predicate the query does not imply;
10. the planner preferred another plan by cost, or 11. could not use the index at all
    (told apart by planning again with sequential and bitmap scans off, when the caller can).

Steps 1-4 need only the catalog (:func:`catalog_verdict`, which audit uses); the rest need
the plan, walked with :mod:`apexdb.ops.explain.plan`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from apexdb.ops.catalog import OPERATOR_METRIC, VectorColumn, VectorIndex, suggest_index
from apexdb.ops.explain.plan import PlanNode

SMALL_TABLE_ROWS = 10_000
INDEX_SCANS = ("Index Scan", "Index Only Scan")


@dataclass(frozen=True)
class VectorOrder:
    """One ``ORDER BY column <op> value [LIMIT k]`` on one table, as the query writes it."""

    table: str  # schema.name, for messages
    column: VectorColumn | None  # None when only the name is known
    column_name: str
    operator: str
    estimated_rows: int = 0
    bare: bool = True  # ORDER BY the distance itself, not an expression around it
    has_limit: bool = True
    cast: bool = False  # orders by an expression of the column (col::halfvec(n)), as an expression index needs
    filtered: bool = False  # the query has conditions besides the distance
    index_scans_off: bool = False  # index scans switched off on purpose (search --exact)

    @property
    def metric(self) -> str:
        return OPERATOR_METRIC[self.operator]


@dataclass
class Diagnosis:
    """The verdict: the index used, or why none was (cause, severity, reason, fix)."""

    used: VectorIndex | None = None
    node: PlanNode | None = None  # the index scan that used it
    index: VectorIndex | None = None  # the index the reason is about
    cause: str | None = None  # no_index, operator_mismatch, invalid, ... (see the module docstring)
    severity: str = "info"
    reason: str | None = None
    fix: str | None = None

    @property
    def index_used(self) -> bool:
        return self.used is not None

    def sentence(self) -> str | None:
        """Reason and fix in one line (search --explain)."""
        if self.reason is None:
            return None
        return self.reason + (f"; {self.fix}" if self.fix else "")


def indexes_for(order: VectorOrder, indexes: list[VectorIndex]) -> list[VectorIndex]:
    """The ANN indexes over the ordered column itself or an expression of it."""
    from apexdb.ops.explain.conditions import expression_columns

    return [i for i in indexes if i.column == order.column_name
            or (i.column is None and order.column_name in expression_columns(i.expression))]


def index_in_plan(root: PlanNode, indexes: list[VectorIndex]) -> tuple[PlanNode, VectorIndex] | None:
    """The first index scan on one of ``indexes`` anywhere in the plan."""
    by_name = {i.name: i for i in indexes}
    for node in root.walk():
        if node.node_type in INDEX_SCANS and node.index in by_name:
            return node, by_name[node.index]
    return None


def diagnose(order: VectorOrder, indexes: list[VectorIndex], plan: PlanNode, *, probes: int | None = None,
             replan: Callable[[], PlanNode | None] | None = None) -> Diagnosis:
    """Which index the plan used for ``order``, or why none; ``replan`` plans the query again with
    sequential and bitmap scans off (None when the caller cannot)."""
    on_column = indexes_for(order, indexes)
    found = index_in_plan(plan, on_column)
    if found:
        return Diagnosis(used=found[1], node=found[0], index=found[1])
    verdict = catalog_verdict(order, on_column)
    if verdict is not None:
        return verdict
    index = _best([i for i in on_column if i.metric == order.metric and i.valid and i.ready])
    col, op = order.column_name, order.operator
    if not order.bare:
        return _why("expression_order", "warning", index, "it orders by an expression around the distance, "
                    "which no index serves", f"ORDER BY the bare distance ({col} {op} <query vector>) and "
                    "compute the derived value in the select list")
    if not order.has_limit:
        return _why("no_limit", "warning", index, "there is no LIMIT; an index serves only ORDER BY distance "
                    "LIMIT k", "add LIMIT k (the number of neighbours you need)")
    if index.column is None and index.expression and not order.cast:
        return _why("expression_index", "warning", index, f"index {index.name} is on the expression "
                    f"{index.expression}, but the query orders by the bare column {col}",
                    f"ORDER BY {index.expression} {op} <query vector> to match the index")
    lists = int(index.options.get("lists", 100))
    if index.method == "ivfflat" and probes is not None and probes >= lists:
        return _why("probes", "warning", index, f"ivfflat.probes ({probes}) is not below lists ({lists}): every "
                    "list is scanned, so the planner treats the index as no cheaper than an exact scan",
                    f"SET ivfflat.probes = {max(1, int(lists ** 0.5))} (sqrt(lists) as a start; raise it while "
                    "recall is short)")
    forced = replan() if replan is not None else None
    usable = forced is not None and index_in_plan(forced, [index]) is not None
    if index.predicate and not usable:
        create = _create(order)
        return _why("partial", "warning", index, f"{index.name} is a partial index (WHERE {index.predicate}) and "
                    "this query's conditions do not imply its predicate",
                    f"add the index's condition ({index.predicate}) to the query's WHERE clause"
                    + (f", or build a full index: {create}" if create else ""))
    if forced is None:
        return _why("cost", "info", index, f"the planner preferred another plan although {index.name} matches "
                    f"({order.estimated_rows:,} rows estimated in the table)",
                    "expected for small tables; to compare, run the query with SET LOCAL enable_seqscan = off "
                    f"in a transaction, and ANALYZE {order.table} if the row count is stale")
    if usable:
        chosen = " > ".join(n.label for n in list(plan.walk())[:3])
        why = ("the table is small" if order.estimated_rows < SMALL_TABLE_ROWS
               else "the filter looks selective, so filtering first looks cheaper" if order.filtered
               else "its statistics make the index scan look expensive")
        return _why("cost", "info", index, f"the planner chose {chosen} (cost {_cost(plan):.0f}) over "
                    f"{index.name} (cost {_cost(forced):.0f}): {why}",
                    f"run ANALYZE {order.table} if the table changed a lot")
    return _why("unusable", "warning", index, f"the planner cannot use {index.name} for this query: it needs "
                f"ORDER BY {col} {op} value, ascending, with a LIMIT",
                "ORDER BY the distance alone, ascending (an index returns nearest first; DESC or a sort key "
                "before the distance cannot use it), with LIMIT k")


def catalog_verdict(order: VectorOrder, on_column: list[VectorIndex]) -> Diagnosis | None:
    """The reasons the catalog alone gives (steps 1-4), or None when a valid index matches the operator."""
    col, op, metric = order.column_name, order.operator, order.metric
    if order.index_scans_off:
        return _why("index_scans_off", "info", None, "index scans are turned off for this query (--exact runs "
                    "the exact scan)", None)
    if not on_column:
        return _why("no_index", "warning", None, f"there is no HNSW or IVFFlat index on {col}", _create(order))
    matching = [i for i in on_column if i.metric == metric]
    if not matching:
        have = ", ".join(f"{i.name} ({i.opclass}, operator {i.operator})" for i in on_column)
        other = _best(on_column)
        create = _create(order)
        return _why("operator_mismatch", "warning", other, f"it orders by {op} ({metric}) but the index serves "
                    f"another operator: {have}", f"ORDER BY {col} {other.operator} ... to use {other.name} "
                    f"(apexdb search --metric {other.metric})" + (f", or {create}" if create else ""))
    if not any(i.valid and i.ready for i in matching):
        index = matching[0]
        return _why("invalid", "critical", index, f"index {index.name} is INVALID (a failed or interrupted "
                    "concurrent build), so the planner never uses it", reindex_statement(index))
    return None


def reindex_statement(index: VectorIndex) -> str:
    from psycopg import sql

    return sql.SQL("REINDEX INDEX CONCURRENTLY {};").format(sql.Identifier(index.schema, index.name)).as_string(None)


def _create(order: VectorOrder) -> str | None:
    """The one create-index suggestion for the ordered column and metric."""
    if order.column is None:
        return None
    suggestion = suggest_index(order.column, order.metric)
    if suggestion.statement is None:
        return suggestion.note
    return suggestion.statement + (f" -- {suggestion.note}" if suggestion.note else "")


def _best(indexes: list[VectorIndex]) -> VectorIndex | None:
    """HNSW before IVFFlat, full before partial, then by name."""
    if not indexes:
        return None
    return sorted(indexes, key=lambda i: (i.method != "hnsw", i.predicate is not None, i.name))[0]


def _why(cause: str, severity: str, index: VectorIndex | None, reason: str, fix: str | None) -> Diagnosis:
    return Diagnosis(index=index, cause=cause, severity=severity, reason=reason, fix=fix)


def _cost(node: PlanNode) -> float:
    return float(node.raw.get("Total Cost", 0) or 0)


__all__ = ["Diagnosis", "VectorOrder", "catalog_verdict", "diagnose", "index_in_plan", "indexes_for",
           "reindex_statement"]
