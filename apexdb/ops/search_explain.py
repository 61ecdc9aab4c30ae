"""``apexdb search --explain``: did the planner use the vector index, and if not, why.

pgvector's index serves only ``ORDER BY col <op> value LIMIT k`` where ``<op>`` is the
operator of the index's opclass; beyond that, the planner may still prefer another plan
by cost (a small table, a selective filter, probes = lists on IVFFlat). The verdict
names the first reason that applies, checked from the catalog and from the plan itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from apexdb.db.connection import read_only, set_local
from apexdb.ops.search_query import SearchSql
from apexdb.ops.search_target import SearchTarget

SMALL_TABLE_ROWS = 10_000


@dataclass
class PlanVerdict:
    index_used: bool
    index: str | None  # the vector index in the plan, or the one the query was written for
    reason: str | None  # why the index was not used (None when it was)
    plan: str  # EXPLAIN's text
    nodes: list[str] = field(default_factory=list)  # node types, outermost first
    total_cost: float | None = None


def explain_search(conn, target: SearchTarget, search: SearchSql, settings: dict[str, str],
                   exact: bool = False) -> PlanVerdict:
    """Plan the search (no execution) under the same settings and judge the index use."""
    plan_json, plan_text = _explain(conn, search, settings, exact)
    names = {i.name for i in target.indexes + target.expression_indexes}
    used = _vector_index_in(plan_json, names)
    nodes = _node_types(plan_json)
    cost = plan_json.get("Total Cost")
    if used:
        return PlanVerdict(True, used, None, plan_text, nodes, cost)
    reason = _why_not(conn, target, search, settings, exact, plan_json)
    return PlanVerdict(False, target.index.name if target.index else None, reason, plan_text, nodes, cost)


def _explain(conn, search: SearchSql, settings: dict[str, str], exact: bool, forced: bool = False):
    from psycopg import sql

    with read_only(conn):
        set_local(conn, **settings)
        if exact:
            set_local(conn, enable_indexscan="off")
        if forced:  # what the plan would be if the planner had no cheaper choice
            set_local(conn, enable_seqscan="off", enable_bitmapscan="off")
        plan = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + search.query, search.params).fetchone()[0]
        text = "" if forced else "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN ") + search.query,
                                                                         search.params))
    text = _shorten_vectors(text)
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return plan[0]["Plan"], text


def _shorten_vectors(text: str) -> str:
    """Long vector literals in the plan text as their first values and dimension count."""
    import re

    def short(match):
        values = match.group(1).split(",")
        return f"'[{','.join(values[:3])},... {len(values)} dims]'"

    return re.sub(r"'\[([^\]']{80,})\]'", short, text)


def _walk(node: dict):
    yield node
    for child in node.get("Plans", []) or []:
        yield from _walk(child)


def _vector_index_in(plan: dict, names: set[str]) -> str | None:
    for node in _walk(plan):
        if node.get("Node Type") in ("Index Scan", "Index Only Scan") and node.get("Index Name") in names:
            return node["Index Name"]
    return None


def _node_types(plan: dict) -> list[str]:
    out = []
    for node in _walk(plan):
        label = node.get("Node Type", "?")
        if node.get("Index Name"):
            label += f" using {node['Index Name']}"
        elif node.get("Relation Name"):
            label += f" on {node['Relation Name']}"
        out.append(label)
    return out


def _why_not(conn, target: SearchTarget, search: SearchSql, settings: dict[str, str], exact: bool,
             plan: dict) -> str:
    col = target.column.column
    if exact:
        return "index scans are turned off for this query (--exact runs the exact scan)"
    candidates = target.indexes + target.expression_indexes
    if not candidates:
        return f"there is no HNSW or IVFFlat index on {col}; {target.index_hint()}"
    index = target.index
    if index is None:
        other = candidates[0]
        return (f"operator or opclass mismatch: {target.metric} distance uses {target.operator}, but "
                f"{other.name} is built with {other.opclass} ({other.operator}); search with "
                f"--metric {other.metric} to use it, or build an index for {target.metric}")
    if index.method == "ivfflat":
        lists = int(index.options.get("lists", 100))
        probes = int(settings.get("ivfflat.probes") or _current(conn, "ivfflat.probes") or 1)
        if probes >= lists:
            return (f"ivfflat.probes ({probes}) is not below lists ({lists}): every list is scanned, so the "
                    f"planner treats the index as no cheaper than an exact scan")
    if index.predicate:
        return (f"{index.name} is a partial index (WHERE {index.predicate}) and this query's conditions "
                f"do not imply its predicate")
    forced_plan, _ = _explain(conn, search, settings, exact, forced=True)
    if _vector_index_in(forced_plan, {index.name}):
        chosen = " > ".join(_node_types(plan)[:3])
        why = ("the table is small" if target.table.estimated_rows < SMALL_TABLE_ROWS
               else "the filter looks selective, so filtering first looks cheaper" if search.filtered
               else "its statistics make the index scan look expensive")
        return (f"the planner chose {chosen} (cost {plan.get('Total Cost', 0):.0f}) over {index.name} "
                f"(cost {forced_plan.get('Total Cost', 0):.0f}): {why}; run ANALYZE if the table changed a lot")
    return (f"the planner cannot use {index.name} for this query: it needs ORDER BY {col} {target.operator} "
            f"value with a LIMIT and no other sort key (an ORDER BY expression or a missing LIMIT prevents it)")


def _current(conn, name: str) -> str | None:
    from apexdb.db.connection import current_setting

    return current_setting(conn, name, missing_ok=True)
