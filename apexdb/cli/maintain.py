"""``apexdb maintain``: the vacuum, analyze and reindex work the audits call for, planned, then applied."""
from __future__ import annotations

from typing import Annotated

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt, YesOpt
from apexdb.cli.maintenance_common import ExcludeOpt, LockTimeoutOpt, RetriesOpt, StatementTimeoutOpt, ThresholdOpt


def register(app: typer.Typer) -> None:
    app.command("maintain", rich_help_panel="Maintenance")(maintain)


def maintain(
    apply: Annotated[bool, typer.Option(
        "--apply", help="Run the plan step by step (asks first; --yes when not on a terminal).")] = False,
    yes: YesOpt = False,
    threshold: ThresholdOpt = None,
    exclude: ExcludeOpt = None,
    lock_timeout: LockTimeoutOpt = None,
    statement_timeout: StatementTimeoutOpt = "0",
    retries: RetriesOpt = 1,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """One plan of the VACUUM, ANALYZE and REINDEX the audits call for, with reasons and cost; --apply runs it."""
    from apexdb.cli.maintenance_common import audit_options, execute, maintenance_settings
    from apexdb.ops.maintenance.plan import maintain_plan
    from apexdb.render.format import human_bytes
    from apexdb.render.maintenance import show_maintain_plan, show_plan

    with Session(format, dsn, target) as s:
        settings = maintenance_settings(lock_timeout, statement_timeout, retries)
        notes: list[str] = []
        steps = maintain_plan(s.connect(), notes=notes, **audit_options(threshold, exclude))
        for note in notes:
            s.out.warn(note)
        total = sum(st.cost_bytes or 0 for st in steps)
        if not apply or not steps:
            plan = show_plan(s.out, steps, f"Maintenance plan ({len(steps)} step(s), about {human_bytes(total)} to read)",
                             empty="nothing to do: the vacuum and index audits found no work")
            if steps:
                show_maintain_plan(s.out, plan, total, notes)
            return
        plan = show_plan(s.out, steps, f"Maintenance plan ({len(steps)} step(s), about {human_bytes(total)} to read)")
        s.confirm(f"Run these {len(steps)} step(s) now (lock_timeout {settings.lock_timeout}; what cannot be "
                  f"locked is skipped)?", yes, what="maintain --apply")
        execute(s, "maintain", steps, settings, plan=plan)
