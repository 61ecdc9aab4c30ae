"""Findings about a plan: each with a severity, the node it is about, what is wrong and the fix.

Each family lives in its own module (find_*.py) as ``find(run) -> list[Finding]``;
this module runs them all and orders the result, worst first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass
class Finding:
    severity: str  # critical | warning | info
    node: str  # "#3 Seq Scan on public.items" or "query"
    message: str
    fix: str
    node_id: int | None = None  # for marking the tree; not part of the JSON

    def as_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "node": self.node, "message": self.message, "fix": self.fix}


def node_name(node) -> str:
    return f"#{node.id} {node.label}"


def collect_findings(run) -> list[Finding]:
    """Every family's findings for an :class:`~apexdb.ops.explain.runner.ExplainRun`."""
    from apexdb.ops.explain import (find_bitmap, find_casts, find_estimates, find_heap_fetches,
                                    find_index_filter, find_loops, find_materialized, find_scans, find_sort_limit,
                                    find_spills, find_timing, find_vector, find_workers)

    findings: list[Finding] = []
    for family in (find_casts, find_scans, find_loops, find_sort_limit, find_index_filter, find_estimates, find_spills, find_bitmap,
                   find_heap_fetches, find_materialized, find_workers, find_vector, find_timing):
        findings.extend(family.find(run))
    return sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.node_id or 0))


def human_count(n: float) -> str:
    return f"{int(round(n)):,}"


def human_kb(kb: float) -> str:
    """A memory size for a SET statement: whole MB (at least 1), or GB above 10 GB."""
    mb = max(1, -(-int(kb) // 1024))
    return f"{-(-mb // 1024)}GB" if mb > 10240 else f"{mb}MB"
