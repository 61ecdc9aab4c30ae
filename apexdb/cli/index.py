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
    from apexdb.ops.index_build import build_index
    from apexdb.ops.index_plan import IndexRequest, plan_index
    from apexdb.ops.index_sizing import size_build
    from apexdb.render import Section, cols

    with Session(format, dsn, target) as s:
        conn = s.connect(application_name="apexdb index create")
        req = IndexRequest(table, column, method, metric, m, ef_construction, lists, name, where, halfvec,
                           concurrently, replace)
        plan = plan_index(conn, req)
        sizing = size_build(conn, plan, memory=memory, workers=workers)
        for warning in plan.warnings:
            s.out.warn(warning)
        if plan.blocking_needs_confirmation:
            s.confirm(f"A plain build blocks writes to {plan.table.display} ({plan.rows:,} rows) until it ends. "
                      f"Go on?", yes, what="a non-concurrent build on a large table")
        for note in [*plan.notes, plan.concurrently_reason, *sizing.reasons]:
            s.out.note(note)
        from apexdb.ops.index_build import open_build_connection

        build_conn = open_build_connection(s.target, sizing)
        if build_conn.apexdb_applied_via == "session SET":
            s.out.warn("the server refused startup options (a connection pooler?): the build's settings are "
                       "session SETs, which a transaction-mode pooler may not keep; build indexes on a direct "
                       "connection to the server")
        monitor = s.connect(application_name="apexdb index progress")
        with s.out.progress(f"building {plan.name}", total=None) as bar:
            phase = [None]

            def on_progress(sample) -> None:
                # each phase counts something else (blocks, tuples, lockers): restart the bar and its ETA
                if (sample.phase, sample.unit) != phase[0]:
                    phase[0] = (sample.phase, sample.unit)
                    bar.restart(total=sample.total or None, description=sample.phase, detail=sample.unit or "")
                bar.update(completed=sample.done or 0, total=sample.total or None)

            with build_conn:  # closed when the build ends, its settings with it
                result = build_index(build_conn, monitor, plan, sizing, on_progress=on_progress,
                                     on_notice=lambda msg: s.out.warn(f"server: {msg}"), on_event=s.out.note)
        from dataclasses import asdict

        from apexdb.render.format import human_bytes, human_seconds

        items = [
            ("index", result.index), ("definition", result.definition),
            ("rows", f"{result.rows:,}"), ("size", human_bytes(result.size_bytes)),
            ("build time", human_seconds(result.seconds) + (" (concurrently)" if result.concurrently else "")),
            ("maintenance_work_mem", human_bytes(result.maintenance_work_mem_bytes)),
            ("max_parallel_maintenance_workers", str(result.workers)),
        ]
        if result.replaced:
            items.append(("replaced", result.replaced))
        if result.notices:
            items.append(("server notices", "; ".join(result.notices)))
        s.out.sections([Section("Index built", [{"item": k, "value": v} for k, v in items], cols("item", "value"))],
                       doc=asdict(result))


@index_app.command("list")
def list_(
    table: Annotated[Optional[str], typer.Argument(help="Only this table's indexes.")] = None,
    vector: Annotated[bool, typer.Option("--vector", help="Only HNSW and IVFFlat indexes.")] = False,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Every index: method, opclass/metric, m/ef_construction/lists, size, scans, valid/ready, table rows, bytes per row."""
    from dataclasses import asdict

    from apexdb.ops.index_list import list_indexes
    from apexdb.render import cols

    with Session(format, dsn, target) as s:
        found = list_indexes(s.connect(), table, vector_only=vector)
        rows = []
        for i in found:
            params = ", ".join(f"{k}={getattr(i, k)}" for k in ("m", "ef_construction", "lists")
                               if getattr(i, k) is not None)
            state = "valid" if i.valid else ("INVALID" if i.ready else "INVALID, not ready")
            rows.append({"index": f"{i.schema}.{i.name}" if i.schema != "public" else i.name, "table": i.table,
                         "method": i.method, "keys": ", ".join(i.keys),
                         "opclass": ", ".join(i.opclasses),
                         "parameters": params, "size": i.size_bytes, "scans": i.scans, "state": state,
                         "table_rows": i.table_rows, "bytes_per_row": i.bytes_per_row})
        doc = []
        for i in found:
            item = asdict(i)
            item["is_vector"] = i.is_vector
            doc.append(item)
        empty = "(no vector indexes)" if vector else "(no indexes)"
        s.out.table(rows, cols("index", "table", "method", "keys", "opclass", "parameters", "size:bytes",
                               "scans:int", "state", "table_rows:int", "bytes_per_row:float"), doc=doc, empty=empty)


@index_app.command("drop")
def drop(
    name: Annotated[str, typer.Argument(help="Index name (or schema.name).")],
    yes: YesOpt = False,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Drop an index with DROP INDEX CONCURRENTLY (asks first; --yes when not on a terminal)."""
    from apexdb.ops.index_list import drop as drop_it, plan_drop
    from apexdb.render import cols
    from apexdb.render.format import human_bytes

    with Session(format, dsn, target) as s:
        conn = s.connect(application_name="apexdb index drop")
        plan = plan_drop(conn, name)
        s.confirm(f"Drop index {plan.index.display} on {plan.index.table} ({human_bytes(plan.index.size_bytes)})?",
                  yes, what=f"dropping index {plan.index.display}")
        result = drop_it(conn, plan)
        s.out.table([result], cols("dropped", "table", "method", "size_bytes:bytes", "concurrently:bool"), doc=result)
