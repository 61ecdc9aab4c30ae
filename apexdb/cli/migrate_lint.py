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
    fail_on: Annotated[Optional[str], typer.Option(
        "--fail-on", help="Exit 1 when a finding at or above this severity is found: info, warning, critical "
                          "(default: [lint] fail_on in apexdb.toml, else warning).", show_default=False)] = None,
    profile: Annotated[Optional[str], typer.Option(
        "--profile", help="default: hazards are warning/critical, style is info; strict: every rule at its "
                          "own level (default: [lint] profile in apexdb.toml, else default).",
        show_default=False)] = None,
    pg_version: Annotated[Optional[str], typer.Option(
        "--pg-version", help="The PostgreSQL version the rules assume (default: the server's, when one is "
                             "reachable).", show_default=False)] = None,
    assume_in_transaction: Annotated[bool, typer.Option(
        "--assume-in-transaction", help="Plain .sql files run inside one transaction each (as most "
                                        "migration tools run them); by default they run as psql would.")]
    = False,
    queries: Annotated[Optional[List[str]], typer.Option(
        "--queries", metavar="FILE.sql", help="A file of the project's queries: an ANN index whose opclass "
                                              "serves another metric than their ORDER BY is reported.",
        show_default=False)] = None,
    dsn: DsnOpt = None,
    target: TargetOpt = None,
    format: FormatOpt = "table",
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show tracebacks (same as 'apexdb --debug migrate lint').")] = False,
) -> None:
    """Lint migrations: each revision's offline SQL on its own, or plain .sql files.

    Findings come from squawk's generic rules and apexdb's pgvector rules. Silence one with a
    comment '-- apexdb: ignore RULE reason' before the statement (or '# apexdb: ignore RULE reason'
    in a revision's script, for the whole revision).
    """
    from apexdb.cli.common import CURRENT
    from apexdb.errors import BadInput, FindingsReached
    from apexdb.ops.lint import at_or_above
    from apexdb.ops.lint.request import LintRequest, run_lint
    from apexdb.render import Column, Section

    if debug:
        CURRENT["debug"] = True
    if fail_on is not None and fail_on not in SEVERITY_CHOICES:
        raise BadInput(f"--fail-on {fail_on!r}: choose from {', '.join(SEVERITY_CHOICES)}")
    with Session(format, dsn, target) as s:
        outcome = run_lint(LintRequest(list(targets or []), config, dsn, target, pg_version,
                                       assume_in_transaction, profile=profile, fail_on=fail_on,
                                       queries=list(queries or [])))
        report, threshold = outcome.report, outcome.profile.fail_on
        what = "revision" if outcome.kind == "revisions" else "file"
        plural = "" if len(report.sources) == 1 else "s"
        columns = [Column("source", "revision" if outcome.kind == "revisions" else "file"),
                   Column("line", kind="int"), Column("rule"), Column("severity", kind="severity"),
                   Column("message"), Column("fix")]
        s.out.sections([Section(None, report.as_dicts(), columns,
                                empty=f"no findings in {len(report.sources)} {what}{plural}")],
                       doc=report.as_dicts())
        failing = at_or_above(report.findings, threshold)
        counts = ", ".join(f"{n} {level}" for level, n in report.counts().items())
        unread = f", {report.not_linted} not linted (see not-linted)" if report.not_linted else ""
        s.out.note(f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} ({counts}) in "
                   f"{len(report.sources)} {what}{plural} ({report.statements} statement"
                   f"{'' if report.statements == 1 else 's'}){unread}; "
                   f"{len(failing)} at or above {threshold}; profile {outcome.profile.name}; "
                   f"squawk {report.squawk_version}, {outcome.version_note}")
        if failing:
            raise FindingsReached(f"{len(failing)} finding{'s' if len(failing) != 1 else ''} at or above "
                                  f"{threshold}")
