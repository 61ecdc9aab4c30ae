"""``apexdb analyze``."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt
from apexdb.cli.maintenance_common import ExcludeOpt, LockTimeoutOpt, RetriesOpt, StatementTimeoutOpt, ThresholdOpt


def register(app: typer.Typer) -> None:
    app.command("analyze", rich_help_panel="Maintenance")(analyze)


def analyze(
    tables: Annotated[Optional[list[str]], typer.Argument(
        help="Tables to analyze (schema.name or name); none: the tables the vacuum audit finds never analyzed.",
        show_default=False)] = None,
    threshold: ThresholdOpt = None,
    exclude: ExcludeOpt = None,
    lock_timeout: LockTimeoutOpt = None,
    statement_timeout: StatementTimeoutOpt = "0",
    retries: RetriesOpt = 2,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """ANALYZE tables, with the last analyze and the planner's row estimate before and after."""
    from apexdb.cli.maintenance_common import audit_options, execute, maintenance_settings
    from apexdb.ops.maintenance.vacuum import named_steps
    from apexdb.render.maintenance import show_plan

    with Session(format, dsn, target) as s:
        settings = maintenance_settings(lock_timeout, statement_timeout, retries)
        conn = s.connect()
        plan = None
        if tables:
            steps = named_steps(conn, tables, None)
        else:
            from apexdb.ops.maintenance.plan import analyze_plan

            steps = analyze_plan(conn, **audit_options(threshold, exclude))
            plan = show_plan(s.out, steps, "Analyze plan (from the vacuum audit)")
            if not steps:
                return
        execute(s, "analyze", steps, settings, plan=plan)
