"""``apexdb search``: one similarity query, written so the planner can use the index.

The query vector is a row's own (``--like ID``, which then leaves that row out), a
literal or file (``--vector``), or text through an embedder (``--text``). Everything
runs in READ ONLY transactions with a statement timeout; ef_search, probes and iterative
scan are ``SET LOCAL`` for this query only. ``--exact`` turns index scans off;
``--compare`` runs both and reports the recall of the indexed answer.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from apexdb.db.connection import current_setting, read_only, set_local
from apexdb.db.queries import fetch
from apexdb.errors import BadInput
from apexdb.ops.search.explain import PlanVerdict, explain_search
from apexdb.ops.search.filters import parse_filters
from apexdb.ops.search.query import (DISTANCE, ROW_ID, SearchSql, build_count, build_search, check_k,
                                     index_settings)
from apexdb.ops.search.recall import recall
from apexdb.ops.search.target import SIMILARITY, SearchTarget, resolve_search_target, shown_columns
from apexdb.ops.search.vector import check_vector, parse_vector_arg, parse_vector_text, vector_text

# SQLSTATE classes that mean the user's --where/--filter was wrong, not the database:
# 22 data exception, 42 syntax or undefined object, 25006 a write in a read-only transaction,
# 0A a feature not allowed there (a data-modifying WITH inside a condition).
_USER_SQL_STATES = ("22", "42", "25006", "2F", "38", "0A")


@dataclass(kw_only=True)
class SearchRequest:
    table: str
    column: str | None = None
    like: str | None = None
    vector: str | None = None
    text: str | None = None
    embedder: str | None = None
    k: int = 10
    metric: str | None = None
    filters: list[str] = field(default_factory=list)
    where: str | None = None
    ef_search: int | None = None
    probes: int | None = None
    iterative_scan: str | None = None
    exact: bool = False
    compare: bool = False
    show: list[str] | None = None
    explain: bool = False


@dataclass(kw_only=True)
class SearchResult:
    table: str
    column: str
    metric: str
    index: str | None
    query: str  # where the query vector came from: "row 42", "--vector", "--text"
    k: int
    shown: list[str]
    rows: list[dict[str, Any]]
    elapsed_ms: float
    exact: bool
    settings: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # things the user should know about this answer
    recall: float | None = None  # --compare: recall of the indexed answer
    recall_optimistic: bool = False  # --compare --like: the query is a row (a node) of the index it searches
    exact_rows: list[dict[str, Any]] | None = None
    missed: list[Any] = field(default_factory=list)  # --compare: exact neighbours the index missed
    verdict: PlanVerdict | None = None  # --explain
    has_similarity: bool = False


def run_search(conn, req: SearchRequest) -> SearchResult:
    check_k(req.k)
    given = [name for name, value in (("--like", req.like), ("--vector", req.vector), ("--text", req.text))
             if value is not None]
    if len(given) != 1:
        raise BadInput("give exactly one of --like ID, --vector VECTOR|@FILE or --text TEXT"
                       + (f" (got {' and '.join(given)})" if given else ""))
    if req.exact and req.compare:
        raise BadInput("--compare already runs the exact scan; give --exact or --compare, not both")
    target = resolve_search_target(conn, req.table, req.column, req.metric)
    fetch(conn, "settings_load_vector_library")  # so hnsw.* / ivfflat.* are real settings, not placeholders
    settings = index_settings(target, ef_search=req.ef_search, probes=req.probes,
                              iterative_scan=req.iterative_scan)
    notes = _setting_notes(target, req, settings)
    shown = shown_columns(target, req.show)
    filters = parse_filters(req.filters, target.columns)
    vector, source = _query_vector(conn, target, req)
    exclude = req.like is not None
    search = build_search(target, k=req.k, shown=shown, filters=filters, where=req.where, exclude=exclude)
    search.params["q"] = vector_text(vector)
    if exclude:
        search.params["exclude"] = req.like
    with _user_sql_errors(req):
        rows, elapsed = run_query(conn, search, settings, exact=req.exact)
        result = SearchResult(table=target.table.display, column=target.column.column, metric=target.metric,
                              index=target.index.name if target.index else None, query=source, k=req.k,
                              shown=shown, rows=_rank(rows, target), elapsed_ms=elapsed, exact=req.exact,
                              settings=settings, notes=notes, has_similarity=target.has_similarity)
        if len(rows) < req.k and not req.exact and target.index is not None:
            _explain_short(conn, target, req, filters, search, result)
        if req.compare:
            exact_rows, _ = run_query(conn, search, settings, exact=True)
            result.exact_rows = _rank(exact_rows, target)
            found = [(r[ROW_ID], r[DISTANCE]) for r in rows if r[DISTANCE] is not None]
            truth = [(r[ROW_ID], r[DISTANCE]) for r in exact_rows if r[DISTANCE] is not None]
            result.recall = recall(found, truth)
            # a row of the table is a node of the graph: the search reaches its neighbours through its own
            # edges, so its recall overstates what queries from outside get (see apexdb tune)
            result.recall_optimistic = req.like is not None
            found_ids = {rid for rid, _ in found}
            result.missed = [rid for rid, _ in truth if rid not in found_ids]
            for row in result.rows:
                row["in_exact"] = row["id"] in {rid for rid, _ in truth}
        if req.explain:
            result.verdict = explain_search(conn, target, search, settings, exact=req.exact)
    return result


def run_query(conn, search: SearchSql, settings: dict[str, str], *, exact: bool = False):
    """The rows of ``search`` and the milliseconds the statement took, in a READ ONLY transaction."""
    from psycopg.rows import dict_row

    with read_only(conn):
        set_local(conn, **settings)
        if exact:  # the same statement; without index scans the planner must scan and sort
            set_local(conn, enable_indexscan="off")
        with conn.cursor(row_factory=dict_row) as cur:
            started = time.perf_counter()
            cur.execute(search.query, search.params)
            rows = cur.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
    return rows, elapsed


def _rank(rows: list[dict], target: SearchTarget) -> list[dict[str, Any]]:
    out = []
    rows = [r for r in rows if r[DISTANCE] is not None]  # a NULL vector has no distance (exact scans sort it last)
    for rank, row in enumerate(rows, 1):
        distance = float(row[DISTANCE])
        item: dict[str, Any] = {"rank": rank, "id": row[ROW_ID], "distance": distance}
        if target.has_similarity:
            item["similarity"] = SIMILARITY[target.metric](distance)
        item.update({k: v for k, v in row.items() if k not in (ROW_ID, DISTANCE)})
        out.append(item)
    return out


def _query_vector(conn, target: SearchTarget, req: SearchRequest):
    col, dims = target.column.column, target.column.dims
    if req.vector is not None:
        return parse_vector_arg(req.vector, dims, col), "--vector"
    if req.text is not None:
        from apexdb.ops.search.embedders import embed_text

        return check_vector(embed_text(req.embedder, req.text, dims), dims, col, "--text"), "--text"
    return row_vector(conn, target, req.like), f"row {req.like}"


def row_vector(conn, target: SearchTarget, row_id: str):
    """The vector stored in row ``row_id`` (by the table's identifying column)."""
    import psycopg
    from psycopg import sql

    if target.id_column is None:
        raise BadInput(f"--like needs a primary key or unique column on {target.table.display}; it has none")
    query = sql.SQL("SELECT {col}::text FROM {table} WHERE {id} = %s").format(
        col=sql.Identifier(target.column.column), table=sql.Identifier(*target.table.ident),
        id=sql.Identifier(target.id_column))
    try:
        with read_only(conn):
            row = conn.execute(query, [row_id]).fetchone()
    except psycopg.errors.DataError as exc:
        id_type = target.column_named(target.id_column)["type"]
        raise BadInput(f"--like {row_id!r} is not a valid {id_type} for {target.id_column}: "
                       f"{exc.diag.message_primary}") from None
    if row is None:
        raise BadInput(f"--like: no row with {target.id_column} = {row_id} in {target.table.display}")
    if row[0] is None:
        raise BadInput(f"--like: row {row_id} has no vector in {target.column.column} (it is NULL)")
    return parse_vector_text(row[0])


def _setting_notes(target: SearchTarget, req: SearchRequest, settings: dict[str, str]) -> list[str]:
    notes = []
    method = target.index.method if target.index else None
    if target.index is None and (target.indexes or target.expression_indexes) and not req.exact:
        other = (target.indexes or target.expression_indexes)[0]
        notes.append(f"{other.name} is built for {other.metric} distance, not {target.metric}: this search "
                     f"scans the whole table (use --metric {other.metric} to use the index)")
    if "hnsw.ef_search" in settings and method != "hnsw":
        notes.append("--ef-search only affects HNSW indexes; this search does not use one")
    if "ivfflat.probes" in settings and method != "ivfflat":
        notes.append("--probes only affects IVFFlat indexes; this search does not use one")
    if method == "ivfflat" and req.probes is not None:
        lists = int(target.index.options.get("lists", 100))
        if req.probes >= lists:
            notes.append(f"--probes {req.probes} is not below lists ({lists}): every list is scanned, no faster "
                         f"than an exact scan, and the planner usually prefers one")
    return notes


def _explain_short(conn, target: SearchTarget, req: SearchRequest, filters, search: SearchSql,
                   result: SearchResult) -> None:
    """Fewer than k rows: were there more to find (the scan stopped early) or not?"""
    count = build_count(target, k=req.k, filters=filters, where=req.where, exclude=req.like is not None)
    count.params.update({k: v for k, v in search.params.items() if k in ("exclude",)})
    rows, _ = run_query(conn, count, {})
    matching = rows[0]["count"]
    got = len(result.rows)
    if matching <= got:
        result.notes.append(f"only {got} of {req.k} rows: that is every row that matches")
        return
    hnsw = target.index.method == "hnsw"
    needed = req.k + (1 if req.like is not None else 0)  # --like: the row itself is found, then dropped
    if hnsw:
        ef = req.ef_search or int(current_setting(conn, "hnsw.ef_search"))
        stops = f"stops after its ef_search ({ef}) candidates"
        advice = "--iterative-scan relaxed (or strict) or a larger --ef-search" + (
            f" (at least {needed})" if ef < needed else "")
    else:
        probes = req.probes or int(current_setting(conn, "ivfflat.probes"))
        stops = f"reads only {probes} list(s)"
        advice = "--iterative-scan relaxed or a larger --probes"
    removed = ("the filter removed the rest" if search.filtered else
               "the row itself took one of them" if req.like is not None else "there were no more")
    result.notes.append(f"only {got} of {req.k} rows came back although at least {matching} rows match: the "
                        f"index scan {stops} and {removed}; rerun with {advice}")


class _user_sql_errors:
    """Errors caused by the user's --where or --filter become bad input (exit 2), in one line."""

    def __init__(self, req: SearchRequest):
        self.req = req

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        import psycopg

        if exc is None or not isinstance(exc, psycopg.Error) or not (self.req.where or self.req.filters):
            return False
        state = getattr(exc, "sqlstate", None) or ""
        if not state.startswith(_USER_SQL_STATES):
            return False
        primary = exc.diag.message_primary if exc.diag else str(exc)
        what = "--where" if self.req.where else "--filter"
        if state == "25006":
            raise BadInput(f"{what} tried to change data, which a search never does ({primary}); "
                           f"nothing was changed") from None
        raise BadInput(f"{what} failed: {primary} [SQLSTATE {state}]") from None
