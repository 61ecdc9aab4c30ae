"""The SQL of one similarity search, written so the planner can use the ANN index:

    SELECT id, <shown columns>, col <op> %(q)s::vector AS apexdb_distance
    FROM table WHERE <filters> AND <id> <> %(exclude)s AND (<where>)
    ORDER BY col <op> %(q)s::vector LIMIT %(k)s

The operator is the one of the index's metric; identifiers are quoted, values bound.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexdb.errors import BadInput
from apexdb.ops.search.filters import Filter, filter_clauses, where_clause
from apexdb.ops.search.target import SearchTarget

DISTANCE = "apexdb_distance"
ROW_ID = "apexdb_row_id"
MAX_K = 1000
MAX_EF_SEARCH = 1000
ITERATIVE_SCAN = {"off": "off", "relaxed": "relaxed_order", "strict": "strict_order"}


@dataclass
class SearchSql:
    query: Any  # psycopg Composed
    params: dict[str, Any] = field(default_factory=dict)
    filtered: bool = False  # a --filter or --where narrows the rows


def id_expression(target: SearchTarget):
    from psycopg import sql

    return sql.Identifier(target.id_column) if target.id_column else sql.SQL("ctid::text")


def build_search(target: SearchTarget, *, k: int, shown: list[str] = (), filters: list[Filter] = (),
                 where: str | None = None, exclude: bool = False, ids_only: bool = False) -> SearchSql:
    """The search statement; ``%(q)s`` is the query vector's text, ``%(exclude)s`` a row's id."""
    from psycopg import sql

    check_k(k)
    distance = sql.SQL("{} {} {}::{}").format(target.order_key(), sql.SQL(target.operator), sql.Placeholder("q"),
                                             sql.SQL(target.query_type))
    select = [sql.SQL("{} AS {}").format(id_expression(target), sql.Identifier(ROW_ID))]
    if not ids_only:
        select += [sql.Identifier(name) for name in shown]
    select.append(sql.SQL("{} AS {}").format(distance, sql.Identifier(DISTANCE)))
    conditions, params = _conditions(target, filters, where, exclude)
    filtered = bool(filters) or where is not None
    query = sql.SQL("SELECT {select} FROM {table}").format(
        select=sql.SQL(", ").join(select), table=sql.Identifier(*target.table.ident))
    if conditions:
        query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)
    query += sql.SQL(" ORDER BY {} LIMIT {}").format(distance, sql.Placeholder("k"))
    params["k"] = k
    return SearchSql(query, params, filtered)


def build_count(target: SearchTarget, *, k: int, filters: list[Filter] = (), where: str | None = None,
                exclude: bool = False) -> SearchSql:
    """How many rows (up to k) pass the conditions: cheap, it stops at k and needs no sort."""
    from psycopg import sql

    conditions, params = _conditions(target, filters, where, exclude)
    conditions.append(sql.SQL("{} IS NOT NULL").format(sql.Identifier(target.column.column)))  # as the index
    inner = sql.SQL("SELECT 1 FROM {}").format(sql.Identifier(*target.table.ident))
    inner += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)
    params["k"] = k
    query = sql.SQL("SELECT count(*) FROM ({} LIMIT {}) AS matching").format(inner, sql.Placeholder("k"))
    return SearchSql(query, params, True)


def _conditions(target: SearchTarget, filters, where, exclude: bool):
    from psycopg import sql

    conditions, params = filter_clauses(list(filters))
    if exclude:
        conditions.append(sql.SQL("{} <> {}").format(id_expression(target), sql.Placeholder("exclude")))
    extra = where_clause(where)
    if extra is not None:
        conditions.append(extra)
    return conditions, params


def check_k(k: int) -> None:
    if k < 1:
        raise BadInput(f"--k must be at least 1 (got {k})")
    if k > MAX_K:
        raise BadInput(f"--k must be at most {MAX_K} (got {k})")


def index_settings(target: SearchTarget, *, ef_search: int | None = None, probes: int | None = None,
                   iterative_scan: str | None = None) -> dict[str, str]:
    """The SET LOCAL settings for this query, checked against what the index accepts."""
    settings: dict[str, str] = {}
    method = target.index.method if target.index is not None else None
    if ef_search is not None:
        if not 1 <= ef_search <= MAX_EF_SEARCH:
            raise BadInput(f"--ef-search must be between 1 and {MAX_EF_SEARCH} (got {ef_search})")
        settings["hnsw.ef_search"] = str(ef_search)
    if probes is not None:
        if probes < 1:
            raise BadInput(f"--probes must be at least 1 (got {probes})")
        settings["ivfflat.probes"] = str(probes)
    if iterative_scan is not None:
        if iterative_scan not in ITERATIVE_SCAN:
            raise BadInput(f"--iterative-scan must be one of {', '.join(ITERATIVE_SCAN)} (got {iterative_scan!r})")
        value = ITERATIVE_SCAN[iterative_scan]
        if method == "ivfflat":
            if value == "strict_order":
                raise BadInput("IVFFlat supports --iterative-scan relaxed only (strict is HNSW's)")
            settings["ivfflat.iterative_scan"] = value
        else:
            settings["hnsw.iterative_scan"] = value
    return settings
