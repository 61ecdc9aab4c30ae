"""The statements inside ``DO $$ ... $$`` blocks, read with PostgreSQL's PL/pgSQL parser (pglast).

Migrations guard DDL in DO blocks (``IF NOT EXISTS (...) THEN CREATE INDEX ...``); squawk does
not look inside them. Each static SQL statement of the block, and each ``EXECUTE`` of a constant
string, becomes a statement of its own, with the file line it sits on, and is linted like any
other. An ``EXECUTE`` of a string built at run time (``format(...)``, concatenation) cannot be
read before it runs: it is listed as not checked.

A DO block runs as one statement, so its inner statements share its transaction state and its
``apexdb: ignore`` comments (they carry the DO statement's index).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from apexdb.ops.lint.statements import ParsedSql, Statement

WRAPPER_HEAD = "CREATE FUNCTION apexdb_do_block() RETURNS void LANGUAGE plpgsql AS $apexdb_do$"
WRAPPER_TAIL = "$apexdb_do$"


@dataclass
class DoBlock:
    statements: list[Statement] = field(default_factory=list)  # the inner statements, in order
    unchecked: list[tuple[int, str]] = field(default_factory=list)  # (line, what) built at run time


def inner_statements(parsed: ParsedSql, stmt: Statement) -> DoBlock | None:
    """The statements of a PL/pgSQL DO block; None for any other statement (or language)."""
    from pglast import ast

    node = stmt.node
    if not isinstance(node, ast.DoStmt):
        return None
    body, language = None, "plpgsql"
    for arg in node.args or ():
        if arg.defname == "as":
            body = arg.arg.sval
        elif arg.defname == "language":
            language = arg.arg.sval.lower()
    if body is None or language != "plpgsql":
        return None
    import pglast
    from pglast import parser

    block = DoBlock()
    try:
        tree = pglast.parse_plpgsql(WRAPPER_HEAD + body + WRAPPER_TAIL)
    except (parser.ParseError, ValueError) as exc:
        block.unchecked.append((stmt.line, f"DO block not read: {' '.join(str(exc).split())}"))
        return block
    at = parsed.text.find(body, stmt.start)
    first_line = parsed.line_of(at) if at >= 0 else stmt.line
    for lineno, kind, text in _walk(tree):
        line = first_line + max(lineno, 1) - 1
        if kind == "dynamic":
            block.unchecked.append((line, f"EXECUTE {_short(text)}"))
            continue
        for inner in _parse(text):
            offset = parsed.text.find(text, parsed.offset_of(line, 0)) if at >= 0 else -1
            start = offset if offset >= 0 else parsed.offset_of(line, 0)
            block.statements.append(Statement(stmt.index, inner, start, start, line, True,
                                              inside=f"DO block at line {stmt.line}"))
    return block


def _walk(tree):
    """(lineno, "static"|"dynamic", SQL text) for every SQL statement in the PL/pgSQL tree."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "PLpgSQL_stmt_execsql":
                yield value.get("lineno", 0), "static", value["sqlstmt"]["PLpgSQL_expr"]["query"]
            elif key == "PLpgSQL_stmt_dynexecute":
                expr = value["query"]["PLpgSQL_expr"]["query"]
                constant = _constant_string(expr)
                if constant is None:
                    yield value.get("lineno", 0), "dynamic", expr
                else:
                    yield value.get("lineno", 0), "static", constant
            else:
                yield from _walk(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _walk(item)


def _constant_string(expr: str) -> str | None:
    """The value of an EXECUTE argument that is one string constant, else None."""
    import pglast
    from pglast import ast, parser

    try:
        nodes = pglast.parse_sql(f"SELECT {expr}")
    except parser.ParseError:
        return None
    target = nodes[0].stmt.targetList[0].val if nodes and nodes[0].stmt.targetList else None
    if isinstance(target, ast.A_Const) and isinstance(target.val, ast.String):
        return target.val.sval
    return None


def _parse(text: str) -> list:
    import pglast
    from pglast import parser

    try:
        return [rs.stmt for rs in pglast.parse_sql(text)]
    except parser.ParseError:
        return []  # refers to PL/pgSQL syntax pglast's SQL parser does not take; nothing to lint


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
