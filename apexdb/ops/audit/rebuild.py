"""Fix SQL that rebuilds an index differently, written by editing its parsed definition.

``pg_get_indexdef`` gives the index's ``CREATE INDEX``; pglast (PostgreSQL's own
parser) turns it into a tree we change (new name, CONCURRENTLY, storage options, a
predicate) and print back, so no SQL is ever assembled with string surgery.
"""
from __future__ import annotations

from typing import Any

from apexdb.sql import quote_ident


def rebuild_statements(definition: str, schema: str, old_name: str, *, new_name: str | None = None,
                       options: dict[str, Any] | None = None, not_null_column: str | None = None,
                       concurrently: bool = True, without_predicate: bool = False) -> list[str]:
    """CREATE the changed copy, DROP the old index, RENAME the copy to the old name.

    Three statements, each run on its own (CONCURRENTLY cannot run in a transaction);
    until the last one both indexes exist, so queries keep an index throughout.
    """
    import pglast
    from pglast import ast
    from pglast.stream import RawStream

    stmt = pglast.parse_sql(definition)[0].stmt
    new_name = new_name or _new_name(old_name)
    stmt.idxname = new_name
    stmt.concurrent = concurrently
    if options is not None:
        kept = [o for o in (stmt.options or ()) if o.defname not in options]
        stmt.options = tuple(kept) + tuple(ast.DefElem(defname=k, arg=_value(v)) for k, v in options.items())
    if not_null_column is not None:
        stmt.whereClause = _not_null(not_null_column)
    if without_predicate:
        stmt.whereClause = None
    create = RawStream()(stmt)
    qualified_old = f"{quote_ident(schema)}.{quote_ident(old_name)}"
    qualified_new = f"{quote_ident(schema)}.{quote_ident(new_name)}"
    concurrently_kw = " CONCURRENTLY" if concurrently else ""
    return [create + ";", f"DROP INDEX{concurrently_kw} {qualified_old};",
            f"ALTER INDEX {qualified_new} RENAME TO {quote_ident(old_name)};"]


def concurrent_definition(definition: str) -> str:
    """``definition`` as CREATE INDEX CONCURRENTLY (for 'recreate it with' comments)."""
    import pglast
    from pglast.stream import RawStream

    if not definition:
        return "-- (the index is gone: no definition to show)"
    # pg_get_indexdef always starts with exactly one of these (ruleutils.c); inserting the keyword
    # after it is much cheaper than a parse and print, which matters with thousands of findings.
    for prefix in ("CREATE UNIQUE INDEX ", "CREATE INDEX "):
        if definition.startswith(prefix):
            return f"{prefix}CONCURRENTLY {definition[len(prefix):]};"
    stmt = pglast.parse_sql(definition)[0].stmt
    stmt.concurrent = True
    return RawStream()(stmt) + ";"


def _new_name(old: str) -> str:
    # PostgreSQL truncates names at 63 bytes; keep the suffix so the copy is recognisable.
    suffix = "_apexdb_new"
    return old[: 63 - len(suffix)] + suffix


def _value(value: Any):
    from pglast import ast

    if isinstance(value, bool):
        return ast.String(sval="true" if value else "false")
    if isinstance(value, int):
        return ast.Integer(ival=value)
    return ast.String(sval=str(value))


def _not_null(column: str):
    """The predicate ``column IS NOT NULL`` as a parse tree."""
    from pglast import ast, enums

    return ast.NullTest(arg=ast.ColumnRef(fields=(ast.String(sval=column),)),
                        nulltesttype=enums.NullTestType.IS_NOT_NULL)
