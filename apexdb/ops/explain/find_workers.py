"""Fewer parallel workers launched than planned: the pool was used up by other queries."""
from __future__ import annotations

from apexdb.ops.explain.findings import Finding, node_name


def find(run) -> list[Finding]:
    out = []
    settings = run.context.settings
    for node in run.plan.nodes():
        if node.node_type not in ("Gather", "Gather Merge") or "Workers Launched" not in node.raw:
            continue
        planned, launched = int(node.raw.get("Workers Planned", 0)), int(node.raw["Workers Launched"])
        if launched >= planned:
            continue
        pool = settings.get("max_parallel_workers")
        processes = settings.get("max_worker_processes")
        message = (f"{launched} of {planned} planned parallel workers were launched: the others found "
                   f"the pool used up (max_parallel_workers = {pool}, max_worker_processes = {processes}), "
                   "so the leader and fewer workers did all the work")
        fix = ("raise max_parallel_workers (and max_worker_processes, which needs a restart) if the server has "
               "idle cores, or run fewer parallel queries at once; max_parallel_workers_per_gather caps one query")
        out.append(Finding("warning" if launched == 0 else "info", node_name(node), message, fix, node.id))
    return out
