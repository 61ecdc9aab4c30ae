"""Checking an ``index create`` request against the database before anything is built.

Everything that can be known in advance is checked here, so a build only starts when it
can succeed: the column and its type, the dimension limit per type, the opclass for the
metric, pgvector's option ranges, the index name, the ``--where`` predicate, and NULL or
all-zero vectors that a cosine index would leave out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from apexdb.db.connection import read_only
from apexdb.db.queries import fetch_one
from apexdb.errors import BadInput
from apexdb.ops import catalog as vc

METHODS = ("hnsw", "ivfflat")
MAX_IDENTIFIER = vc.MAX_IDENTIFIER
# A plain (blocking) build on a table at least this big needs confirmation.
BLOCKING_BUILD_CONFIRM_ROWS = 10_000
HEALTH_SCAN_TIMEOUT = "30s"


@dataclass(kw_only=True)
class IndexRequest:
    """What ``index create`` was asked for (keyword arguments only)."""

    table: str
    column: str | None = None
    method: str = "hnsw"
    metric: str | None = None  # cosine for vectors, hamming for bit
    m: int | None = None
    ef_construction: int | None = None
    lists: str | int | None = None  # an int or "auto"
    name: str | None = None
    where: str | None = None
    halfvec: bool = False
    concurrently: bool = True
    replace: bool = False


@dataclass
class IndexPlan:
    table: vc.TableRef
    column: vc.VectorColumn
    method: str
    metric: str
    opclass: str
    key_type: str  # the type the index holds: the column's, or halfvec with --halfvec
    dims: int | None
    name: str
    options: dict[str, int]
    where: str | None
    halfvec: bool
    concurrently: bool
    concurrently_reason: str
    rows: int
    rows_exact: bool
    existing: dict | None = None  # what holds the name now (an INVALID leftover, or the index replaced)
    replace: bool = False
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def blocking_needs_confirmation(self) -> bool:
        return not self.concurrently and self.rows >= BLOCKING_BUILD_CONFIRM_ROWS

    def ddl(self):
        """The CREATE INDEX statement, from the one builder (identifiers quoted, keywords allow-listed)."""
        return vc.create_index_sql(table=self.table.ident, column=self.column.column, method=self.method,
                                   opclass=self.opclass, name=self.name,
                                   halfvec_dims=int(self.dims) if self.halfvec else None,
                                   concurrently=self.concurrently, options=self.options, where=self.where)


def check_options(req: IndexRequest) -> None:
    """Input checks that need no database: method, metric, option ranges."""
    if req.method not in METHODS:
        raise BadInput(f"unknown index method {req.method!r} (choose from {', '.join(METHODS)})")
    if req.metric is not None and req.metric not in vc.METRICS:
        raise BadInput(f"unknown metric {req.metric!r} (choose from {', '.join(vc.METRICS)})")
    if req.method == "hnsw":
        if req.lists is not None:
            raise BadInput("--lists applies to ivfflat indexes, not hnsw")
        m = req.m if req.m is not None else 16
        ef = req.ef_construction if req.ef_construction is not None else 64
        lo, hi = vc.HNSW_M_RANGE
        if not lo <= m <= hi:
            raise BadInput(f"--m must be between {lo} and {hi} (got {m})")
        lo, hi = vc.HNSW_EF_CONSTRUCTION_RANGE
        if not lo <= ef <= hi:
            raise BadInput(f"--ef-construction must be between {lo} and {hi} (got {ef})")
        if ef < 2 * m:
            raise BadInput(f"--ef-construction ({ef}) must be at least twice --m ({m}): pgvector requires it")
    else:
        if req.m is not None or req.ef_construction is not None:
            raise BadInput("--m and --ef-construction apply to hnsw indexes, not ivfflat")
        if req.lists is not None and str(req.lists) != "auto":
            try:
                lists = int(str(req.lists))
            except ValueError:
                raise BadInput(f"--lists must be a number or 'auto' (got {req.lists!r})") from None
            lo, hi = vc.IVFFLAT_LISTS_RANGE
            if not lo <= lists <= hi:
                raise BadInput(f"--lists must be between {lo} and {hi} (got {lists})")
    if req.name is not None and (not req.name.strip() or len(req.name.encode()) > MAX_IDENTIFIER):
        raise BadInput(f"--name must be 1 to {MAX_IDENTIFIER} bytes long")


def auto_lists(rows: int) -> int:
    """pgvector's advice: rows/1000 up to 1M rows, sqrt(rows) above; at least 1."""
    if rows <= 1_000_000:
        return max(1, rows // 1000)
    return min(vc.IVFFLAT_LISTS_RANGE[1], int(math.sqrt(rows)))


def plan_index(conn, req: IndexRequest) -> IndexPlan:
    """Validate ``req`` against the database; the plan to build, or BadInput saying why not."""
    check_options(req)
    with read_only(conn):
        table = vc.resolve_table(conn, req.table)
        if table.kind not in ("r", "p", "m"):
            raise BadInput(f"{table.display} is a {_KIND.get(table.kind, 'relation')}; only tables and "
                           f"materialized views can be indexed")
        column = vc.vector_column(conn, table, req.column)
    metric = req.metric or vc.default_metric(column.type)
    key_type, dims = _key_type(column, req.halfvec)
    opclass = vc.opclass_for(key_type, req.method, metric)
    name = req.name or vc.index_name(table.name, column.column, req.method, metric, req.halfvec)
    plan = IndexPlan(table, column, req.method, metric, opclass, key_type, dims, name, {}, None, req.halfvec,
                     True, "", column.estimated_rows, False, replace=req.replace)
    _check_name(conn, plan)
    if req.where:
        plan.where = _check_where(conn, table, req.where)
    _count_rows(conn, plan)
    if req.method == "hnsw":
        plan.options = {"m": req.m or 16, "ef_construction": req.ef_construction or 64}
    else:
        if req.lists is None or str(req.lists) == "auto":
            lists = auto_lists(plan.rows)
            plan.notes.append(f"lists {lists}: " + (f"rows/1000 for {plan.rows:,} rows" if plan.rows <= 1_000_000
                                                   else f"sqrt(rows) for {plan.rows:,} rows"))
        else:
            lists = int(str(req.lists))
        plan.options = {"lists": lists}
    _choose_concurrency(plan, req.concurrently)
    return plan


_KIND = {"v": "view", "f": "foreign table", "S": "sequence", "i": "index"}


def _key_type(column: vc.VectorColumn, halfvec: bool) -> tuple[str, int | None]:
    dims = column.dims
    if halfvec and column.type != "vector":
        raise BadInput(f"--halfvec casts a vector column; {column.column} is {column.type}")
    key_type = "halfvec" if halfvec else column.type
    if dims is None and column.type != "sparsevec":
        raise BadInput(f"column {column.column} is {column.type} without dimensions; an index needs a fixed "
                       f"size, e.g. ALTER TABLE ... ALTER COLUMN {column.column} TYPE {column.type}(384)")
    limit = vc.INDEX_DIM_LIMIT[key_type]
    if key_type != "sparsevec" and dims is not None and dims > limit:
        hint = ""
        if key_type == "vector" and dims <= vc.INDEX_DIM_LIMIT["halfvec"]:
            hint = " (use --halfvec to index it as halfvec, which allows up to 4,000)"
        raise BadInput(f"{column.column} has {dims:,} dimensions; {key_type} indexes allow at most {limit:,}{hint}")
    return key_type, dims


def _check_name(conn, plan: IndexPlan) -> None:
    with read_only(conn):
        taken = vc.relation_named(conn, plan.table.schema, plan.name)
    if taken is None:
        return
    where = f"{plan.table.schema}.{plan.name}"
    if taken["kind"] not in ("i", "I"):
        raise BadInput(f"{where} already exists and is not an index; choose another --name")
    if taken["table_oid"] != plan.table.oid:
        raise BadInput(f"{where} already exists as an index on {taken['table']}; choose another --name")
    plan.existing = taken
    if not taken["valid"]:
        message = (f"index {where} exists but is INVALID (left by an earlier failed or interrupted build): "
                   f"{taken['definition']}")
        if not plan.replace:
            raise BadInput(message, hint="rerun with --replace to drop it and build again")
        plan.warnings.append(message + "; --replace drops it and builds again")
    elif not plan.replace:
        raise BadInput(f"index {where} already exists: {taken['definition']}",
                       hint="pick another --name, or --replace to drop and rebuild it")
    else:
        plan.notes.append(f"--replace: the existing index {where} is dropped once the new one is built")


def _check_where(conn, table: vc.TableRef, predicate: str) -> str:
    """One boolean expression over the table's columns, nothing else (parsed by PostgreSQL's parser)."""
    import pglast
    from pglast.parser import ParseError

    try:
        stmts = pglast.parse_sql(f"SELECT 1 WHERE {predicate}")
    except ParseError as exc:
        raise BadInput(f"--where is not a valid SQL expression: {exc}") from None
    stmt = stmts[0].stmt if len(stmts) == 1 else None
    extra = ("fromClause", "groupClause", "havingClause", "windowClause", "sortClause", "limitCount",
             "limitOffset", "lockingClause", "withClause", "intoClause", "distinctClause", "valuesLists")
    if (stmt is None or type(stmt).__name__ != "SelectStmt" or stmt.op.name != "SETOP_NONE"
            or any(getattr(stmt, f, None) for f in extra)):
        raise BadInput("--where must be one boolean expression over the table's columns")
    import psycopg
    from psycopg import sql

    query = sql.SQL("EXPLAIN SELECT 1 FROM {} WHERE ({})").format(sql.Identifier(*table.ident), sql.SQL(predicate))
    try:
        with read_only(conn):
            conn.execute(query)
    except psycopg.Error as exc:
        primary = exc.diag.message_primary if exc.diag else str(exc)
        raise BadInput(f"--where does not apply to {table.display}: {primary}") from None
    return predicate


def _count_rows(conn, plan: IndexPlan) -> None:
    """Exact rows, and NULL / zero vectors, which are left out of the index (zero ones for cosine)."""
    import psycopg

    norm = vc.NORM_FUNCTION.get(plan.column.type) if plan.metric == "cosine" else None
    ident = dict(table=plan.table.ident, column=plan.column.column, norm=norm or "vector_norm")
    try:
        with read_only(conn, statement_timeout=HEALTH_SCAN_TIMEOUT):
            if norm is None:
                row = fetch_one(conn, "index_column_health_nonorm", None, **ident)
            else:
                row = fetch_one(conn, "index_column_health", None, **ident)
    except psycopg.errors.QueryCanceled:
        plan.notes.append(f"did not count NULL/zero vectors: the scan took over {HEALTH_SCAN_TIMEOUT}; "
                          f"using the planner's estimate of {plan.rows:,} rows")
        return
    plan.rows, plan.rows_exact = int(row["total_rows"]), True
    if row["null_rows"]:
        plan.warnings.append(f"{row['null_rows']:,} of {plan.rows:,} rows have a NULL {plan.column.column}; "
                             f"they will not be indexed")
    if row.get("zero_rows"):
        plan.warnings.append(f"{row['zero_rows']:,} of {plan.rows:,} rows have an all-zero {plan.column.column}; "
                             f"a cosine index will not index them (cosine distance is undefined for zero vectors)")


def _choose_concurrency(plan: IndexPlan, wanted: bool) -> None:
    if plan.table.kind == "p":
        plan.concurrently = False
        plan.concurrently_reason = "partitioned tables cannot be indexed concurrently; a plain build"
    elif not wanted:
        plan.concurrently = False
        plan.concurrently_reason = "--no-concurrently: a plain build, which blocks writes to the table until done"
    elif plan.rows == 0 and plan.rows_exact:
        plan.concurrently = False
        plan.concurrently_reason = "the table is empty, so a plain build holds its lock only for an instant"
    else:
        plan.concurrently = True
        plan.concurrently_reason = "CONCURRENTLY, so writes to the table go on during the build"
