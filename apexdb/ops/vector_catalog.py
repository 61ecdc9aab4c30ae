"""What the database holds for vectors: tables, vector columns, ANN indexes, metrics.

Shared by index, load, search, tune, explain and audit. Every name the user gives is
looked up through the catalog with bound parameters and later quoted with
``psycopg.sql.Identifier``, so a table called ``x; drop table y`` is just a name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class TableRef:
    oid: int
    schema: str
    name: str
    kind: str
    estimated_rows: int

    @property
    def ident(self) -> tuple[str, str]:
        """For ``sql.compose(..., table=ref.ident)``: a quoted schema.name."""
        return (self.schema, self.name)

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}"


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
    """Valid ANN indexes over ``column`` itself or an expression on it (``col::halfvec(n)``)."""
    table = TableRef(column.table_oid, column.schema, column.table, "r", column.estimated_rows)
    found = []
    for idx in vector_indexes(conn, table):
        if idx.column == column.column or (idx.expression and _mentions(idx.expression, column.column)):
            found.append(idx)
    return found


def _mentions(expression: str, column: str) -> bool:
    import re

    return re.search(r'(^|[^\w"])"?' + re.escape(column) + r'"?([^\w"]|$)', expression) is not None


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
# pgvector's index option ranges (hnsw.c / ivfflat.c)
HNSW_M_RANGE = (2, 100)
HNSW_EF_CONSTRUCTION_RANGE = (4, 1000)
IVFFLAT_LISTS_RANGE = (1, 32768)


@dataclass(frozen=True)
class IndexRef:
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

    @property
    def ident(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}"


def find_index(conn, name: str) -> IndexRef | None:
    """The index ``name`` refers to (on the search path, or ``schema.name``), or None."""
    row = lookup_by_name(conn, "catalog_index", name, "an index name is needed", with_details=True)
    return IndexRef(**row) if row else None


def relation_named(conn, schema: str, name: str) -> dict[str, Any] | None:
    """Whatever already holds ``schema.name`` (table, index, view...), with index validity."""
    return fetch_one(conn, "catalog_relation_named", {"schema": schema, "name": name})
