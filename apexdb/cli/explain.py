"""``apexdb explain``: the plan of one statement as a tree, with findings that name the fix."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt

SEVERITIES = ("info", "warning", "critical")


def register(app: typer.Typer) -> None:
    app.command("explain", rich_help_panel="Diagnostics")(explain)


def explain(
    sql: Annotated[Optional[str], typer.Argument(
        help="The statement; '-' reads it from stdin.", show_default=False)] = None,
    file: Annotated[Optional[Path], typer.Option(
        "--file", "-f", help="Read the statement from FILE.", show_default=False)] = None,
    analyze: Annotated[bool, typer.Option(
        "--analyze/--no-analyze", help="Run the statement (in a transaction that is rolled back).")] = False,
    buffers: Annotated[Optional[bool], typer.Option(
        "--buffers/--no-buffers", help="Buffer usage (default: on with --analyze).", show_default=False)] = None,
    settings: Annotated[bool, typer.Option("--settings", help="List planner settings that differ from the defaults.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="EXPLAIN VERBOSE: output columns, schema-qualified names.")] = False,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="A value for $1, $2, ... in order (repeat the option).", show_default=False)] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="statement_timeout in seconds.")] = 60.0,
    fail_on: Annotated[Optional[str], typer.Option(
        "--fail-on", help="Exit 1 when a finding is at least this severe: info, warning or critical.",
        show_default=False)] = None,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """EXPLAIN one statement (rolled back, with a timeout) and say what to fix."""
    from apexdb.errors import BadInput, FindingsReached, Interrupted
    from apexdb.ops.explain import ExplainOptions, explain as run
    from apexdb.ops.explain.statement import read_sql
    from apexdb.render.explain import show_explain

    if fail_on is not None and fail_on not in SEVERITIES:
        raise BadInput(f"--fail-on must be one of {', '.join(SEVERITIES)}")
    with Session(format, dsn, target) as s:
        text = read_sql(sql, file)
        options = ExplainOptions(analyze=analyze, buffers=buffers, settings=settings, verbose=verbose,
                                 params=list(param or []), timeout_s=timeout)
        try:
            report = run(s.connect(), text, options)
        except KeyboardInterrupt:  # psycopg has already cancelled the statement on the server
            raise Interrupted("interrupted: the statement was cancelled on the server and its transaction "
                              "rolled back; nothing it did was kept") from None
        show_explain(s.out, report)
        if fail_on is not None:
            worst = [f for f in report.findings if SEVERITIES.index(f.severity) >= SEVERITIES.index(fail_on)]
            if worst:
                raise FindingsReached(f"{len(worst)} finding(s) at or above {fail_on}")
