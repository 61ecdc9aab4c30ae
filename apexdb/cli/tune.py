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
    queries: Annotated[Optional[str], typer.Option(
        "--queries", help="Real query vectors: .npy, JSON array of arrays, or JSON lines. Measured on the live "
                          "index.", show_default=False)] = None,
    queries_file: Annotated[Optional[str], typer.Option("--queries-file", hidden=True)] = None,
    queries_sql: Annotated[Optional[str], typer.Option(
        "--queries-sql", help="A SELECT returning logged query vectors (first column), run read-only.",
        show_default=False)] = None,
    fast: Annotated[bool, typer.Option(
        "--fast", help="Measure rows of the live index instead of a scratch copy (optimistic).")] = False,
    sample: Annotated[Optional[int], typer.Option(
        "--sample", help="Rows held out of the scratch copy as queries (or sampled, with --fast); default 400.",
        show_default=False)] = None,
    filter: Annotated[Optional[list[str]], typer.Option("--filter", help="COLUMN=VALUE or JSONB_COLUMN.KEY=VALUE the queries carry (repeatable).")] = None,
    apply: Annotated[Optional[str], typer.Option("--apply", help="Write the recommendation: database or role (ALTER ... SET; asks first).")] = None,
    budget: Annotated[Optional[float], typer.Option("--budget", help="Seconds the whole run may take, scratch copy included (default 300).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the query sample and the split.")] = 0,
    no_store: Annotated[bool, typer.Option(
        "--no-store", help="Do not store the result in the history schema (stored when it exists).")] = False,
    yes: YesOpt = False,
    dsn: DsnOpt = None,
    target: TargetOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Find the least-latency hnsw.ef_search (or ivfflat.probes) that meets a recall target.

    Recall is measured with queries that are not nodes of the index: --queries FILE,
    --queries-sql, or (the default) rows held out of a scratch copy of the table that gets the
    same index, built and measured in a transaction that is rolled back."""
    from apexdb.errors import BadInput
    from apexdb.ops.tune import TuneRequest, apply_settings, run_tune
    from apexdb.ops.tune.apply import describe, planned_statements
    from apexdb.render.tune import chart, sweep_columns, summary_rows, sweep_rows, tune_document

    if apply is not None and apply not in ("database", "role"):
        raise BadInput(f"--apply must be database or role (got {apply!r})")
    path = _queries_path(queries, queries_file)
    with Session(format, dsn, target) as s:
        conn = s.connect()
        req = TuneRequest(table=table, column=column, target_recall=target_recall, k=k, sample=sample,
                          queries_file=path, queries_sql=queries_sql, fast=fast, filters=list(filter or []),
                          budget_s=budget, seed=seed)
        with s.out.progress("tuning", total=None) as bar:
            result = run_tune(conn, req, bar, db_target=s.target, on_event=s.out.note)
        for note in result.notes:
            s.out.warn(note)
        doc = tune_document(result)
        stored = None
        if not no_store:
            from apexdb.ops.history import store_tune_result

            stored = store_tune_result(conn, result)
        doc["stored_run_id"] = stored
        settings = result.recommended.settings if result.recommended else {}
        described = ", ".join(f"{k} = {v}" for k, v in settings.items())
        planned = describe(conn, planned_statements(conn, settings, apply)) if apply and settings else []
        # what --apply runs once the output is shown (and confirmed): the same order with or without --yes
        doc["apply"] = {"scope": apply, "statements": planned} if planned else None
        from apexdb.render import Section, cols

        s.out.sections([Section(None, summary_rows(result), cols("item", "value")),
                        Section("Sweep", sweep_rows(result), sweep_columns(result))], doc=doc)
        if format == "table":
            s.out.line("")
            s.out.rich(chart(result))
        if stored is not None:
            s.out.note(f"stored as tune run {stored} in the history schema (--no-store skips this)")
        if apply is None:
            return
        if not settings:
            raise BadInput("--apply: no setting reached the target, so nothing was applied")
        s.confirm(f"Set {described} for every new session of this {apply}?", yes,
                  what=f"--apply {apply} ({described})")
        for statement in apply_settings(conn, settings, apply):
            s.out.note(f"applied: {statement}")


def _queries_path(queries: str | None, queries_file: str | None) -> Path | None:
    """``--queries FILE`` (``--queries-file`` is its old name). A bare number was once a count."""
    from apexdb.errors import BadInput

    value = queries if queries is not None else queries_file
    if value is None:
        return None
    path = Path(value).expanduser()
    if value.isdigit() and not path.exists():
        raise BadInput(f"--queries takes a file of query vectors now; for how many rows to hold out, use "
                       f"--sample {value}")
    if not path.is_file():
        raise BadInput(f"--queries: no such file: {value}")
    return path
