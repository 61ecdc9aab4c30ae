"""Where tune's query vectors come from, best first, and how each is labelled.

- ``file``: real query vectors from a file (``--queries FILE``).
- ``sql``: logged queries in the database (``--queries-sql``), run read-only with a timeout.
- ``heldout``: rows held out of a scratch copy of the table (the default). The copy gets the
  same index built without them, so the queries are not nodes of the graph they search.
- ``rows``: rows of the live index (``--fast``). A sampled row is a node of the graph: the
  search reaches it and its neighbours through its edges, so recall comes out optimistic
  (0.945 against 0.808 for real queries on the pypi-e5 corpus at ef_search 40).

Every source ends as a :class:`QuerySet` of pgvector text literals.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexdb.errors import BadInput

# What each source is called in every output format.
LABELS = {
    "file": "real queries from a file",
    "sql": "logged queries (--queries-sql)",
    "heldout": "rows held out of a scratch copy of the index (not nodes of the graph)",
    "rows": "optimistic: the queries are rows of the index",
}
OPTIMISTIC = {"rows"}


@dataclass
class QuerySet:
    vectors: list[str]  # pgvector text, ready to bind
    exclude: list[Any]  # the row each query came from (left out of its answers), or None
    source: str  # one of LABELS
    origin: str = ""  # the file name, the SQL text, or the table

    def __len__(self) -> int:
        return len(self.vectors)

    def subset(self, keep: list[int]) -> "QuerySet":
        return QuerySet([self.vectors[i] for i in keep], [self.exclude[i] for i in keep], self.source, self.origin)

    @property
    def label(self) -> str:
        return LABELS[self.source]

    @property
    def optimistic(self) -> bool:
        return self.source in OPTIMISTIC


def file_queries(path: Path, dims: int | None, column: str) -> QuerySet:
    """Every vector in ``path`` (the formats ``search --vector @FILE`` reads)."""
    from apexdb.ops.search.vector import load_query_file, vector_text

    vectors = load_query_file(path, dims, column)
    return QuerySet([vector_text(v) for v in vectors], [None] * len(vectors), "file", str(path))


def sql_queries(conn, text: str, dims: int | None, column: str, limit: int) -> QuerySet:
    """The vectors the first column of ``text`` returns, read in a READ ONLY transaction with
    the configured statement timeout. Only one plain SELECT is accepted (parsed, not matched)."""
    import psycopg

    from apexdb.db.connection import read_only

    _check_select(text)
    try:
        with read_only(conn), conn.cursor() as cur:
            cur.execute(text.strip().rstrip(";"))
            if cur.description is None:
                raise BadInput("--queries-sql returned no columns")
            type_name = _type_name(conn, cur.description[0].type_code)
            rows = cur.fetchmany(limit + 1)
    except psycopg.Error as exc:
        primary = exc.diag.message_primary if exc.diag and exc.diag.message_primary else str(exc).splitlines()[0]
        raise BadInput(f"--queries-sql failed, nothing was changed: {primary}") from None
    if type_name not in ("vector", "halfvec", "_float4", "_float8", "_numeric"):
        raise BadInput(f"--queries-sql must return query vectors in its first column (vector, halfvec or a float "
                       f"array); it returned {type_name}")
    if len(rows) > limit:
        raise BadInput(f"--queries-sql returned more than {limit:,} rows; add a LIMIT")
    vectors = [_as_text(r[0], dims, column, i) for i, r in enumerate(rows) if r[0] is not None]
    if not vectors:
        raise BadInput("--queries-sql returned no query vectors")
    return QuerySet(vectors, [None] * len(vectors), "sql", " ".join(text.split()))


def _check_select(text: str) -> None:
    import pglast

    try:
        statements = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        raise BadInput(f"--queries-sql is not valid SQL: {exc}") from None
    if len(statements) != 1:
        raise BadInput(f"--queries-sql must be one SELECT statement (got {len(statements)} statements)")
    stmt = statements[0].stmt
    if type(stmt).__name__ != "SelectStmt" or getattr(stmt, "intoClause", None) is not None:
        raise BadInput(f"--queries-sql must be a SELECT that only reads (got {type(stmt).__name__})")


def _type_name(conn, oid: int) -> str:
    from apexdb.db.queries import fetch_one

    row = fetch_one(conn, "tune_type_name", {"oid": oid})
    return row["name"] if row else str(oid)


def _as_text(value, dims: int | None, column: str, i: int) -> str:
    import numpy as np

    from apexdb.ops.search.vector import check_vector, parse_vector_text, vector_text

    if isinstance(value, str):
        value = parse_vector_text(value)
    elif hasattr(value, "to_numpy"):  # pgvector's HalfVector / Vector objects
        value = value.to_numpy()
    vec = check_vector(np.asarray(value, dtype=np.float64), dims, column, f"--queries-sql row {i + 1}")
    return vector_text(vec)


def sampled_rows(conn, target, n: int, seed: int, *, source: str) -> QuerySet:
    """``n`` rows' vectors, picked by a seeded hash of their id (repeatable, no table writes).
    As ``rows`` (``--fast``) each query leaves its own row out of its answers; as ``heldout``
    the rows are left out of the scratch copy instead."""
    from psycopg import sql

    from apexdb.db.connection import read_only
    from apexdb.ops.search.query import id_expression

    col, table, rid = sql.Identifier(target.column.column), sql.Identifier(*target.table.ident), id_expression(target)
    sample = sql.SQL("")
    if target.table.estimated_rows > TABLESAMPLE_ROWS:
        share = min(100.0, 100.0 * 20 * n / target.table.estimated_rows)
        sample = sql.SQL(" TABLESAMPLE BERNOULLI ({}) REPEATABLE ({})").format(sql.Literal(share), sql.Literal(seed))
    pick = sql.SQL("SELECT {rid} FROM {table}{sample} WHERE {col} IS NOT NULL "
                   "ORDER BY md5({rid}::text || %(seed)s) LIMIT %(n)s").format(
        rid=rid, table=table, sample=sample, col=col)
    fetch = sql.SQL("SELECT {rid} AS rid, {col}::text AS vec FROM {table} WHERE {rid} = ANY(%(ids)s) "
                    "ORDER BY md5({rid}::text || %(seed)s)").format(rid=rid, col=col, table=table)
    with read_only(conn):
        ids = [r[0] for r in conn.execute(pick, {"seed": str(seed), "n": n})]
        rows = conn.execute(fetch, {"ids": ids, "seed": str(seed)}).fetchall() if ids else []
    if len(rows) < 2:
        raise BadInput(f"{target.table.display}.{target.column.column} has {len(rows)} non-NULL vectors; "
                       f"tuning needs at least 2")
    ids = [r[0] for r in rows]
    exclude = ids if source == "rows" else [None] * len(rows)
    return HeldOut([r[1] for r in rows], exclude, source, target.table.display, ids)


@dataclass
class HeldOut(QuerySet):
    """Sampled rows, with the ids they came from (the scratch copy leaves these out)."""

    ids: list[Any] = None  # type: ignore[assignment]

    def subset(self, keep: list[int]) -> "HeldOut":
        return HeldOut([self.vectors[i] for i in keep], [self.exclude[i] for i in keep], self.source, self.origin,
                       [self.ids[i] for i in keep])


# Above this many rows, sampling reads a random share of pages instead of sorting every id.
TABLESAMPLE_ROWS = 1_000_000
