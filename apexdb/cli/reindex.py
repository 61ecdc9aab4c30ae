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
    from apexdb.errors import BadInput
    from apexdb.ops.maintenance import reindex as ops
    from apexdb.render.format import human_bytes
    from apexdb.render.maintenance import show_plan

    chosen = sum(bool(x) for x in (indexes, table, invalid, bloated))
    if chosen != 1:
        raise BadInput("name the indexes, or give exactly one of --table, --invalid or --bloated")
    with Session(format, dsn, target) as s:
        settings = maintenance_settings(lock_timeout, statement_timeout, retries)
        conn = s.connect()
        if indexes:
            targets = ops.plan_for_indexes(conn, indexes)
        elif table:
            targets = ops.plan_for_table(conn, table)
        elif invalid:
            targets = ops.plan_for_invalid(conn)
        else:
            from apexdb.ops.maintenance.plan import bloated_plan

            targets = bloated_plan(conn, **audit_options(threshold, exclude))
        steps = ops.reindex_steps(targets, concurrently=concurrently)
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

