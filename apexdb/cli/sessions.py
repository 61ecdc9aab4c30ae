"""``apexdb cancel`` and ``apexdb terminate``: stop a session's statement, or end the session."""
from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt, YesOpt

PidsArg = Annotated[Optional[List[int]], typer.Argument(help="Backend pids (pg_stat_activity.pid).", show_default=False)]
IdleOpt = Annotated[Optional[str], typer.Option(
    "--idle-in-transaction-over", help="Sessions idle in a transaction for longer than this (e.g. 10m).",
    show_default=False)]
RunningOpt = Annotated[Optional[str], typer.Option(
    "--running-over", help="Active sessions whose statement has run longer than this (e.g. 5m).", show_default=False)]
AppOpt = Annotated[Optional[str], typer.Option("--application", help="Sessions with this application_name.",
                                               show_default=False)]
UserOpt = Annotated[Optional[str], typer.Option("--user", help="Sessions of this role.", show_default=False)]
DatabaseOpt = Annotated[Optional[str], typer.Option("--database", help="Sessions connected to this database.",
                                                    show_default=False)]
BlockingOpt = Annotated[bool, typer.Option("--blocking", help="Sessions that block at least one other session.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would be hit; signal nothing.")]


def register(app: typer.Typer) -> None:
    app.command("cancel", rich_help_panel="Sessions")(cancel)
    app.command("terminate", rich_help_panel="Sessions")(terminate)


def cancel(pids: PidsArg = None, idle_in_transaction_over: IdleOpt = None, running_over: RunningOpt = None,
           application: AppOpt = None, user: UserOpt = None, database: DatabaseOpt = None,
           blocking: BlockingOpt = False, dry_run: DryRunOpt = False, yes: YesOpt = False,
           dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table") -> None:
    """Cancel the statement sessions are running (pg_cancel_backend): by pid, or the sessions the filters select."""
    _run("cancel", pids, idle_in_transaction_over, running_over, application, user, database, blocking, dry_run,
         yes, dsn, target, format)


def terminate(pids: PidsArg = None, idle_in_transaction_over: IdleOpt = None, running_over: RunningOpt = None,
              application: AppOpt = None, user: UserOpt = None, database: DatabaseOpt = None,
              blocking: BlockingOpt = False, dry_run: DryRunOpt = False, yes: YesOpt = False,
              dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table") -> None:
    """End sessions (pg_terminate_backend), rolling back their transactions: by pid, or by the filters."""
    _run("terminate", pids, idle_in_transaction_over, running_over, application, user, database, blocking, dry_run,
         yes, dsn, target, format)


def _run(action, pids, idle_in_transaction_over, running_over, application, user, database, blocking, dry_run, yes,
         dsn, target, format) -> None:
    from apexdb.ops.sessions import SessionFilter, select_sessions, signal_sessions
    from apexdb.render import sessions as view

    flt = SessionFilter(idle_in_transaction_over, running_over, application, user, database, blocking)
    with Session(format, dsn, target) as s:
        flt.params()  # bad durations are refused before connecting
        conn = s.connect()
        selection = select_sessions(conn, action, list(pids or []), flt)
        view.show_targets(s.out, selection)
        if selection.sessions and not dry_run:
            what = "cancelling" if action == "cancel" else "terminating"
            s.confirm(f"{action.capitalize()} these {len(selection.sessions)} session(s)?", yes,
                      what=f"{what} {len(selection.sessions)} session(s)")
        result = signal_sessions(conn, selection, dry_run=dry_run)
        view.show_results(s.out, result)
        if any(o["outcome"] == "refused" for o in result.outcomes):
            from apexdb.errors import DatabaseError

            raise DatabaseError(f"the server refused to {action} some sessions (see the results)", sqlstate="42501")
