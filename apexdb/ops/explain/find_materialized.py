"""A CTE or subquery that is materialized once and then scanned again for every outer row."""
from __future__ import annotations

from apexdb.ops.explain.findings import Finding, human_count, node_name

MIN_LOOPS = 50
MIN_ROWS_READ = 50_000  # rows read out of the materialized result over all loops


def find(run) -> list[Finding]:
    out = []
    for node in run.plan.nodes():
        if node.node_type not in ("CTE Scan", "Materialize") or not node.analyzed or node.loops < MIN_LOOPS:
            continue
        read = node.rows_total + node.rows_removed + _removed_above(node)
        if read < MIN_ROWS_READ:
            continue
        if node.node_type == "CTE Scan":
            name = node.raw.get("CTE Name", "?")
            message = (f"CTE {name} is materialized and scanned {human_count(node.loops)} times, reading "
                       f"{human_count(read)} rows in all: no index can serve a scan of it")
            fix = (f"write WITH {name} AS NOT MATERIALIZED (PostgreSQL 12+) so the condition reaches its tables "
                   "and their indexes, or join it once instead of referring to it per row")
        else:
            message = (f"a subquery result is materialized and scanned {human_count(node.loops)} times, reading "
                       f"{human_count(read)} rows in all (a nested loop without a usable join condition)")
            fix = ("give the join an equality condition the planner can hash or index (and index that column), "
                   "or rewrite the correlated subquery as a join")
        out.append(Finding("warning", node_name(node), message, fix, node.id))
    return out


def _removed_above(node) -> float:
    """Rows the nested loop above threw away by its join filter (read from this node, then dropped)."""
    parent = node.parent
    if parent is not None and parent.node_type == "Nested Loop":
        return float(parent.raw.get("Rows Removed by Join Filter", 0)) * max(parent.loops, 1)
    return 0.0
