"""What vacuum, analyze, reindex and maintain share: their options, the plan table, and the
run-and-report loop (progress, Ctrl-C summary, before/after table)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import Session

LockTimeoutOpt = Annotated[Optional[str], typer.Option(
    "--lock-timeout", help="How long each statement may wait for a lock (default: lock_timeout from the config, 5s).",
    show_default=False)]
StatementTimeoutOpt = Annotated[str, typer.Option(
    "--statement-timeout", help="Longest a statement may run; 0 means no limit.")]
RetriesOpt = Annotated[int, typer.Option(
    "--retries", help="Extra attempts, with backoff, after a lock timeout or deadlock before skipping.")]
ThresholdOpt = Annotated[Optional[list[str]], typer.Option(
    "--threshold", help="An audit threshold as NAME=VALUE (e.g. dead_tuple_ratio=0.1), for the audit-driven forms.",
    show_default=False)]
ExcludeOpt = Annotated[Optional[list[str]], typer.Option(
    "--exclude", help="An audit check to leave out (e.g. index_bloat), for the audit-driven forms.",
    show_default=False)]


def audit_options(thresholds: list[str] | None, exclude: list[str] | None) -> dict:
    """``--threshold name=value`` and ``--exclude check`` as run_audit's keyword arguments."""
    from apexdb.errors import BadInput

    parsed = {}
    for item in thresholds or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise BadInput(f"--threshold {item!r}: expected NAME=VALUE (e.g. dead_tuple_ratio=0.1)")
        parsed[name.strip()] = value.strip()
    return {"thresholds": parsed or None, "exclude": tuple(exclude or ())}


def maintenance_settings(lock_timeout, statement_timeout, retries):
    from apexdb.config import load_config
    from apexdb.ops.maintenance.connection import MaintenanceSettings

    lock = lock_timeout or str(load_config().setting("lock_timeout"))
    return MaintenanceSettings(lock, statement_timeout, retries).validate()


def show_plan(s: Session, steps, title: str, empty: str = "nothing to do: the audits found no work") -> list[dict]:
    """Print the planned steps (people see them before anything runs); the rows, for JSON."""
    from apexdb.render import Column, cols

    rows = [{"action": st.action, "object": st.object, "reason": st.reason, "cost_bytes": st.cost_bytes,
             "statement": _statement_text(st.statement)} for st in steps]
    if s.out.fmt != "json":
        s.out.table(rows, cols("action", "object", Column("reason", max_width=100), Column("cost_bytes", "size touched", "bytes")), title=title,
                    empty=empty)
    elif not steps:
        s.out.document({"plan": [], "steps": [], "summary": {"steps": 0, "interrupted": False}})
    return rows


def _statement_text(statement) -> str:
    from psycopg import sql

    if isinstance(statement, sql.Composable):
        try:
            return statement.as_string(None)
        except Exception:
            return str(statement)
    return str(statement)


def execute(s: Session, kind: str, steps, settings, *, plan=None, verbose: bool = False) -> None:
    """Run ``steps`` on a maintenance connection with a progress bar; render; raise for what was not done."""
    from apexdb.ops.maintenance.connection import close_maintenance_connection, open_maintenance_connection

    conn = open_maintenance_connection(s.target, settings)
    try:
        run = _run(s, kind, conn, steps, settings, verbose)
    finally:
        close_maintenance_connection(conn)
    _render(s, kind, run, plan, verbose)


def _run(s: Session, kind: str, conn, steps, settings, verbose: bool):
    from apexdb.ops.maintenance.progress import describe_progress
    from apexdb.ops.maintenance.runner import run_steps
    from apexdb.ops.maintenance.vacuum import run_vacuum

    progress_conn: list = []

    def open_progress():
        if not progress_conn:
            progress_conn.append(s.connect(application_name="apexdb progress"))
        return progress_conn[0]

    with s.out.progress(kind, total=None) as bar:
        def on_progress(label, row):
            done, total, detail = describe_progress(row["kind"], row)
            bar.update(completed=done or 0, total=total, description=f"{kind} {label}", detail=detail)

        def on_message(label, text):
            if verbose:
                for line in text.splitlines():
                    s.out.note(f"{label}: {line}")

        def on_step(result):
            bar.update(description=f"{result.action} {result.object}: {result.status}")

        runner = run_vacuum if kind in ("vacuum", "maintain") else run_steps
        return runner(conn, steps, settings, progress_connection=open_progress if s.out.interactive else None,
                      on_progress=on_progress, on_step=on_step, on_message=on_message)


def _render(s: Session, kind: str, run, plan, verbose: bool) -> None:
    from apexdb.errors import DatabaseError, Interrupted
    from apexdb.ops.maintenance.report import columns, held_back, run_document, step_row
    from apexdb.render import cols

    raw = s.out.fmt == "csv"  # CSV keeps raw numbers: a before and an after column per figure
    rows = [step_row(r, raw=raw) for r in run.steps]
    s.out.table(rows, cols(*columns(kind, raw=raw)), title=f"{kind.capitalize()} results",
                doc=run_document(kind, run, plan=plan, messages=verbose))
    for warning in held_back(run):
        s.out.warn(warning)
    if run.settings.get("applied_via") == "session SET":
        s.out.warn("the server refused lock_timeout/statement_timeout as connection options (a pooler?); they were "
                   "set for the session instead: behind a transaction-mode pooler they may not hold")
    summary = run.summary()
    not_done = run.not_done
    if run.connection_lost:
        from apexdb.errors import NotConnected

        failed = next((r for r in reversed(run.steps) if r.status == "failed"), None)
        where = f" during {failed.action} {failed.object}: {failed.error}" if failed else ""
        raise NotConnected(f"lost the connection to the database{where}; "
                           f"{summary['done']} of {summary['steps']} step(s) done (see the table)")
    if run.interrupted:
        raise Interrupted(f"interrupted: {summary['done']} of {summary['steps']} step(s) done, "
                          f"{len(not_done)} not done (see the table)")
    if not_done:
        first = next((r for r in not_done if r.error), not_done[0])
        raise DatabaseError(f"{len(not_done)} of {summary['steps']} step(s) not done; {first.object}: "
                            f"{first.error or first.status}", sqlstate=first.sqlstate)
