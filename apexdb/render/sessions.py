"""The views of ``apexdb cancel`` and ``apexdb terminate``: what would be hit, then what happened to each pid."""
from __future__ import annotations

from typing import Any

from apexdb.render.output import Column, Section, cols

TARGET_COLUMNS = ("pid", "role", "database", "application", "state",
                  Column("duration_s", "duration", kind="s"), Column("query", max_width=60))


def _duration(row: dict[str, Any]) -> float | None:
    """How long the session has been as it is: the statement's time when active, else the state's."""
    return row["query_s"] if row["state"] == "active" else row["state_s"]


def targets_section(selection) -> Section:
    rows = [{**r, "duration_s": _duration(r), "query": " ".join((r["query"] or "").split())}
            for r in selection.sessions]
    verb = "cancel" if selection.action == "cancel" else "terminate"
    return Section(f"Sessions to {verb}", rows, cols(*TARGET_COLUMNS), empty="(no session matches)")


def show_targets(out, selection) -> None:
    """What would be hit, shown before anything is asked or done (people only: JSON says it at the end)."""
    if out.fmt != "json":
        out.sections([targets_section(selection)])
    for note in selection.notes:
        out.note(note)


def show_results(out, result) -> None:
    doc = result.as_json()
    if out.fmt == "json":
        out.document(doc)
        return
    if result.dry_run:
        out.note(f"dry run: {len(result.selection.sessions)} session(s) would get a {result.selection.action} "
                 "signal; nothing was sent")
        return
    if not result.outcomes:
        return
    out.line("")
    out.sections([Section("Results", result.outcomes, cols("pid", "outcome", "detail"))])
