"""``apexdb reindex``."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt, YesOpt
from apexdb.cli.maintenance_common import ExcludeOpt, LockTimeoutOpt, RetriesOpt, StatementTimeoutOpt, ThresholdOpt


def register(app: typer.Typer) -> None:
    app.command("reindex", rich_help_panel="Maintenance")(reindex)


def reindex(
    indexes: Annotated[Optional[list[str]], typer.Argument(
        help="Indexes to rebuild (schema.name or name).", show_default=False)] = None,
    table: Annotated[Optional[str], typer.Option(
        "--table", "-t", help="Rebuild every index of this table.", show_default=False)] = None,
    invalid: Annotated[bool, typer.Option("--invalid", help="Rebuild every invalid index.")] = False,
    bloated: Annotated[bool, typer.Option(
        "--bloated", help="Rebuild the indexes the index audit's bloat estimate flags.")] = False,
    concurrently: Annotated[bool, typer.Option(
        "--concurrently/--blocking",
        help="CONCURRENTLY (the default) lets reads and writes go on; --blocking locks out writes.")] = True,
    yes: YesOpt = False,
    threshold: ThresholdOpt = None,
    exclude: ExcludeOpt = None,
    lock_timeout: LockTimeoutOpt = None,
    statement_timeout: StatementTimeoutOpt = "0",
    retries: RetriesOpt = 2,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """REINDEX (CONCURRENTLY by default) with progress, size before and after, and leftovers removed."""
    from apexdb.cli.maintenance_common import audit_options, execute, maintenance_settings
    from apexdb.ops.maintenance.plan import check_reindex_choice, reindex_targets
    from apexdb.ops.maintenance.reindex import reindex_steps
    from apexdb.render.format import human_bytes
    from apexdb.render.maintenance import show_plan

    check_reindex_choice(indexes=indexes, table=table, invalid=invalid, bloated=bloated)
    audit = audit_options(threshold, exclude)
    with Session(format, dsn, target) as s:
        settings = maintenance_settings(lock_timeout, statement_timeout, retries)
        targets = reindex_targets(s.connect(), indexes=indexes, table=table, invalid=invalid, bloated=bloated,
                                  **audit)
        steps = reindex_steps(targets, concurrently=concurrently)
        title = "Reindex plan" + ("" if concurrently else " (blocking)")
        plan = show_plan(s.out, steps, title, empty="nothing to rebuild")
        if not steps:
            return
        if not concurrently:
            s.out.warn("REINDEX without CONCURRENTLY blocks writes to the table and reads that use the index "
                       "until it ends")
        total = sum(st.cost_bytes or 0 for st in steps)
        s.confirm(f"Run these {len(steps)} step(s), reading about {human_bytes(total)}?", yes, what="reindex")
        execute(s, "reindex", steps, settings, plan=plan)

