"""Planning time or JIT compilation taking more than the query itself."""
from __future__ import annotations

from apexdb.ops.explain.findings import Finding

MIN_MS = 5.0  # below this nobody notices, whatever the ratio


def find(run) -> list[Finding]:
    plan, out = run.plan, []
    execution = plan.execution_ms
    planning = plan.planning_ms
    if execution is not None and planning is not None and planning >= MIN_MS and planning > execution:
        out.append(Finding(
            "warning", "query",
            f"planning took {planning:.1f} ms, more than executing ({execution:.1f} ms)",
            "reuse the plan with a prepared statement (PREPARE, or the driver's prepared statements); "
            "with many partitions make sure the WHERE clause prunes them; with many joins lower "
            "join_collapse_limit / from_collapse_limit", None))
    jit = plan.jit_ms
    if execution and jit is not None and jit >= MIN_MS and jit > 0.3 * execution:
        cost = plan.root.raw.get("Total Cost", 0)
        threshold = run.context.settings.get("jit_above_cost")
        limit = f" (now {threshold:,.0f}; this plan costs {cost:,.0f})" if threshold is not None else ""
        out.append(Finding(
            "warning", "query",
            f"JIT compilation took {jit:.1f} ms of {execution:.1f} ms execution ({jit / execution:.0%})",
            f"SET jit = off for this query, or raise jit_above_cost above the plan's cost{limit}", None))
    return out
