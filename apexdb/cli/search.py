"""``apexdb search``: ad hoc similarity queries."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt

SHOWN_WIDTH = 60


def register(app: typer.Typer) -> None:
    app.command("search", rich_help_panel="Vectors")(search)


def search(
    table: Annotated[str, typer.Argument(help="Table (or schema.table) to search.", show_default=False)],
    column: Annotated[Optional[str], typer.Option("--column", "-c", help="Vector column (needed when the table has several).")] = None,
    like: Annotated[Optional[str], typer.Option("--like", help="Search with this row's vector (by primary key); the row itself is left out.")] = None,
    vector: Annotated[Optional[str], typer.Option("--vector", help="Query vector: a JSON array '[0.1, ...]' or @FILE (.npy or JSON).")] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="Query text, turned into a vector by --embedder.")] = None,
    embedder: Annotated[Optional[str], typer.Option("--embedder", help="openai:MODEL or sentence-transformers:MODEL_OR_PATH (or APEXDB_EMBEDDER).")] = None,
    k: Annotated[int, typer.Option("--k", "-k", help="How many neighbours (1-1000).")] = 10,
    metric: Annotated[Optional[str], typer.Option("--metric", help="cosine, l2, ip or l1 (default: the index's metric).")] = None,
    filter: Annotated[Optional[list[str]], typer.Option("--filter", help="COLUMN=VALUE or JSONB_COLUMN.KEY=VALUE (repeatable; values are bound).")] = None,
    where: Annotated[Optional[str], typer.Option("--where", help="An SQL condition, run in a READ ONLY transaction.")] = None,
    ef_search: Annotated[Optional[int], typer.Option("--ef-search", help="hnsw.ef_search for this query (1-1000).")] = None,
    probes: Annotated[Optional[int], typer.Option("--probes", help="ivfflat.probes for this query.")] = None,
    iterative_scan: Annotated[Optional[str], typer.Option("--iterative-scan", help="off, relaxed or strict (pgvector 0.8).")] = None,
    exact: Annotated[bool, typer.Option("--exact", help="Exact scan: index scans off.")] = False,
    compare: Annotated[bool, typer.Option("--compare", help="Run indexed and exact; report the recall of the indexed answer.")] = False,
    show: Annotated[Optional[list[str]], typer.Option("--show", help="Columns to show, comma-separated (default: title, name, content...).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Say whether the vector index was used, and if not, why.")] = False,
    dsn: DsnOpt = None,
    target: TargetOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Nearest neighbours of a row, a vector or a text, using the column's ANN index."""
    from apexdb.ops.search import SearchRequest, run_search

    with Session(format, dsn, target) as s:
        req = SearchRequest(table, column, like, vector, text, embedder, k, metric, list(filter or []), where,
                            ef_search, probes, iterative_scan, exact, compare, show, explain)
        result = run_search(s.connect(), req)
        _render(s, result)


def _render(s: Session, result) -> None:
    from apexdb.render import Column, Section, cols

    how = "exact scan" if result.exact else (f"index {result.index}" if result.index else "no usable index")
    settings = ", ".join(f"{k} = {v}" for k, v in result.settings.items())
    s.out.info(f"{len(result.rows)} nearest rows of {result.table}.{result.column} to {result.query} by "
               f"{result.metric} distance ({how}{'; ' + settings if settings else ''}) in {result.elapsed_ms:.1f} ms")
    for note in result.notes:
        s.out.warn(note)
    columns = cols("rank:int", "id", Column("distance", kind="float"))
    if result.has_similarity:
        columns.append(Column("similarity", kind="float"))
    if result.recall is not None:
        columns.append(Column("in_exact", "in exact", kind="bool"))
    columns += [Column(name, max_width=SHOWN_WIDTH) for name in result.shown]
    sections = [Section(None, result.rows, columns, empty="(no rows)")]
    doc: dict = {"results": result.rows}
    if result.recall is not None or result.exact_rows is not None:
        compare = {"recall": result.recall, "k": result.k, "missed": result.missed,
                   "exact": result.exact_rows, "elapsed_ms": result.elapsed_ms}
        doc["compare"] = compare
        recall = "n/a (no rows)" if result.recall is None else f"{result.recall:.3f}"
        missed = ", ".join(map(str, result.missed)) or "none"
        sections.append(Section("Indexed vs exact", [
            {"item": f"recall@{result.k}", "value": recall},
            {"item": "exact neighbours the index missed", "value": missed}], cols("item", "value")))
    if result.verdict is not None:
        v = result.verdict
        doc["explain"] = {"index_used": v.index_used, "index": v.index, "reason": v.reason, "plan": v.plan,
                          "nodes": v.nodes}
        verdict = f"yes: {v.index}" if v.index_used else f"no: {v.reason}"
        sections.append(Section("Plan", [{"item": "vector index used", "value": verdict},
                                         {"item": "plan", "value": v.plan}], cols("item", "value")))
    s.out.sections(sections, doc=doc if len(doc) > 1 else result.rows)
