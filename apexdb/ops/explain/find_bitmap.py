"""Lossy bitmap heap scans: the bitmap outgrew work_mem, kept whole pages instead of rows,
and every row of those pages was rechecked."""
from __future__ import annotations

from apexdb.ops.explain.findings import Finding, human_count, human_kb, node_name

# A TIDBitmap page entry takes about 64 bytes in memory (the hash table's PagetableEntry and overhead).
BYTES_PER_PAGE = 64


def find(run) -> list[Finding]:
    out = []
    work_mem_kb = (run.context.settings.get("work_mem_bytes") or 0) / 1024
    for node in run.plan.nodes():
        if node.node_type != "Bitmap Heap Scan" or not node.analyzed:
            continue
        lossy = int(node.raw.get("Lossy Heap Blocks", 0))
        if lossy <= 0:
            continue
        exact = int(node.raw.get("Exact Heap Blocks", 0))
        need_kb = (exact + lossy) * BYTES_PER_PAGE / 1024 * 1.5
        recheck = node.raw.get("Rows Removed by Index Recheck", 0)
        message = (f"the bitmap went lossy: {human_count(lossy)} of {human_count(exact + lossy)} heap blocks "
                   f"kept only as pages, so {human_count(recheck)} rows were rechecked and thrown away "
                   f"(work_mem = {human_kb(work_mem_kb) if work_mem_kb else 'unknown'})")
        fix = (f"SET work_mem = '{human_kb(max(need_kb, work_mem_kb * 2))}' for this query (SET LOCAL, or per "
               "role) so the bitmap stays exact; or a more selective index condition")
        out.append(Finding("warning", node_name(node), message, fix, node.id))
    return out
