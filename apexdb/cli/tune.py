"""``apexdb tune``: the ef_search / probes that meets a recall target at the least latency."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt, YesOpt


def register(app: typer.Typer) -> None:
    app.command("tune", rich_help_panel="Vectors")(tune)


def tune(
    table: Annotated[str, typer.Argument(help="Table (or schema.table).", show_default=False)],
    column: Annotated[Optional[str], typer.Argument(help="Vector column (optional when the table has one).",
                                                    show_default=False)] = None,
    target_recall: Annotated[float, typer.Option("--target-recall", help="Recall@k to reach, in (0, 1].")] = 0.95,
    k: Annotated[int, typer.Option("--k", "-k", help="Neighbours per query (1-1000).")] = 10,
    queries: Annotated[int, typer.Option("--queries", help="Query vectors sampled from the table.")] = 200,
    queries_file: Annotated[Optional[Path], typer.Option("--queries-file", help="Query vectors: .npy (2-D), JSON array of arrays, or JSON lines.")] = None,
    filter: Annotated[Optional[list[str]], typer.Option("--filter", help="COLUMN=VALUE or JSONB_COLUMN.KEY=VALUE the queries carry (repeatable).")] = None,
    apply: Annotated[Optional[str], typer.Option("--apply", help="Write the recommendation: database or role (ALTER ... SET; asks first).")] = None,
    budget: Annotated[Optional[float], typer.Option("--budget", help="Seconds the whole run may take (default 300).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the query sample and the held-out split.")] = 0,
    yes: YesOpt = False,
    dsn: DsnOpt = None,
    target: TargetOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Find the least-latency hnsw.ef_search (or ivfflat.probes) that meets a recall target."""
    from apexdb.errors import BadInput
    from apexdb.ops.tune import TuneRequest, run_tune
    from apexdb.ops.tune_apply import apply_settings
    from apexdb.ops.tune_report import chart, summary_rows, sweep_rows, tune_document
    from apexdb.render import Column, Section, cols

    if apply is not None and apply not in ("database", "role"):
        raise BadInput(f"--apply must be database or role (got {apply!r})")
    with Session(format, dsn, target) as s:
        conn = s.connect()
        req = TuneRequest(table=table, column=column, target_recall=target_recall, k=k, queries=queries,
                          queries_file=queries_file, filters=list(filter or []), budget_s=budget, seed=seed)
        with s.out.progress("tuning", total=queries) as bar:
            result = run_tune(conn, req, bar)
        for note in result.notes:
            s.out.warn(note)
        doc = tune_document(result)
        settings = result.recommended.settings if result.recommended else {}
        described = ", ".join(f"{k} = {v}" for k, v in settings.items())
        applied = None
        if apply is not None and settings and yes:  # nothing to ask: the document can say what was done
            applied = apply_settings(conn, settings, apply)
        doc["applied"] = {"scope": apply, "statements": applied} if applied else None
        sweep_cols = cols("value:int", "mode", Column("recall", "recall (held out)", kind="float"),
                          Column("fit_recall", "recall (fit)", kind="float"), "p50_ms:ms", "p95_ms:ms",
                          "p99_ms:ms", "mark")
        s.out.sections([Section(None, summary_rows(result), cols("item", "value")),
                        Section("Sweep", sweep_rows(result), sweep_cols)], doc=doc)
        if format == "table":
            s.out.line("")
            s.out.rich(chart(result))
        if apply is not None and not settings:
            raise BadInput("--apply: no setting reached the target, so nothing was applied")
        if apply is not None and applied is None:  # ask once the person has seen the sweep
            s.confirm(f"Set {described} for every new session of this {apply}?", yes,
                      what=f"--apply {apply} ({described})")
            applied = apply_settings(conn, settings, apply)
        for statement in applied or []:
            s.out.note(f"applied: {statement}")
