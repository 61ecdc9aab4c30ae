"""A maintenance run as rows for people and as one JSON document for machines.

Both carry the same figures: the table rows are flattened from each step's
``before``/``after`` dicts, which the JSON document gives as they are.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from apexdb.ops.maintenance.runner import RunResult, StepResult


def _delta(before: Any, after: Any, kind: str = "int") -> str:
    from apexdb.render.format import human

    if before is None and after is None:
        return ""
    shown_before, shown_after = human(before, kind), human(after, kind)
    if shown_before == shown_after:
        return shown_after
    return f"{shown_before} → {shown_after}"


def step_row(result: StepResult) -> dict[str, Any]:
    """One table row: the object, what happened, and the before → after figures of its kind."""
    b, a = result.before, result.after
    row: dict[str, Any] = {"action": result.action, "object": result.object, "status": result.status,
                           "seconds": result.seconds, "note": "; ".join(filter(None, [result.error, *result.notes]))}
    if result.action.startswith("vacuum"):
        progress = result.progress or {}
        row.update({
            "dead_tuples": _delta(b.get("dead_tuples"), a.get("dead_tuples")),
            "removed": a.get("removed"),
            "size": _delta(b.get("table_bytes"), a.get("table_bytes"), "bytes"),
            "pages_scanned": a.get("pages_scanned") if a.get("pages_scanned") is not None
            else progress.get("heap_blks_scanned"),
            "pages_vacuumed": a.get("pages_vacuumed") if a.get("pages_vacuumed") is not None
            else progress.get("heap_blks_vacuumed"),
            "index_passes": a.get("index_scans") if a.get("index_scans") is not None
            else progress.get("index_vacuum_count"),
        })
    elif result.action == "analyze":
        row.update({
            "last_analyze": _delta(b.get("last_any_analyze"), a.get("last_any_analyze"), "ts"),
            "row_estimate": _delta(b.get("estimated_rows"), a.get("estimated_rows")),
            "modified_since_analyze": _delta(b.get("modified_since_analyze"), a.get("modified_since_analyze")),
        })
    else:
        row.update({
            "size": _delta(b.get("size_bytes"), a.get("size_bytes"), "bytes"),
            "valid": _delta(b.get("valid"), a.get("valid"), "bool"),
        })
    return row


COLUMNS = {
    "vacuum": ("object", "status", "dead_tuples:text", "removed:int", "size", "pages_scanned:int",
               "pages_vacuumed:int", "index_passes:int", "seconds:s", "note"),
    "analyze": ("object", "status", "last_analyze", "row_estimate", "modified_since_analyze", "seconds:s", "note"),
    "reindex": ("action", "object", "status", "size", "valid", "seconds:s", "note"),
    "maintain": ("action", "object", "status", "dead_tuples", "size", "row_estimate", "valid", "seconds:s", "note"),
}


def step_document(result: StepResult, *, messages: bool = False) -> dict[str, Any]:
    doc = dataclasses.asdict(result)
    if not messages:
        doc.pop("messages")
    return doc


def run_document(kind: str, run: RunResult, *, plan: list[dict[str, Any]] | None = None,
                 messages: bool = False) -> dict[str, Any]:
    """``{"command", "steps": [...], "summary", "settings"}`` (+ ``"plan"`` when the audits chose the work)."""
    doc: dict[str, Any] = {"command": kind}
    if plan is not None:
        doc["plan"] = plan
    doc["steps"] = [step_document(s, messages=messages) for s in run.steps]
    doc["summary"] = run.summary()
    doc["settings"] = run.settings
    return doc


def held_back(run: RunResult) -> list[str]:
    """Warnings for vacuums that found dead tuples they could not remove yet."""
    out = []
    for s in run.steps:
        kept = s.after.get("not_yet_removable") if s.status == "done" else None
        if kept:
            out.append(f"{s.object}: {kept} dead tuples could not be removed yet: an open transaction, prepared "
                       f"transaction or replication slot holds the xmin horizon back (see pg_stat_activity "
                       f"backend_xmin)")
    return out
