"""``apexdb vacuum``."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt, YesOpt
from apexdb.cli.maintenance_common import (ExcludeOpt, LockTimeoutOpt, RetriesOpt, StatementTimeoutOpt,
                                           ThresholdOpt, audit_options, execute, maintenance_settings)


def register(app: typer.Typer) -> None:
    app.command("vacuum", rich_help_panel="Maintenance")(vacuum)


def vacuum(
    tables: Annotated[Optional[list[str]], typer.Argument(
        help="Tables to vacuum (schema.name or name); none: the tables the vacuum audit flags.",
        show_default=False)] = None,
    analyze: Annotated[bool, typer.Option("--analyze", help="Update planner statistics too.")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="Rewrite the table (ACCESS EXCLUSIVE lock for the whole run; asks first).")] = False,
    freeze: Annotated[bool, typer.Option("--freeze", help="Freeze every tuple (against wraparound).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show the server's VACUUM VERBOSE report.")] = False,
    parallel: Annotated[Optional[int], typer.Option(
        "--parallel", help="Workers for the index phase (VACUUM PARALLEL n).", show_default=False)] = None,
    yes: YesOpt = False,
    threshold: ThresholdOpt = None,
    exclude: ExcludeOpt = None,
    lock_timeout: LockTimeoutOpt = None,
    statement_timeout: StatementTimeoutOpt = "0",
    retries: RetriesOpt = 2,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """VACUUM tables with live progress and dead tuples, size and time before and after."""
    from apexdb.ops.maintenance.vacuum import VacuumOptions, named_steps
    from apexdb.render.maintenance import full_vacuum_warning, show_plan

    options = VacuumOptions(analyze=analyze, full=full, freeze=freeze, verbose=verbose, parallel=parallel).validate()
    with Session(format, dsn, target) as s:
        settings = maintenance_settings(lock_timeout, statement_timeout, retries)
        conn = s.connect()
        plan = None
        if tables:
            steps = named_steps(conn, tables, options)
        else:
            from apexdb.ops.maintenance.plan import vacuum_plan

            steps = vacuum_plan(conn, options, **audit_options(threshold, exclude))
            plan = show_plan(s.out, steps, "Vacuum plan (from the vacuum audit)")
            if not steps:
                return
        if full:
            if yes or s.out.interactive:  # off a terminal without --yes the refusal line says it all
                s.out.warn(full_vacuum_warning(steps))
            s.confirm(f"Run VACUUM FULL on {len(steps)} table(s)?", yes,
                      what="VACUUM FULL (ACCESS EXCLUSIVE lock, rewrites the table)")
        execute(s, "vacuum", steps, settings, plan=plan, verbose=verbose)
