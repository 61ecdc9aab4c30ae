"""Checking each proposal with a hypothetical index (HypoPG), when the extension is installed.

HypoPG's indexes live in this backend's memory only: nothing is built, written or locked,
and they work inside the audit's READ ONLY transaction. Each proposal's statements are
planned again with its hypothetical index; the proposal is verified when the planner uses
the index and the summed plan cost drops. Every hypothetical index is reset afterwards,
whatever happens.
"""
from __future__ import annotations

from typing import Any, Callable

from apexdb.db.queries import fetch, fetch_one
from apexdb.ops.workload.plans import Skip


def hypopg_schema(conn) -> str | None:
    row = fetch_one(conn, "workload_hypopg_schema")
    return row["schema"] if row else None


def verify(conn, schema: str, proposals: list, replan: Callable[[Any], Any], before: dict[int, float]) -> None:
    """Set ``verified``, ``cost_before`` and ``cost_after`` on each proposal.

    ``replan(statement)`` plans a WorkloadStatement again (an ExplainRun); ``before`` holds the
    plan cost of each queryid without the index."""
    for proposal in proposals:
        try:
            hypo = fetch_one(conn, "workload_hypopg_create", {"definition": proposal.definition(
                concurrently=False, named=False)}, hypopg_schema=schema)
            marker = f"<{hypo['oid']}>"
            cost_before = cost_after = 0.0
            used = False
            for stmt in proposal.statements:
                run = replan(stmt)
                cost_before += before.get(stmt.queryid, 0.0)
                cost_after += float(run.plan.root.raw.get("Total Cost", 0.0))
                used = used or any(n.index and marker in n.index for n in run.plan.nodes())
            proposal.cost_before, proposal.cost_after = round(cost_before, 2), round(cost_after, 2)
            proposal.verified = used and cost_after < cost_before
            proposal.verify_note = (f"HypoPG: plan cost {cost_before:,.2f} -> {cost_after:,.2f}" if used else
                                    "HypoPG: the planner did not use the hypothetical index")
        except Skip as exc:
            proposal.verified, proposal.verify_note = False, f"HypoPG: could not plan again ({exc})"
        finally:
            fetch(conn, "workload_hypopg_reset", hypopg_schema=schema)
