"""An implicit cast of an indexed column that hides its index: ``(id)::numeric = 42.0``.

When a value of another type is compared with a column and no cross-type operator
exists, PostgreSQL casts the column, not the value; an index on the column no longer
matches the expression, so the table is scanned. ANALYZE or statistics change nothing:
the fix is to give the literal or the parameter the column's type.
"""
from __future__ import annotations

from dataclasses import dataclass

from apexdb.ops.explain.conditions import qualified, quote_ident
from apexdb.ops.explain.findings import Finding, node_name

# Casts that keep an index usable (binary-coercible: the same operators apply).
HARMLESS = {("character varying", "text"), ("text", "character varying"), ("name", "text")}
SCANS = ("Seq Scan", "Parallel Seq Scan", "Bitmap Heap Scan", "Index Scan", "Index Only Scan")


@dataclass
class HiddenCast:
    column: str
    column_type: str
    cast_to: str
    value: str  # the literal or $n it is compared with, as EXPLAIN printed it
    expression: str  # the comparison, as EXPLAIN printed it


def hidden_casts(run, node) -> list[HiddenCast]:
    """The comparisons in ``node``'s filter that cast an indexed column of its table."""
    if node.node_type not in SCANS or not node.filter:
        return []
    table = run.context.table(node)
    if table is None or not table.column_types:
        return []
    out = []
    for cast in _casts(node.filter, node.alias):
        cast.column_type = table.column_types.get(cast.column) or ""
        if cast.column in table.indexed_leading_columns and cast.column_type not in ("", cast.cast_to) \
                and (cast.column_type, cast.cast_to) not in HARMLESS:
            out.append(cast)
    return out


def find(run) -> list[Finding]:
    out = []
    for node in run.plan.nodes():
        for cast in hidden_casts(run, node):
            table = run.context.table(node)
            param = cast.value.startswith("$")
            given = f"parameter {cast.value}" if param else f"value {cast.value}"
            message = (f"filter {node.filter}: the {given} is {cast.cast_to}, so the {cast.column_type} column "
                       f"{cast.column} is cast to {cast.cast_to} on every row and its index cannot be used")
            if param:
                fix = (f"bind {cast.value} as {cast.column_type} (not {cast.cast_to}) in the application, or write "
                       f"{quote_ident(cast.column)} = {cast.value}::{cast.column_type}")
            else:
                fix = (f"write the value as {cast.column_type}: {quote_ident(cast.column)} = "
                       f"<{cast.column_type} value> (e.g. 42, not 42.0 or '42'::numeric); ANALYZE and statistics "
                       f"targets do not help here. If {cast.cast_to} is really meant, index the expression: "
                       f"CREATE INDEX CONCURRENTLY ON {qualified(table.schema, table.name)} "
                       f"(({quote_ident(cast.column)}::{cast.cast_to}));")
            out.append(Finding("warning", node_name(node), message, fix, node.id))
    return out


def _casts(expression: str, alias: str | None) -> list[HiddenCast]:
    import pglast
    from pglast.ast import A_Expr, ColumnRef, String, TypeCast
    from pglast.parser import ParseError
    from pglast.stream import RawStream

    from apexdb.ops.explain.statement import walk

    try:
        where = pglast.parse_sql(f"SELECT 1 WHERE {expression}")[0].stmt.whereClause
    except (ParseError, IndexError, AttributeError):
        return []
    out = []
    for node in walk(where):
        if not (isinstance(node, A_Expr) and node.name):
            continue
        for side, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
            if not (isinstance(side, TypeCast) and isinstance(side.arg, ColumnRef)):
                continue
            names = [f.sval for f in side.arg.fields if isinstance(f, String)]
            if not names or (len(names) > 1 and alias and names[-2] != alias):
                continue
            if isinstance(other, (ColumnRef,)) or (isinstance(other, TypeCast) and isinstance(other.arg, ColumnRef)):
                continue  # a join between columns of two types: not a literal's fault
            cast_to = _type_name(side.typeName)
            value = other.arg if isinstance(other, TypeCast) else other
            out.append(HiddenCast(names[-1], "", cast_to, RawStream()(value), RawStream()(node)))
    return out


def _type_name(type_name) -> str:
    """``numeric``, ``double precision``, ``text``: the name format_type() would print."""
    from pglast.ast import String

    names = [n.sval for n in type_name.names if isinstance(n, String)]
    name = names[-1] if names else "?"
    return {"int4": "integer", "int8": "bigint", "int2": "smallint", "float8": "double precision",
            "float4": "real", "varchar": "character varying", "bpchar": "character", "bool": "boolean",
            "timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone"}.get(name, name)
