"""The view of ``audit queries``: the index proposals, one row each, with the statements they serve."""
from __future__ import annotations

from typing import Any

from apexdb.render.output import Column, Section, cols


def proposals_section(workload: dict[str, Any]) -> Section:
    """A table of the proposals in ``WorkloadReport.as_json()``, ranked as given."""
    rows = []
    for rank, p in enumerate(workload.get("proposals") or [], 1):
        if p["verified"] is None:
            checked = "not verified (no HypoPG)"
        else:
            checked = (f"{'yes' if p['verified'] else 'no'}: cost {p['cost_before']:,.2f} -> {p['cost_after']:,.2f}"
                       if p["cost_after"] is not None else p["verify_note"])
        serves = ", ".join(f"{s['queryid']} ({s['calls']:,}x {s['mean_ms']:,.1f} ms)" for s in p["statements"])
        rows.append({"rank": rank, "create": p["create"], "total_ms": p["total_ms"], "statements": serves,
                     "verified": checked})
    columns = cols("rank:int", "create", "total_ms:ms") + [Column("statements", "serves (queryid, calls x mean)"),
                                                            Column("verified")]
    title = f"index proposals (plans: {workload.get('plan_method', '?').replace('_', ' ')})"
    return Section(title, rows, columns, empty="no index to propose")
