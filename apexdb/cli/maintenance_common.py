"""What vacuum, analyze, reindex and maintain share: their options, and the run-and-report loop
(progress bar, the results view from apexdb.render.maintenance, the exit code)."""
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
    return MaintenanceSettings(lock_timeout=lock, statement_timeout=statement_timeout, retries=retries).validate()


def execute(s: Session, kind: str, steps, settings, *, plan=None, verbose: bool = False) -> None:
    """Run ``steps`` on a maintenance connection with a progress bar; render; raise for what was not done."""
    from apexdb.ops.maintenance import run_maintenance
    from apexdb.render.maintenance import progress_hooks, show_run

    progress_conn: list = []

    def open_progress():
        if not progress_conn:
            progress_conn.append(s.connect(application_name="apexdb progress"))
        return progress_conn[0]

    with s.out.progress(kind, total=None) as bar:
        run = run_maintenance(s.target, steps, settings,
                              progress_connection=open_progress if s.out.interactive else None,
                              **progress_hooks(s.out, bar, kind, verbose=verbose))
    show_run(s.out, kind, run, plan=plan, verbose=verbose)
    _raise_for(run)


def _raise_for(run) -> None:
    """The exit code of a run: 3 when the connection was lost, 130 when interrupted, 4 when a step was not done."""
    from apexdb.errors import DatabaseError, Interrupted

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
