"""Index-only scans that fetch the heap anyway because the visibility map is stale: VACUUM."""
from __future__ import annotations

from apexdb.ops.explain.conditions import qualified
from apexdb.ops.explain.findings import Finding, human_count, node_name

MIN_FETCHES = 1_000
MIN_SHARE = 0.10  # of the rows the scan returned


def find(run) -> list[Finding]:
    out = []
    for node in run.plan.nodes():
        if node.node_type != "Index Only Scan" or not node.analyzed:
            continue
        fetches = float(node.raw.get("Heap Fetches", 0))  # EXPLAIN sums it over the loops
        rows = node.rows_total
        if fetches < MIN_FETCHES or fetches < MIN_SHARE * max(rows, 1):
            continue
        table = run.context.table(node)
        target = qualified(table.schema, table.name) if table else node.relation
        message = (f"index-only scan fetched {human_count(fetches)} rows from the table for "
                   f"{human_count(rows)} returned: the visibility map is stale, so the index alone cannot "
                   "answer")
        fix = (f"VACUUM (ANALYZE) {target}; and, if it is written often, lower its "
               "autovacuum_vacuum_scale_factor (or set autovacuum_vacuum_insert_scale_factor for "
               "insert-only tables) so the visibility map stays current")
        out.append(Finding("warning", node_name(node), message, fix, node.id))
    return out

