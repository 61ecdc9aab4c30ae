"""The view of ``vacuum``, ``analyze``, ``reindex`` and ``maintain``: the plan table, the live
progress bar, the results as rows for people and as one JSON document for machines.

Rows and JSON carry the same figures: the table rows are flattened from each step's
``before``/``after`` dicts, which the JSON document gives as they are.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from apexdb.ops.maintenance.runner import RunResult, StepResult
from apexdb.render.format import human, human_bytes
from apexdb.render.output import Column, cols


def statement_text(statement) -> str:
    """The SQL of a step's statement (a psycopg Composable) without a connection."""
    from psycopg import sql

    if isinstance(statement, sql.Composable):
        try:
            return statement.as_string(None)
        except Exception:
            return str(statement)
    return str(statement)


def plan_rows(steps) -> list[dict[str, Any]]:
    return [{"action": st.action, "object": st.object, "reason": st.reason, "cost_bytes": st.cost_bytes,
             "statement": statement_text(st.statement)} for st in steps]


def show_plan(out, steps, title: str, empty: str = "nothing to do: the audits found no work") -> list[dict]:
    """Print the planned steps (people see them before anything runs); the rows, for JSON."""
    rows = plan_rows(steps)
    if out.fmt != "json":
        out.table(rows, cols("action", "object", Column("reason", max_width=100),
                             Column("cost_bytes", "size touched", "bytes")), title=title, empty=empty)
    elif not steps:
        out.document({"plan": [], "steps": [], "summary": {"steps": 0, "interrupted": False}})
    return rows


def show_maintain_plan(out, plan: list[dict], total: int, notes: list[str]) -> None:
    """``maintain`` without ``--apply``: the plan is all there is."""
    if out.fmt == "json":
        out.document({"plan": plan, "applied": False, "total_cost_bytes": total, "notes": notes})
    else:
        out.note("nothing was changed; run `apexdb maintain --apply` to carry out this plan")


def full_vacuum_warning(steps) -> str:
    size = sum(st.cost_bytes or 0 for st in steps)
    return ("VACUUM FULL rewrites each table into a new file and holds an ACCESS EXCLUSIVE lock while it runs: "
            "every read and write of the table waits; it needs free disk space as large as the table"
            + (f" ({human_bytes(size)} in all)" if size else ""))


def progress_hooks(out, bar, kind: str, *, verbose: bool = False) -> dict[str, Any]:
    """The runner's ``on_progress``/``on_step``/``on_message`` drawing on ``bar`` (and notes when verbose)."""

    def on_progress(label, sample) -> None:
        bar.update(completed=sample.done or 0, total=sample.total, description=f"{kind} {label}",
                   detail=sample.detail)

    def on_message(label, text) -> None:
        if verbose:
            for line in text.splitlines():
                out.note(f"{label}: {line}")

    def on_step(result) -> None:
        bar.update(description=f"{result.action} {result.object}: {result.status}")

    return {"on_progress": on_progress, "on_step": on_step, "on_message": on_message}


def show_run(out, kind: str, run: RunResult, *, plan=None, verbose: bool = False) -> None:
    """The results table (JSON: the run document), then warnings about what held dead tuples back."""
    raw = out.fmt == "csv"  # CSV keeps raw numbers: a before and an after column per figure
    rows = [step_row(r, raw=raw) for r in run.steps]
    out.table(rows, cols(*columns(kind, raw=raw)), title=f"{kind.capitalize()} results",
              doc=run_document(kind, run, plan=plan, messages=verbose))
    for warning in held_back(run):
        out.warn(warning)
    if run.settings.get("applied_via") == "session SET":
        out.warn("the server refused lock_timeout/statement_timeout as connection options (a pooler?); they were "
                 "set for the session instead: behind a transaction-mode pooler they may not hold")


def _delta(before: Any, after: Any, kind: str = "int") -> str:
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
