"""What the database holds for vectors: tables, vector columns, ANN indexes, metrics, and
the one ``CREATE INDEX`` suggestion for a vector column.

Shared by index, load, search, tune, explain and audit. Every name the user gives is
looked up through the catalog with bound parameters and later quoted with
``psycopg.sql.Identifier``, so a table called ``x; drop table y`` is just a name.
:func:`create_index_sql` writes every vector ``CREATE INDEX`` apexdb runs or suggests
(``index create`` runs it; explain, search, tune and audit print :func:`suggest_index`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from apexdb.db.queries import fetch, fetch_one
from apexdb.errors import BadInput

# metric -> (distance operator, opclass suffix); pgvector 0.8
METRICS: dict[str, tuple[str, str]] = {
    "l2": ("<->", "l2_ops"),
    "ip": ("<#>", "ip_ops"),
    "cosine": ("<=>", "cosine_ops"),
    "l1": ("<+>", "l1_ops"),
    "hamming": ("<~>", "hamming_ops"),
    "jaccard": ("<%>", "jaccard_ops"),
}
OPERATOR_METRIC = {op: metric for metric, (op, _) in METRICS.items()}
# Largest dimensions an ANN index accepts, per type (sparsevec: non-zero elements, HNSW only).
INDEX_DIM_LIMIT = {"vector": 2000, "halfvec": 4000, "bit": 64000, "sparsevec": 1000}
# Which opclasses exist: (type, method) -> metrics
OPCLASS_METRICS: dict[tuple[str, str], tuple[str, ...]] = {
    ("vector", "hnsw"): ("l2", "ip", "cosine", "l1"),
    ("halfvec", "hnsw"): ("l2", "ip", "cosine", "l1"),
    ("sparsevec", "hnsw"): ("l2", "ip", "cosine", "l1"),
    ("bit", "hnsw"): ("hamming", "jaccard"),
    ("vector", "ivfflat"): ("l2", "ip", "cosine"),
    ("halfvec", "ivfflat"): ("l2", "ip", "cosine"),
    ("bit", "ivfflat"): ("hamming",),
}


def opclass_for(type_: str, method: str, metric: str) -> str:
    """The opclass name for a column type, index method and metric, or BadInput."""
    allowed = OPCLASS_METRICS.get((type_, method))
    if not allowed:
        raise BadInput(f"{method} indexes do not support {type_} columns")
    if metric not in allowed:
        raise BadInput(f"no {method} opclass for {metric} on {type_} (choose from {', '.join(allowed)})")
    return f"{type_}_{METRICS[metric][1]}" if type_ != "bit" else f"bit_{METRICS[metric][1]}"


def metric_of_opclass(opclass: str) -> str | None:
    for metric, (_op, suffix) in METRICS.items():
        if opclass.endswith("_" + suffix):
            return metric
    return None


class _SchemaQualified:
    """``schema`` and ``name`` as an identifier pair and as people read them."""

    schema: str
    name: str

    @property
    def ident(self) -> tuple[str, str]:
        """For ``sql.compose(..., table=ref.ident)`` / ``sql.Identifier(*ref.ident)``: a quoted schema.name."""
        return (self.schema, self.name)

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class TableRef(_SchemaQualified):
    oid: int
    schema: str
    name: str
    kind: str
    estimated_rows: int


@dataclass(frozen=True)
class VectorColumn:
    schema: str
    table: str
    table_oid: int
    column: str
    attnum: int
    type: str
    dims: int | None
    nullable: bool
    estimated_rows: int


@dataclass(frozen=True)
class VectorIndex:
    schema: str
    name: str
    table: str
    table_oid: int
    index_oid: int
    method: str
    opclass: str
    column: str | None
    expression: str | None
    options: dict[str, str] = field(default_factory=dict)
    predicate: str | None = None
    valid: bool = True
    ready: bool = True
    size_bytes: int = 0
    table_rows: int = 0
    definition: str = ""

    @property
    def metric(self) -> str | None:
        return metric_of_opclass(self.opclass)

    @property
    def operator(self) -> str | None:
        metric = self.metric
        return METRICS[metric][0] if metric else None


def lookup_by_name(conn, query: str, name: str, missing: str, **params: Any) -> dict[str, Any] | None:
    """Registry ``query`` (parameters ``name``, ``schema`` and ``params``) for a relation the user named:
    first the whole string as one name on the search path, then split once as ``schema.name``."""
    if not name or not name.strip():
        raise BadInput(missing)
    row = fetch_one(conn, query, {**params, "name": name, "schema": None})
    if row is None and "." in name:
        schema, _, rel = name.partition(".")
        row = fetch_one(conn, query, {**params, "name": rel, "schema": schema})
    return row


def resolve_table(conn, name: str) -> TableRef:
    """The table ``name`` refers to: first as one name on the search path, then as schema.name."""
    row = lookup_by_name(conn, "catalog_table", name, "a table name is needed")
    if row is None:
        raise BadInput(f"table {name!r} does not exist (or this role cannot see it)")
    return TableRef(row["oid"], row["schema"], row["name"], row["kind"], row["estimated_rows"])


def vector_columns(conn, table: TableRef | None = None) -> list[VectorColumn]:
    rows = fetch(conn, "catalog_vector_columns", {"table_oid": table.oid if table else None})
    return [VectorColumn(**r) for r in rows]


def vector_column(conn, table: TableRef, column: str | None) -> VectorColumn:
    """The named vector column of ``table``, or its only one when ``column`` is None."""
    columns = vector_columns(conn, table)
    if column is None:
        if len(columns) == 1:
            return columns[0]
        if not columns:
            raise BadInput(f"table {table.display} has no vector column")
        names = ", ".join(c.column for c in columns)
        raise BadInput(f"table {table.display} has several vector columns ({names}); pick one with --column")
    for col in columns:
        if col.column == column:
            return col
    exists = fetch_one(conn, "catalog_column_type", {"table_oid": table.oid, "column": column})
    if exists is None:
        raise BadInput(f"column {column!r} does not exist in {table.display}")
    raise BadInput(f"column {column!r} of {table.display} is {exists['type']}, not a vector, halfvec, "
                   f"bit or sparsevec column")


def vector_indexes(conn, table: TableRef | None = None) -> list[VectorIndex]:
    rows = fetch(conn, "catalog_vector_indexes", {"table_oid": table.oid if table else None})
    out = []
    for r in rows:
        options = dict(opt.split("=", 1) for opt in (r.pop("options") or []))
        out.append(VectorIndex(options=options, **r))
    return out


def indexes_on_column(conn, column: VectorColumn) -> list[VectorIndex]:
    """Every ANN index (valid or not) over ``column`` itself or an expression on it (``col::halfvec(n)``)."""
    from apexdb.ops.explain.conditions import expression_columns  # PostgreSQL's parser, not a regex

    table = TableRef(column.table_oid, column.schema, column.table, "r", column.estimated_rows)
    return [idx for idx in vector_indexes(conn, table)
            if idx.column == column.column or (idx.column is None and column.column in expression_columns(idx.expression))]


def describe(obj: Any) -> dict[str, Any]:
    """A dataclass from this module as a plain dict, with derived fields for output."""
    import dataclasses

    data = dataclasses.asdict(obj)
    if isinstance(obj, VectorIndex):
        data["metric"] = obj.metric
        data["operator"] = obj.operator
    return data


# The norm function per vector type: an all-zero vector has no direction, so cosine indexes skip it.
NORM_FUNCTION = {"vector": "vector_norm", "halfvec": "l2_norm", "sparsevec": "l2_norm"}
# What pgvector builds with when an option is not given
BUILD_DEFAULTS: dict[str, dict[str, int]] = {"hnsw": {"m": 16, "ef_construction": 64}, "ivfflat": {"lists": 100}}
# pgvector's index option ranges (hnsw.c / ivfflat.c)
HNSW_M_RANGE = (2, 100)
HNSW_EF_CONSTRUCTION_RANGE = (4, 1000)
IVFFLAT_LISTS_RANGE = (1, 32768)
MAX_IDENTIFIER = 63  # bytes in a PostgreSQL name


@dataclass(frozen=True)
class IndexRef(_SchemaQualified):
    """An index found by name, with its table and state."""

    schema: str
    name: str
    index_oid: int
    kind: str  # 'i' an index, 'I' the parent index of a partitioned table
    table_schema: str
    table: str
    table_oid: int
    method: str
    valid: bool
    ready: bool
    is_primary: bool
    size_bytes: int
    definition: str
    backs_constraint: bool


def find_index(conn, name: str) -> IndexRef | None:
    """The index ``name`` refers to (on the search path, or ``schema.name``), or None."""
    row = lookup_by_name(conn, "catalog_index", name, "an index name is needed", with_details=True)
    return IndexRef(**row) if row else None


def relation_named(conn, schema: str, name: str) -> dict[str, Any] | None:
    """Whatever already holds ``schema.name`` (table, index, view...), with index validity."""
    return fetch_one(conn, "catalog_relation_named", {"schema": schema, "name": name})


# -- the one CREATE INDEX builder -----------------------------------------------------------

def index_name(table: str, column: str, method: str, metric: str, halfvec: bool = False) -> str:
    """The name apexdb gives a vector index: ``items_embedding_hnsw_cosine_idx``, within 63 bytes."""
    name = f"{table}_{column}_{method}_{metric}{'_half' if halfvec else ''}_idx"
    return name.encode()[:MAX_IDENTIFIER].decode(errors="ignore")


def btree_index_name(table: str, columns: list[str]) -> str:
    """The name apexdb gives a plain index it suggests: ``orders_customer_id_created_at_idx``, within 63 bytes."""
    return f"{table}_{'_'.join(columns)}_idx".encode()[:MAX_IDENTIFIER].decode(errors="ignore")


def btree_index_sql(schema: str, table: str, columns: list[str], *, descending: Iterable[str] = (),
                    concurrently: bool = True, named: bool = True) -> str:
    """The one plain (B-tree) ``CREATE INDEX [CONCURRENTLY] [name] ON schema.table (cols)`` apexdb
    suggests (explain's findings, the workload's proposals, audit's foreign keys), for a person
    to read or an ``--apply`` to run; no trailing semicolon. Identifiers as quote_ident prints them."""
    from apexdb.sql import qualified, quote_ident

    desc = set(descending)
    cols = ", ".join(quote_ident(c) + (" DESC" if c in desc else "") for c in columns)
    name = f"{quote_ident(btree_index_name(table, columns))} " if named else ""
    return f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}{name}ON {qualified(schema, table)} ({cols})"


def create_index_sql(*, table: tuple[str, str], column: str, method: str, opclass: str, name: str | None,
                     halfvec_dims: int | None = None, concurrently: bool = True,
                     options: dict[str, int] | None = None, where: str | None = None):
    """``CREATE INDEX [CONCURRENTLY] name ON schema.table USING method (key opclass) [WITH] [WHERE]``.

    Names go through ``sql.Identifier``; the method and opclass come from the allow-lists
    above (:data:`OPCLASS_METRICS`, :func:`opclass_for`); option values are integers;
    ``where`` is a predicate the caller has already checked with PostgreSQL's parser.
    ``halfvec_dims`` indexes ``(column::halfvec(n))`` instead of the column.
    """
    from psycopg import sql

    if method not in {m for _t, m in OPCLASS_METRICS} or opclass not in _OPCLASSES:
        raise BadInput(f"no {method} index with opclass {opclass}")
    key = sql.Identifier(column)
    if halfvec_dims is not None:
        key = sql.SQL("({}::halfvec({}))").format(key, sql.Literal(int(halfvec_dims)))
    parts = [sql.SQL("CREATE INDEX"), sql.SQL("CONCURRENTLY") if concurrently else None,
             sql.Identifier(name) if name else None, sql.SQL("ON"), sql.Identifier(*table),
             sql.SQL("USING"), sql.SQL(method), sql.SQL("({} {})").format(key, sql.SQL(opclass))]
    if options:
        parts.append(sql.SQL("WITH ({})").format(sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.SQL(k), sql.Literal(int(v))) for k, v in options.items()
            if k in ("m", "ef_construction", "lists"))))
    if where:
        parts.append(sql.SQL("WHERE ({})").format(sql.SQL(where)))
    return sql.SQL(" ").join(p for p in parts if p is not None)


_OPCLASSES = {f"{t}_{METRICS[m][1]}" for (t, _method), ms in OPCLASS_METRICS.items() for m in ms}


@dataclass(frozen=True)
class IndexSuggestion:
    """The index a vector column should have for a metric: the statement, or why there is none."""

    statement: str | None  # CREATE INDEX CONCURRENTLY ...; (None: no ANN index can serve it)
    method: str
    metric: str | None
    opclass: str | None = None
    name: str | None = None
    note: str | None = None  # a halfvec cast chosen for width, or why no index is possible


def default_metric(type_: str) -> str:
    return "hamming" if type_ == "bit" else "cosine"


def suggest_index(column: VectorColumn, metric: str | None = None, *, method: str = "hnsw",
                  halfvec: bool | None = None) -> IndexSuggestion:
    """``CREATE INDEX CONCURRENTLY`` for ``column`` and ``metric`` (the one the queries order by).

    ``halfvec``: index ``column::halfvec(n)``; None decides by width (a vector column wider
    than a vector index allows, but within halfvec's limit, is indexed as halfvec).
    """
    from psycopg import sql

    metric = metric or default_metric(column.type)
    if halfvec is None:
        halfvec = (column.type == "vector" and column.dims is not None
                   and INDEX_DIM_LIMIT["vector"] < column.dims <= INDEX_DIM_LIMIT["halfvec"])
    key_type = "halfvec" if halfvec and column.type == "vector" else column.type
    limit = INDEX_DIM_LIMIT.get(key_type)
    if column.dims is None and column.type != "sparsevec":
        return IndexSuggestion(None, method, metric, note=f"{column.column} is {column.type} without dimensions; "
                               f"an index needs a fixed size, e.g. {column.type}(384)")
    if limit and column.type != "sparsevec" and column.dims > limit:
        return IndexSuggestion(None, method, metric, note=f"{column.type}({column.dims}) is wider than any ANN "
                               "index accepts; reduce dimensions first")
    try:
        opclass = opclass_for(key_type, method, metric)
    except BadInput as exc:
        return IndexSuggestion(None, method, metric, note=str(exc))
    name = index_name(column.table, column.column, method, metric, key_type != column.type)
    statement = create_index_sql(table=(column.schema, column.table), column=column.column, method=method,
                                 opclass=opclass, name=name,
                                 halfvec_dims=column.dims if key_type != column.type else None)
    note = (f"indexed as halfvec({column.dims}): vector indexes stop at {INDEX_DIM_LIMIT['vector']:,} dimensions"
            if key_type != column.type else None)
    return IndexSuggestion(statement.as_string(None) + ";", method, metric, opclass, name, note)



__all__ = ["HNSW_EF_CONSTRUCTION_RANGE", "HNSW_M_RANGE", "INDEX_DIM_LIMIT", "IVFFLAT_LISTS_RANGE", "IndexRef",
           "IndexSuggestion", "MAX_IDENTIFIER", "METRICS", "NORM_FUNCTION", "OPCLASS_METRICS", "OPERATOR_METRIC",
           "TableRef", "VectorColumn", "VectorIndex", "create_index_sql", "default_metric", "describe",
           "btree_index_name", "btree_index_sql", "find_index", "index_name", "indexes_on_column", "lookup_by_name", "metric_of_opclass", "opclass_for",
           "relation_named", "resolve_table", "suggest_index", "vector_column", "vector_columns", "vector_indexes"]
