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


# The before/after figures of each kind of step: (column, key in before/after, display kind).
FIGURES = {
    "vacuum": (("dead_tuples", "dead_tuples", "int"), ("size", "table_bytes", "bytes")),
    "analyze": (("last_analyze", "last_any_analyze", "ts"), ("row_estimate", "estimated_rows", "int"),
                ("modified_since_analyze", "modified_since_analyze", "int")),
    "index": (("size", "size_bytes", "bytes"), ("valid", "valid", "bool")),
}


def _figures_of(action: str):
    return FIGURES["vacuum" if action.startswith("vacuum") else "analyze" if action == "analyze" else "index"]


def step_row(result: StepResult, *, raw: bool = False) -> dict[str, Any]:
    """One row: the object, what happened, and its figures as "before → after" (``raw``: two raw columns each)."""
    b, a = result.before, result.after
    row: dict[str, Any] = {"action": result.action, "object": result.object, "status": result.status,
                           "seconds": result.seconds, "note": "; ".join(filter(None, [result.error, *result.notes]))}
    for column, key, kind in _figures_of(result.action):
        if raw:
            row[f"{column}_before"], row[f"{column}_after"] = b.get(key), a.get(key)
        else:
            row[column] = _delta(b.get(key), a.get(key), kind)
    if result.action.startswith("vacuum"):
        progress = result.progress or {}
        for column, key, fallback in (("pages_scanned", "pages_scanned", "heap_blks_scanned"),
                                      ("pages_vacuumed", "pages_vacuumed", "heap_blks_vacuumed"),
                                      ("index_passes", "index_scans", "index_vacuum_count")):
            row[column] = a.get(key) if a.get(key) is not None else progress.get(fallback)
        row["removed"] = a.get("removed")
    return row


_LAYOUT = {
    "vacuum": ("object", "status", "@dead_tuples", "removed:int", "@size", "pages_scanned:int",
               "pages_vacuumed:int", "index_passes:int", "seconds:s", "note"),
    "analyze": ("object", "status", "@last_analyze", "@row_estimate", "@modified_since_analyze", "seconds:s", "note"),
    "reindex": ("action", "object", "status", "@size", "@valid", "seconds:s", "note"),
    "maintain": ("action", "object", "status", "@dead_tuples", "@size", "@row_estimate", "@valid", "seconds:s",
                 "note"),
}


def columns(kind: str, *, raw: bool = False) -> list[str]:
    """Column specs for ``cols()``: "@figure" becomes one "before → after" column, or two raw ones."""
    out = []
    for spec in _LAYOUT[kind]:
        if not spec.startswith("@"):
            out.append(spec)
        elif raw:
            out.extend([f"{spec[1:]}_before", f"{spec[1:]}_after"])
        else:
            out.append(spec[1:])
    return out


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
