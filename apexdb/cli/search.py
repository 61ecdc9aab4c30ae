"""``apexdb search``: ad hoc similarity queries."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt


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
    from apexdb.render.search import show_search

    with Session(format, dsn, target) as s:
        req = SearchRequest(table=table, column=column, like=like, vector=vector, text=text, embedder=embedder,
                            k=k, metric=metric, filters=list(filter or []), where=where, ef_search=ef_search,
                            probes=probes, iterative_scan=iterative_scan, exact=exact, compare=compare, show=show,
                            explain=explain)
        show_search(s.out, run_search(s.connect(), req))
