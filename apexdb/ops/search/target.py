"""What a similarity search runs against: the table, its vector column, the ANN index
the query should use, the metric (and so the operator), the column that identifies a
row, and the readable columns shown beside each hit.

Shared by ``apexdb search`` and ``apexdb tune``; the vector metadata itself comes from
:mod:`apexdb.ops.catalog`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from apexdb.db.queries import fetch
from apexdb.errors import BadInput
from apexdb.ops.catalog import (METRICS, TableRef, VectorColumn, VectorIndex, indexes_on_column, resolve_table,
                                suggest_index, vector_column)

# Types a search can bind a query vector to (the cast written after the parameter).
SEARCHABLE_TYPES = ("vector", "halfvec")
# Metrics a dense vector can be searched by.
DENSE_METRICS = ("l2", "ip", "cosine", "l1")
# Column names people read first, in the order they are shown when --show is not given.
READABLE_NAMES = ("title", "name", "content", "text", "body", "summary", "description", "label", "category")
READABLE_DEFAULT_COUNT = 3
# Metrics whose distance turns into a similarity people know.
SIMILARITY = {"cosine": lambda d: 1.0 - d, "ip": lambda d: -d}


@dataclass
class SearchTarget:
    table: TableRef
    column: VectorColumn
    index: VectorIndex | None  # the index the query is written for (None: exact scan only)
    metric: str
    id_column: str | None  # None: rows are identified by ctid
    columns: list[dict] = field(default_factory=list)  # every column: name, type, category...
    indexes: list[VectorIndex] = field(default_factory=list)  # every ANN index on the column
    expression_indexes: list[VectorIndex] = field(default_factory=list)  # on an expression of it (col::halfvec)
    candidates: list[VectorIndex] = field(default_factory=list)  # every ANN index on it, INVALID ones too

    @property
    def operator(self) -> str:
        return METRICS[self.metric][0]

    @property
    def on_expression(self) -> bool:
        """The index is on an expression of the column (``(embedding::halfvec(384))``)."""
        return self.index is not None and self.index.column is None and bool(self.index.expression)

    def order_key(self):
        """What the query orders by: the indexed expression when the index is on one, else the column."""
        from psycopg import sql

        if self.on_expression:  # catalog text (pg_get_indexdef), not user input
            return sql.SQL("({})").format(sql.SQL(self.index.expression))
        return sql.Identifier(self.column.column)

    @property
    def query_type(self) -> str:
        """The type the query vector is cast to: the column's, or the indexed expression's opclass type."""
        if self.on_expression:
            kind = self.index.opclass.split("_", 1)[0]
            return kind if kind in SEARCHABLE_TYPES else self.column.type
        return self.column.type

    @property
    def has_similarity(self) -> bool:
        return self.metric in SIMILARITY

    def column_named(self, name: str) -> dict | None:
        return next((c for c in self.columns if c["name"] == name), None)

    def index_hint(self) -> str:
        """How to create the index this column lacks (the one create-index suggestion)."""
        suggestion = suggest_index(self.column, self.metric)
        how = f"`apexdb index create {self.table.display} {self.column.column} --metric {self.metric}`"
        return f"create one with {how} or {suggestion.statement}" if suggestion.statement else suggestion.note


def resolve_search_target(conn, table: str, column: str | None, metric: str | None = None) -> SearchTarget:
    """Find the table, its vector column, the index and metric to search with."""
    if metric is not None and metric not in DENSE_METRICS:
        raise BadInput(f"unknown metric {metric!r} (choose from {', '.join(DENSE_METRICS)})")
    ref = resolve_table(conn, table)
    col = vector_column(conn, ref, column)
    if col.type not in SEARCHABLE_TYPES:
        raise BadInput(f"column {col.column} is {col.type}; search works on vector and halfvec columns")
    candidates = indexes_on_column(conn, col)
    usable = [i for i in candidates if i.valid and i.ready]
    indexes = [i for i in usable if i.column == col.column]
    # an index on the column itself first; else one on an expression of it (col::halfvec(n))
    index = choose_index(indexes, metric) or choose_index([i for i in usable if i.column != col.column], metric)
    if metric is None:
        metric = index.metric if index is not None and index.metric in DENSE_METRICS else "l2"
    columns = fetch(conn, "search_table_columns", {"table_oid": ref.oid})
    return SearchTarget(ref, col, index, metric, identity_column(columns), columns, indexes,
                        [i for i in usable if i.column != col.column], candidates)


def choose_index(indexes: list[VectorIndex], metric: str | None) -> VectorIndex | None:
    """The index a query by ``metric`` can use: HNSW before IVFFlat, full before partial."""
    usable = [i for i in indexes if metric is None or i.metric == metric]
    if not usable:
        return None
    return sorted(usable, key=lambda i: (i.method != "hnsw", i.predicate is not None, i.name))[0]


def identity_column(columns: list[dict]) -> str | None:
    """The single column that names a row: the primary key, a unique not-null column, or ``id``."""
    for test in (lambda c: c["is_primary_key"], lambda c: c["is_unique"], lambda c: c["name"] == "id"):
        found = next((c["name"] for c in columns if test(c)), None)
        if found:
            return found
    return None


def shown_columns(target: SearchTarget, show: list[str] | None) -> list[str]:
    """The columns printed beside each hit: ``--show`` (checked), else the readable ones."""
    if show:
        names = [n.strip() for part in show for n in part.split(",") if n.strip()]
        for name in names:
            if target.column_named(name) is None:
                known = ", ".join(c["name"] for c in target.columns)
                raise BadInput(f"--show: column {name!r} does not exist in {target.table.display} (columns: {known})")
        return [n for n in dict.fromkeys(names) if n != target.id_column]
    by_name = {c["name"]: c for c in target.columns}
    picked = [n for n in READABLE_NAMES if n in by_name]
    if not picked:  # no familiar names: the first text columns
        picked = [c["name"] for c in target.columns if c["category"] == "S" and c["name"] != target.id_column]
    return picked[:READABLE_DEFAULT_COUNT]
