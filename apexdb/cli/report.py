"""``apexdb report --html FILE``: one self-contained page about the database (audit, statements,
sizes and growth, vector indexes and their tune curves)."""
from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt


def register(app: typer.Typer) -> None:
    app.command("report", rich_help_panel="Diagnostics")(report)


def report(
    html: Annotated[str, typer.Option(
        "--html", help="Write the page to this file (replaced whole, or not at all).", show_default=False)],
    since: Annotated[str, typer.Option(
        "--since", help="How far back history goes (statement series, growth), e.g. 7d, 12h.")] = "30d",
    top: Annotated[int, typer.Option("--top", help="Statements by total time.")] = 15,
    relations: Annotated[int, typer.Option("--relations", help="Tables and indexes by size.")] = 20,
    threshold: Annotated[Optional[List[str]], typer.Option(
        "--threshold", help="NAME=VALUE for any audit threshold in docs/audit.md (repeatable).",
        show_default=False)] = None,
    exclude: Annotated[Optional[List[str]], typer.Option(
        "--exclude", help="Skip an audit check by name (repeatable).", show_default=False)] = None,
    dsn: DsnOpt = None,
    target: TargetOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Write a one-page HTML report: audit findings, top statements and their history, sizes and growth,
    vector indexes with their recall/latency curves. Read-only, with the config file's statement_timeout
    and lock_timeout; the page needs no network to view."""
    from apexdb.cli.audit import _pairs
    from apexdb.ops.audit import check_names, thresholds_from_config
    from apexdb.ops.report import ReportRequest, STEPS, gather_report
    from apexdb.render.files import PendingFile
    from apexdb.render.report_html import report_page, show_summary
    from apexdb.units import parse_duration

    request = ReportRequest(
        since_s=parse_duration(since, error="--since {value!r} is not a duration (e.g. 7d, 12h, 3600)"),
        top=top, relations=relations,
        thresholds=thresholds_from_config().updated(_pairs(threshold or []), "--threshold"),
        exclude=check_names(tuple(exclude or ()), "--exclude"))
    request.check()
    with Session(format, dsn, target) as s, PendingFile(html, option="--html") as page_file:
        conn = s.connect(application_name="apexdb report")
        with s.out.progress(f"gathering the report on {s.target.name}", total=len(STEPS)) as bar:
            gathered = gather_report(conn, s.target, request, on_step=lambda name: bar.advance())
        written = page_file.commit(report_page(gathered))
        show_summary(s.out, gathered, str(page_file.path), written)
