"""Before PostgreSQL 16 (no GENERIC_PLAN): a typical value for each ``$n``, from pg_stats.

PostgreSQL's parser (pglast) says which column each ``$n`` is compared with and where it
is in the text; the value put there is the middle of that column's histogram (a typical
value, not the most common one), else its most common value, else a typed NULL in a
sub-select (which the planner treats as an unknown value, as a generic plan would).
``LIMIT $n`` becomes 10 and ``OFFSET $n`` 0. A ``$n`` compared with no column has no
type to give it: the statement is skipped with that reason.
"""
from __future__ import annotations

from typing import Any

from apexdb.db.queries import fetch
from apexdb.ops.explain.conditions import column_ref
from apexdb.ops.workload.plans import Skip
from apexdb.sql import quote_literal

VECTOR_TYPES = ("vector", "halfvec", "sparsevec")


def fill_params(conn, statement, cache: dict) -> str:
    """``statement.text`` with every ``$n`` replaced by a literal of the right type."""
    import pglast
    from pglast.ast import A_Expr, ParamRef, RangeVar, SelectStmt

    from apexdb.ops.explain.statement import walk

    text = statement.text
    tree = pglast.parse_sql(text)[0].stmt
    relations = {}
    for rv in (n for n in walk(tree) if isinstance(n, RangeVar)):
        relations[rv.alias.aliasname if rv.alias else rv.relname] = (rv.schemaname, rv.relname)
    columns: dict[int, tuple[str | None, str]] = {}
    for node in walk(tree):
        if isinstance(node, A_Expr):
            for side, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
                ref = column_ref(side)
                if ref is None:
                    continue
                for param in _params(other):
                    columns.setdefault(param, ref)
    fixed: dict[int, str] = {}
    for select in (n for n in walk(tree) if isinstance(n, SelectStmt)):
        for clause, value in ((select.limitCount, "10"), (select.limitOffset, "0")):
            for param in _params(clause):
                fixed[param] = value
    values: dict[int, str] = {}
    for param in range(1, statement.param_count + 1):
        if param in fixed:
            values[param] = fixed[param]
        elif param in columns:
            values[param] = _typical(conn, relations, columns[param], cache, param)
        else:
            raise Skip(f"${param} is compared with no column, so it has no type to plan with before "
                       "PostgreSQL 16 (no EXPLAIN (GENERIC_PLAN))")
    spots = sorted(((n.location, n.number) for n in walk(tree) if isinstance(n, ParamRef)), reverse=True)
    for location, number in spots:
        token = f"${number}"
        if text[location:location + len(token)] == token:
            text = text[:location] + values[number] + text[location + len(token):]
    return text


def _params(node) -> list[int]:
    from pglast.ast import ParamRef, TypeCast

    items = node if isinstance(node, (list, tuple)) else [node]
    out = []
    for item in items:
        while isinstance(item, TypeCast):
            item = item.arg
        if isinstance(item, ParamRef):
            out.append(item.number)
    return out


def _typical(conn, relations: dict, ref: tuple[str | None, str], cache: dict, param: int) -> str:
    qualifier, column = ref
    candidates = [relations[qualifier]] if qualifier in relations else list(relations.values())
    for schema, name in candidates:
        stats = table_stats(conn, schema, name, cache)
        if column in stats:
            return _literal(stats[column])
    raise Skip(f"${param} is compared with {column}, which no table of the statement has (before PostgreSQL 16)")


def table_stats(conn, schema: str | None, name: str, cache: dict) -> dict[str, dict[str, Any]]:
    from apexdb.errors import BadInput
    from apexdb.ops.catalog import resolve_table

    key = (schema, name)
    if key not in cache:
        try:
            ref = resolve_table(conn, f"{schema}.{name}" if schema else name)
        except BadInput:
            cache[key] = {}
            return cache[key]
        rows = fetch(conn, "workload_column_stats", {"schema": ref.schema, "table": ref.name, "table_oid": ref.oid})
        cache[key] = {r["column"]: r for r in rows}
    return cache[key]


def _literal(stats: dict[str, Any]) -> str:
    type_ = stats["type"]
    bounds, common = stats.get("bounds") or [], stats.get("common_values") or []
    value = bounds[len(bounds) // 2] if bounds else (common[0] if common else None)
    if value is None or type_.split("(")[0] in VECTOR_TYPES:
        return f"(SELECT NULL::{type_})"
    return f"{quote_literal(str(value))}::{type_}"
