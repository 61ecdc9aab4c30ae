"""``apexdb search --explain``: did the planner use the vector index, and if not, why.

The search is planned (never run) under the same settings; the verdict comes from the one
diagnosis, :func:`apexdb.ops.explain.vector_diagnosis.diagnose`, which ``apexdb explain``
and ``apexdb audit`` use too, walking the plan with :mod:`apexdb.ops.explain.plan`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from apexdb.db.connection import current_setting, read_only, set_local
from apexdb.ops.explain import vector_diagnosis as diagnosis
from apexdb.ops.explain.plan import PlanNode, parse_plan
from apexdb.ops.search.query import SearchSql
from apexdb.ops.search.target import SearchTarget


@dataclass
class PlanVerdict:
    index_used: bool
    index: str | None  # the vector index in the plan, or the one the reason is about
    reason: str | None  # why the index was not used, and what to do (None when it was)
    plan: str  # EXPLAIN's text
    nodes: list[str] = field(default_factory=list)  # node labels, outermost first
    total_cost: float | None = None
    cause: str | None = None  # the diagnosis's cause: no_index, operator_mismatch, invalid, partial, ...


def explain_search(conn, target: SearchTarget, search: SearchSql, settings: dict[str, str],
                   exact: bool = False) -> PlanVerdict:
    """Plan the search (no execution) under the same settings and judge the index use."""
    plan, text = _explain(conn, search, settings, exact)
    order = diagnosis.VectorOrder(target.table.display, target.column, target.column.column, target.operator,
                                  target.table.estimated_rows, cast=target.on_expression, filtered=search.filtered,
                                  index_scans_off=exact)
    probes = settings.get("ivfflat.probes") or current_setting(conn, "ivfflat.probes", missing_ok=True)
    verdict = diagnosis.diagnose(order, target.candidates, plan, probes=int(probes) if probes else None,
                                 replan=lambda: _explain(conn, search, settings, exact, forced=True)[0])
    index = verdict.index or target.index
    return PlanVerdict(verdict.index_used, index.name if index else None, verdict.sentence(), text,
                       [n.label for n in plan.walk()], plan.raw.get("Total Cost"), verdict.cause)


def _explain(conn, search: SearchSql, settings: dict[str, str], exact: bool,
             forced: bool = False) -> tuple[PlanNode, str]:
    from psycopg import sql

    with read_only(conn):
        set_local(conn, **settings)
        if exact:
            set_local(conn, enable_indexscan="off")
        if forced:  # what the plan would be if the planner had no cheaper choice
            set_local(conn, enable_seqscan="off", enable_bitmapscan="off")
        document = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + search.query, search.params).fetchone()[0]
        text = "" if forced else "\n".join(r[0] for r in conn.execute(sql.SQL("EXPLAIN ") + search.query,
                                                                         search.params))
    if isinstance(document, str):
        import json

        document = json.loads(document)
    return parse_plan(document[0]).root, _shorten_vectors(text)


def _shorten_vectors(text: str) -> str:
    """Long vector literals in the plan text as their first values and dimension count."""
    import re

    def short(match):
        values = match.group(1).split(",")
        return f"'[{','.join(values[:3])},... {len(values)} dims]'"

    return re.sub(r"'\[([^\]']{80,})\]'", short, text)
