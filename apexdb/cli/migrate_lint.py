"""``apexdb migrate lint``: squawk's rules plus apexdb's pgvector rules over each migration's SQL."""
from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt

SEVERITY_CHOICES = ("info", "warning", "critical")


def register(app: typer.Typer) -> None:
    from apexdb.cli.migrate import migrate_app

    migrate_app.command("lint")(lint)


def lint(
    targets: Annotated[Optional[List[str]], typer.Argument(
        metavar="RANGE|FILE.sql", show_default=False,
        help="A revision range (A:B inclusive, A:, :B, or one revision; default: all revisions), "
             "or .sql files / folders of them.")] = None,
    config: Annotated[Optional[str], typer.Option(
        "--config", help="The Alembic project's alembic.ini (default: ./alembic.ini, else apexdb's own).",
        show_default=False)] = None,
    fail_on: Annotated[str, typer.Option(
        "--fail-on", help="Exit 1 when a finding at or above this severity is found: info, warning, critical.")]
    = "warning",
    pg_version: Annotated[Optional[str], typer.Option(
        "--pg-version", help="The PostgreSQL version the rules assume (default: the server's, when one is "
                             "reachable).", show_default=False)] = None,
    assume_in_transaction: Annotated[bool, typer.Option(
        "--assume-in-transaction", help="Plain .sql files run inside one transaction each (as most "
                                        "migration tools run them); by default they run as psql would.")]
    = False,
    dsn: DsnOpt = None,
    target: TargetOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Lint migrations: each revision's offline SQL on its own, or plain .sql files.

    Findings come from squawk's generic rules and apexdb's pgvector rules. Silence one with a
    comment '-- apexdb: ignore RULE reason' before the statement (or '# apexdb: ignore RULE reason'
    in a revision's script, for the whole revision).
    """
    from apexdb.errors import BadInput, FindingsReached
    from apexdb.ops.lint import at_or_above
    from apexdb.ops.lint.request import LintRequest, run_lint
    from apexdb.render import Column, Section

    if fail_on not in SEVERITY_CHOICES:
        raise BadInput(f"--fail-on {fail_on!r}: choose from {', '.join(SEVERITY_CHOICES)}")
    with Session(format, dsn, target) as s:
        outcome = run_lint(LintRequest(list(targets or []), config, dsn, target, pg_version,
                                       assume_in_transaction))
        report = outcome.report
        what = "revision" if outcome.kind == "revisions" else "file"
        plural = "" if len(report.sources) == 1 else "s"
        columns = [Column("source", "revision" if outcome.kind == "revisions" else "file"),
                   Column("line", kind="int"), Column("rule"), Column("severity", kind="severity"),
                   Column("message"), Column("fix")]
        s.out.sections([Section(None, report.as_dicts(), columns,
                                empty=f"no findings in {len(report.sources)} {what}{plural}")],
                       doc=report.as_dicts())
        failing = at_or_above(report.findings, fail_on)
        s.out.note(f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} in "
                   f"{len(report.sources)} {what}{plural} ({report.statements} statement"
                   f"{'' if report.statements == 1 else 's'}), "
                   f"{len(failing)} at or above {fail_on}; squawk {report.squawk_version}, "
                   f"{outcome.version_note}")
        if failing:
            raise FindingsReached(f"{len(failing)} finding{'s' if len(failing) != 1 else ''} at or above "
                                  f"{fail_on}")
