"""Sorts, hashes and hash aggregates that spilled to disk, with the work_mem that would have fit."""
from __future__ import annotations

from apexdb.ops.explain.findings import Finding, human_kb, node_name

# An in-memory sort keeps tuples with per-tuple overhead; its footprint is larger than the
# on-disk run it replaces. Measured on PostgreSQL 18 (see tests/test_explain_findings.py).
SORT_MEMORY_PER_DISK = 2.0


def find(run) -> list[Finding]:
    if not run.plan.analyzed:
        return []
    out = []
    multiplier = float(run.context.settings.get("hash_mem_multiplier") or 2.0)
    work_mem_kb = (run.context.settings.get("work_mem_bytes") or 0) / 1024
    for node in run.plan.nodes():
        need_kb, what = _needed_kb(node, multiplier)
        if need_kb is None:
            continue
        setting = human_kb(max(need_kb, work_mem_kb * 2))
        current = human_kb(work_mem_kb) if work_mem_kb else "the current value"
        temp = node.temp_blocks
        spilled = f" and wrote {temp * 8 // 1024:,} MB of temporary files" if temp * 8 >= 1024 else ""
        message = f"{what} spilled to disk under work_mem = {current}{spilled}"
        fix = (f"SET work_mem = '{setting}' for this query (SET LOCAL in its transaction, or per role with "
               f"ALTER ROLE ... SET work_mem) rather than server-wide")
        out.append(Finding("warning", node_name(node), message, fix, node.id))
    return out


def _needed_kb(node, hash_mem_multiplier: float) -> tuple[float | None, str]:
    raw = node.raw
    if node.node_type in ("Sort", "Incremental Sort") and raw.get("Sort Space Type") == "Disk":
        return float(raw.get("Sort Space Used", 0)) * SORT_MEMORY_PER_DISK, \
            f"sort ({raw.get('Sort Method', 'external')}) used {raw.get('Sort Space Used', 0):,} kB of disk"
    if node.node_type == "Hash" and int(raw.get("Hash Batches", 1)) > 1:
        batches = int(raw["Hash Batches"])
        peak = float(raw.get("Peak Memory Usage", 0))
        return peak * batches / hash_mem_multiplier, f"hash table split into {batches} batches"
    if node.node_type == "Aggregate" and (int(raw.get("HashAgg Batches", 0)) > 1 or raw.get("Disk Usage")):
        peak, disk = float(raw.get("Peak Memory Usage", 0)), float(raw.get("Disk Usage", 0))
        return (peak + disk) / hash_mem_multiplier, \
            f"hash aggregate used {int(disk):,} kB of disk in {raw.get('HashAgg Batches', 1)} batches"
    return None, ""
