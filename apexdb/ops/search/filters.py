"""``--filter col=value`` and ``--where SQL`` for search and tune.

Filter values are always bound: ``category=news`` becomes ``"category" = %(f0)s`` and
``metadata.lang=en`` becomes ``"metadata" @> %(f0)s::jsonb`` with ``{"lang": "en"}``,
which a GIN index on the JSONB column can serve. ``--where`` is SQL the user wrote:
it is parsed with PostgreSQL's own parser (pglast) so it can only be one boolean
expression, and it runs inside a READ ONLY transaction with a statement timeout.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from apexdb.errors import BadInput

JSON_TYPES = ("jsonb",)


@dataclass(frozen=True)
class Filter:
    column: str
    path: tuple[str, ...]  # JSONB keys below the column; empty for a plain column
    value: Any  # str for a plain column; any JSON value under a JSONB path

    @property
    def display(self) -> str:
        return ".".join((self.column, *self.path)) + "=" + (self.value if isinstance(self.value, str)
                                                            else json.dumps(self.value))


def parse_filters(specs: list[str] | None, columns: list[dict]) -> list[Filter]:
    """``col=value`` or ``jsonbcol.key[.key...]=value`` specs, checked against the table's columns."""
    by_name = {c["name"]: c for c in columns}
    out = []
    for spec in specs or []:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise BadInput(f"--filter {spec!r}: expected COLUMN=VALUE (or JSONB_COLUMN.KEY=VALUE)")
        if name in by_name:
            out.append(Filter(name, (), value))
            continue
        head, _, rest = name.partition(".")
        column = by_name.get(head)
        if column is None:
            known = ", ".join(by_name)
            raise BadInput(f"--filter {spec!r}: no column {head!r} (columns: {known})")
        if not rest:
            raise BadInput(f"--filter {spec!r}: no column {name!r}")
        if column["base_type"] not in JSON_TYPES:
            raise BadInput(f"--filter {spec!r}: {head} is {column['type']}, not jsonb, so it has no keys")
        keys = tuple(k for k in rest.split("."))
        if any(not k for k in keys):
            raise BadInput(f"--filter {spec!r}: empty JSON key")
        out.append(Filter(head, keys, _json_value(value)))
    return out


def _json_value(text: str) -> Any:
    """A JSON literal when the text is one (42, true, null, "x"), else the text as a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def filter_clauses(filters: list[Filter]) -> tuple[list, dict[str, Any]]:
    """SQL conditions (psycopg Composed) and their bound parameters."""
    from psycopg import sql

    clauses, params = [], {}
    for i, f in enumerate(filters):
        key = f"f{i}"
        if f.path:
            doc: Any = f.value
            for k in reversed(f.path):
                doc = {k: doc}
            clauses.append(sql.SQL("{} @> {}::jsonb").format(sql.Identifier(f.column), sql.Placeholder(key)))
            params[key] = json.dumps(doc)
        else:
            clauses.append(sql.SQL("{} = {}").format(sql.Identifier(f.column), sql.Placeholder(key)))
            params[key] = f.value
    return clauses, params


def where_clause(where: str | None):
    """``--where`` as a parenthesised condition, after checking it is one expression."""
    from psycopg import sql

    if where is None:
        return None
    if not where.strip():
        raise BadInput("--where is empty")
    check_where(where)
    # '%' is psycopg's placeholder mark; the newline ends any trailing -- comment before ')'.
    return sql.SQL("(" + where.replace("%", "%%") + "\n)")


def check_where(where: str) -> None:
    """Parse ``SELECT 1 WHERE (<where>)``; anything but one plain SELECT is refused."""
    import pglast
    from pglast import ast
    from pglast.enums import SetOperation

    wrapper = "SELECT 1 WHERE ("
    try:
        statements = pglast.parse_sql(f"{wrapper}{where}\n)")
    except pglast.parser.ParseError as exc:
        message, position = (list(exc.args) + [None])[:2]
        at = f" (at character {position - len(wrapper) + 1})" if isinstance(position, int) else ""
        raise BadInput(f"--where is not valid SQL: {message}{at}") from None
    stmt = statements[0].stmt if len(statements) == 1 else None
    plain = (isinstance(stmt, ast.SelectStmt) and stmt.op == SetOperation.SETOP_NONE and not stmt.fromClause
             and not stmt.groupClause and not stmt.havingClause and not stmt.sortClause
             and stmt.limitCount is None and stmt.limitOffset is None and not stmt.withClause
             and not stmt.lockingClause and not stmt.windowClause and stmt.intoClause is None)
    if not plain:
        raise BadInput("--where must be one condition (what follows WHERE), not statements or clauses")
