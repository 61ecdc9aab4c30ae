"""The statement to explain: read from an argument, a file or stdin, checked with pglast.

PostgreSQL's own parser (through pglast) decides what a statement is, so a
semicolon inside a string or a comment never splits anything, and a syntax error
is reported with the line and column it happened at.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexdb.errors import BadInput

# Statements EXPLAIN accepts (PostgreSQL 13–18).
EXPLAINABLE = {"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt",
               "CreateTableAsStmt", "ExecuteStmt", "DeclareCursorStmt"}
WRITES = {"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CreateTableAsStmt"}


@dataclass
class Statement:
    text: str  # the one statement, without a trailing semicolon
    kind: str  # the pglast node name: SelectStmt, DeleteStmt, ...
    node: Any = field(repr=False)  # the parsed statement (a pglast node)
    param_count: int = 0  # the highest $n it uses
    source: str = ""  # the whole text given, for positions in error messages
    start: int = 0  # where ``text`` begins in ``source``

    @property
    def writes(self) -> bool:
        return self.kind in WRITES or _has_writing_cte(self.node)


def read_sql(sql: str | None, file: Path | None) -> str:
    """The SQL text from the argument, ``-f FILE``, or stdin when the argument is ``-``."""
    if sql is not None and file is not None:
        raise BadInput("give the SQL either as an argument or with -f FILE, not both")
    if file is not None:
        try:
            return Path(file).read_text()
        except OSError as exc:
            raise BadInput(f"cannot read {file}: {exc.strerror}") from None
    if sql == "-":
        return sys.stdin.read()
    if sql is None:
        raise BadInput("no statement: give the SQL as an argument, with -f FILE, or '-' to read stdin")
    return sql


def position(text: str, offset: int) -> tuple[int, int, str]:
    """(line, column, that line) of a 0-based character offset, both counted from 1."""
    offset = max(0, min(offset, len(text)))
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return line, column, text.splitlines()[line - 1] if text.splitlines() else ""


def where(text: str, offset: int) -> str:
    """' at line L, column C: <the line>' for an error message."""
    line, column, source = position(text, offset)
    return f" at line {line}, column {column}: {source.strip()}"


def parse_statement(text: str) -> Statement:
    """Exactly one explainable statement, or BadInput saying what is wrong and where."""
    import pglast
    from pglast.parser import ParseError

    if not text.strip():
        raise BadInput("the statement is empty")
    try:
        parsed = pglast.parse_sql(text)
    except ParseError as exc:
        message, offset = exc.args[0], exc.args[1] if len(exc.args) > 1 else None
        raise BadInput(f"{message}{where(text, offset) if offset is not None else ''}") from None
    if not parsed:
        raise BadInput("the statement is empty (only comments or semicolons)")
    if len(parsed) > 1:
        second = parsed[1].stmt_location
        raise BadInput(f"{len(parsed)} statements given; explain takes one "
                       f"(the second starts{where(text, second)})")
    raw = parsed[0]
    kind = type(raw.stmt).__name__
    if kind == "ExplainStmt":
        raise BadInput("give the statement without EXPLAIN; use --analyze, --buffers, --settings and "
                       "--verbose for its options")
    if kind not in EXPLAINABLE:
        raise BadInput(f"{_kind_name(kind)} cannot be explained; explain takes SELECT, INSERT, UPDATE, "
                       "DELETE, MERGE, VALUES, CREATE TABLE AS or EXECUTE")
    start = raw.stmt_location or 0
    end = start + raw.stmt_len if raw.stmt_len else len(text)
    segment = text[start:end]
    body = segment.strip().rstrip(";").strip()
    start += len(segment) - len(segment.lstrip())
    return Statement(body, kind, raw.stmt, _max_param(raw.stmt), text, start)


def _kind_name(kind: str) -> str:
    return kind.removesuffix("Stmt") + " statement"


def walk(node: Any):
    """Every pglast node under ``node`` (itself included), depth first."""
    from pglast.ast import Node

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, Node):
            yield item
            for name in item:  # attribute names of the node
                stack.append(getattr(item, name))


def _max_param(node: Any) -> int:
    from pglast.ast import ParamRef

    return max((n.number for n in walk(node) if isinstance(n, ParamRef)), default=0)


def _has_writing_cte(node: Any) -> bool:
    from pglast.ast import CommonTableExpr

    return any(isinstance(n, CommonTableExpr) and type(n.ctequery).__name__ in WRITES for n in walk(node))
