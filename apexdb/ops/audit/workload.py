"""Which distance operators the workload orders vector columns by, from pg_stat_statements.

Statement texts are parsed with pglast (PostgreSQL's own parser), never matched with
regexes: an ``ORDER BY <column> <op> $1`` is attributed to the table its FROM names
(through aliases), and a cast of the column (``embedding::halfvec(3072)``) is seen through.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterator

from apexdb.ops.catalog import OPERATOR_METRIC


@dataclass(frozen=True)
class OperatorUse:
    schema: str | None  # None when the statement did not qualify the table
    table: str
    column: str
    operator: str
    calls: int


def operator_uses(statements: list[dict[str, Any]]) -> list[OperatorUse]:
    """(table, column, operator) with summed calls, for every parsable statement given."""
    import json

    from pglast import parser

    totals: dict[tuple, int] = defaultdict(int)
    for row in statements:
        try:
            tree = json.loads(parser.parse_sql_json(row["query"]))
        except Exception:  # a truncated or non-SQL text: nothing to learn from it
            continue
        for select in _nodes(tree, "SelectStmt"):
            relations = _relations(select.get("fromClause") or [])
            for sort in select.get("sortClause") or []:
                use = _sort_use(sort.get("SortBy", {}).get("node"), relations)
                if use:
                    for schema, table, column, op in use:
                        totals[(schema, table, column, op)] += int(row.get("calls") or 0)
    return [OperatorUse(s, t, c, op, calls) for (s, t, c, op), calls in sorted(totals.items(), key=str)]


def _nodes(tree: Any, kind: str) -> Iterator[dict]:
    """Every node of ``kind`` anywhere in the JSON parse tree (subqueries and CTEs too)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == kind and isinstance(value, dict):
                yield value
            yield from _nodes(value, kind)
    elif isinstance(tree, list):
        for item in tree:
            yield from _nodes(item, kind)


def _relations(from_clause: list) -> dict[str, tuple[str | None, str]]:
    """alias-or-name -> (schema, table) for the tables named directly in a FROM clause."""
    found: dict[str, tuple[str | None, str]] = {}
    for rv in _nodes(from_clause, "RangeVar"):
        entry = (rv.get("schemaname"), rv["relname"])
        alias = (rv.get("alias") or {}).get("aliasname")
        found[alias or rv["relname"]] = entry
    return found


def _sort_use(node: Any, relations: dict[str, tuple[str | None, str]]) -> list[tuple]:
    if not isinstance(node, dict) or "A_Expr" not in node:
        return []
    expr = node["A_Expr"]
    names = [n.get("String", {}).get("sval") for n in expr.get("name") or []]
    op = names[-1] if names else None
    if op not in OPERATOR_METRIC:
        return []
    out = []
    for side in (expr.get("lexpr"), expr.get("rexpr")):
        ref = _column_ref(side)
        if ref is None:
            continue
        qualifier, column = ref
        if qualifier is not None:
            targets = [relations[qualifier]] if qualifier in relations else []
        else:
            targets = list(relations.values())  # unqualified: any table of the FROM may own it
        out.extend((schema, table, column, op) for schema, table in targets)
    return out


def _column_ref(node: Any) -> tuple[str | None, str] | None:
    while isinstance(node, dict) and "TypeCast" in node:
        node = node["TypeCast"].get("arg")
    if not isinstance(node, dict) or "ColumnRef" not in node:
        return None
    fields = [f.get("String", {}).get("sval") for f in node["ColumnRef"].get("fields", [])]
    if not fields or fields[-1] is None:
        return None
    return (fields[-2] if len(fields) >= 2 else None), fields[-1]
