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
        _render(s.out, report)
        if fail_on is not None:
            worst = [f for f in report.findings if SEVERITIES.index(f.severity) >= SEVERITIES.index(fail_on)]
            if worst:
                raise FindingsReached(f"{len(worst)} finding(s) at or above {fail_on}")


def _render(out, report) -> None:
    from apexdb.ops.explain.tree import plain_text, plan_tree
    from apexdb.render import Column, Section, cols

    findings = [{"number": i, **f.as_json()} for i, f in enumerate(report.findings, 1)]
    finding_cols = [Column("number", "#", kind="int"), Column("severity", kind="severity"),
                    Column("node"), Column("message"), Column("fix")]
    if out.fmt == "json":
        out.document(report.as_json())
        return
    if out.fmt == "csv":
        out.table(_node_rows(report.run.plan), cols(
            "id:int", "node", "parent_relationship", "estimated_rows:float", "actual_rows:float", "loops:int",
            "exclusive_ms:float", "inclusive_ms:float", "share:float", "buffers_hit:int", "buffers_read:int",
            "filter", "rows_removed:float"))
        return
    tree = plan_tree(report.run, report.findings)
    if out.fmt == "markdown":
        out.line("```")
        out.line(plain_text(tree))
        out.line("```\n")
    elif out.rich_stdout:
        out.rich(tree)
        out.line("")
    else:  # piped: the same tree, plain, one node per line
        out.line(plain_text(tree))
        out.line("")
    out.sections([Section("Findings", findings, finding_cols, empty="No findings: nothing in this plan "
                                                                   "needs fixing.")])


def _node_rows(plan) -> list[dict]:
    return [{"id": n.id, "node": n.label, "parent_relationship": n.parent_relationship,
             "estimated_rows": n.estimated_rows, "actual_rows": n.actual_rows,
             "loops": n.loops if n.analyzed else None, "exclusive_ms": n.exclusive_ms,
             "inclusive_ms": n.inclusive_ms, "share": n.share, "buffers_hit": n.buffers_hit,
             "buffers_read": n.buffers_read, "filter": n.filter, "rows_removed": n.rows_removed}
            for n in plan.nodes()]
