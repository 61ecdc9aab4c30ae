"""``apexdb index create|list|drop``: vector indexes built with sized memory and live progress."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt, YesOpt

index_app = typer.Typer(help="Build, list and drop indexes (HNSW and IVFFlat with sized memory and progress).",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index", rich_help_panel="Vectors")


@index_app.command("create")
def create(
    table: Annotated[str, typer.Argument(help="Table (name or schema.name).")],
    column: Annotated[Optional[str], typer.Argument(help="Vector column (default: the table's only one).")] = None,
    method: Annotated[str, typer.Option("--method", help="hnsw or ivfflat.")] = "hnsw",
    metric: Annotated[Optional[str], typer.Option(
        "--metric", help="cosine, l2, ip, l1, hamming or jaccard (default cosine; hamming for bit).")] = None,
    m: Annotated[Optional[int], typer.Option("--m", help="HNSW links per node (2-100; default 16).")] = None,
    ef_construction: Annotated[Optional[int], typer.Option(
        "--ef-construction", help="HNSW build candidate list (4-1000, >= 2*m; default 64).")] = None,
    lists: Annotated[Optional[str], typer.Option(
        "--lists", help="IVFFlat lists, or 'auto' (rows/1000 up to 1M rows, sqrt(rows) above).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Index name (default TABLE_COLUMN_METHOD_METRIC_idx).")] = None,
    where: Annotated[Optional[str], typer.Option("--where", help="Partial index predicate (SQL expression).")] = None,
    halfvec: Annotated[bool, typer.Option(
        "--halfvec", help="Index (column::halfvec(n)) with halfvec opclasses: half the size, up to 4,000 dims.")] = False,
    concurrently: Annotated[bool, typer.Option(
        "--concurrently/--no-concurrently", help="Build without blocking writes (default; plain on an empty table).")] = True,
    memory: Annotated[Optional[str], typer.Option(
        "--memory", help="Most maintenance_work_mem to give the build, e.g. 2GB (default: what the server can spare).")] = None,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", help="max_parallel_maintenance_workers for the build (default: server cores - 1).")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Drop an INVALID leftover of the same name, or rebuild an existing index and swap it in.")] = False,
    yes: YesOpt = False,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Build an HNSW or IVFFlat index: validated first, memory and workers sized for this build, live progress."""
    from apexdb.ops.index import IndexRequest, build_index, open_build_connection, plan_index, size_build
    from apexdb.render.index import POOLER_WARNING, build_progress, show_built

    with Session(format, dsn, target) as s:
        conn = s.connect(application_name="apexdb index create")
        req = IndexRequest(table=table, column=column, method=method, metric=metric, m=m,
                           ef_construction=ef_construction, lists=lists, name=name, where=where, halfvec=halfvec,
                           concurrently=concurrently, replace=replace)
        plan = plan_index(conn, req)
        sizing = size_build(conn, plan, memory=memory, workers=workers)
        for warning in plan.warnings:
            s.out.warn(warning)
        if plan.blocking_needs_confirmation:
            s.confirm(f"A plain build blocks writes to {plan.table.display} ({plan.rows:,} rows) until it ends. "
                      f"Go on?", yes, what="a non-concurrent build on a large table")
        for note in [*plan.notes, plan.concurrently_reason, *sizing.reasons]:
            s.out.note(note)
        build_conn = open_build_connection(s.target, sizing)
        if build_conn.apexdb_applied_via == "session SET":
            s.out.warn(POOLER_WARNING)
        monitor = s.connect(application_name="apexdb index progress")
        with s.out.progress(f"building {plan.name}", total=None) as bar:
            with build_conn:  # closed when the build ends, its settings with it
                result = build_index(build_conn, monitor, plan, sizing, on_progress=build_progress(bar),
                                     on_notice=lambda msg: s.out.warn(f"server: {msg}"), on_event=s.out.note)
        show_built(s.out, result)


@index_app.command("list")
def list_(
    table: Annotated[Optional[str], typer.Argument(help="Only this table's indexes.")] = None,
    vector: Annotated[bool, typer.Option("--vector", help="Only HNSW and IVFFlat indexes.")] = False,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Every index: method, opclass/metric, m/ef_construction/lists, size, scans, valid/ready, table rows, bytes per row."""
    from apexdb.ops.index import list_indexes
    from apexdb.render.index import show_indexes

    with Session(format, dsn, target) as s:
        show_indexes(s.out, list_indexes(s.connect(), table, vector_only=vector), vector_only=vector)


@index_app.command("drop")
def drop(
    name: Annotated[str, typer.Argument(help="Index name (or schema.name).")],
    yes: YesOpt = False,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Drop an index with DROP INDEX CONCURRENTLY (asks first; --yes when not on a terminal)."""
    from apexdb.ops.index import drop as drop_it, plan_drop
    from apexdb.render.index import drop_question, show_dropped

    with Session(format, dsn, target) as s:
        conn = s.connect(application_name="apexdb index drop")
        plan = plan_drop(conn, name)
        s.confirm(drop_question(plan), yes, what=f"dropping index {plan.index.display}")
        show_dropped(s.out, drop_it(conn, plan))
