"""SQL text to statements, with PostgreSQL's own parser (pglast): where each statement starts,
whether it runs inside a transaction, and which ``apexdb: ignore`` comments belong to it.

Transactions are followed the way the server would: BEGIN/START TRANSACTION opens one,
COMMIT/ROLLBACK/END/PREPARE TRANSACTION closes it. Alembic's offline SQL spells these out
(``BEGIN;`` per migration, ``COMMIT;`` ... ``BEGIN;`` around an autocommit block), so a
revision's statements get the state they will really run in.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from apexdb.errors import BadInput
from apexdb.ops.lint.findings import Ignore, parse_directive

VERSION_TABLE = "alembic_version"


@dataclass
class Statement:
    index: int
    node: Any  # the pglast AST node (CreateStmt, IndexStmt, ...)
    start: int  # character offsets into the text: first token .. end (without the ';')
    end: int
    line: int  # 1-based line of the first token
    in_transaction: bool
    bookkeeping: bool = False  # Alembic's own alembic_version statements

    @property
    def kind(self) -> str:
        return type(self.node).__name__


@dataclass
class ParsedSql:
    source: str
    text: str
    statements: list[Statement]
    ignores: list[Ignore] = field(default_factory=list)
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def line_of(self, offset: int) -> int:
        return bisect_right(self._line_starts, offset)

    def offset_of(self, line: int, column: int) -> int:
        """Character offset of a 1-based line and 0-based column."""
        line = max(1, min(line, len(self._line_starts)))
        return self._line_starts[line - 1] + max(0, column)

    def statement_at(self, offset: int) -> Statement | None:
        for stmt in self.statements:
            if stmt.start <= offset <= stmt.end + 1:
                return stmt
        following = [s for s in self.statements if s.start >= offset]
        return following[0] if following else None

    def excerpt(self, stmt: Statement, width: int = 80) -> str:
        text = " ".join(self.text[stmt.start:stmt.end].split())
        return text if len(text) <= width else text[: width - 1] + "…"


def parse(text: str, source: str, *, assume_in_transaction: bool = False) -> ParsedSql:
    """Parse ``text``; a syntax error is BadInput naming the source and line."""
    import pglast
    from pglast import parser

    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    try:
        raw = pglast.parse_sql(text)
        tokens = parser.scan(text)
    except parser.ParseError as exc:
        message, position = (exc.args + (None,))[:2]
        line = bisect_right(line_starts, int(position)) if isinstance(position, int) else None
        where = f"{source}:{line}" if line else source
        raise BadInput(f"{where}: cannot parse SQL: {message}") from None
    comments = [t for t in tokens if t.name in ("SQL_COMMENT", "C_COMMENT")]
    code_starts = [t.start for t in tokens if t.name not in ("SQL_COMMENT", "C_COMMENT")]

    parsed = ParsedSql(source, text, [], [], line_starts)
    in_tx = assume_in_transaction
    for i, rs in enumerate(raw):
        loc = rs.stmt_location or 0
        length = rs.stmt_len or (len(text) - loc)
        at = bisect_right(code_starts, loc - 1)  # the statement's first non-comment token
        first = code_starts[at] if at < len(code_starts) else loc
        node = rs.stmt
        stmt = Statement(i, node, first, loc + length, bisect_right(line_starts, first), in_tx,
                         _is_bookkeeping(node))
        in_tx = _transaction_after(node, in_tx)
        parsed.statements.append(stmt)
    parsed.ignores = _directives(parsed, comments)
    return parsed


def _transaction_after(node, in_tx: bool) -> bool:
    from pglast.ast import TransactionStmt
    from pglast.enums import TransactionStmtKind as K

    if not isinstance(node, TransactionStmt):
        return in_tx
    if node.kind in (K.TRANS_STMT_BEGIN, K.TRANS_STMT_START):
        return True
    if node.kind in (K.TRANS_STMT_COMMIT, K.TRANS_STMT_ROLLBACK, K.TRANS_STMT_PREPARE):
        return False
    return in_tx


def _is_bookkeeping(node) -> bool:
    """Alembic's alembic_version table and its INSERT/UPDATE/DELETE: not the author's work."""
    relation = getattr(node, "relation", None)
    return getattr(relation, "relname", None) == VERSION_TABLE and type(node).__name__ in (
        "CreateStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "DropStmt")


def _directives(parsed: ParsedSql, comments) -> list[Ignore]:
    """Each directive comment belongs to a statement: the one it sits in, the one ending on its
    line just before it (a trailing comment), or else the next one; ignore-file to all."""
    out = []
    for tok in comments:
        body = parsed.text[tok.start:tok.end + 1]
        body = body[2:-2] if tok.name == "C_COMMENT" else body[2:]
        ignore = parse_directive(body, parsed.line_of(tok.start))
        if ignore is None:
            continue
        if ignore.scope == "statement":
            target = _owner(parsed, tok.start)
            if target is None:
                ignore.scope = "nothing"
            else:
                ignore.statement = target.index
        out.append(ignore)
    return out


def _owner(parsed: ParsedSql, offset: int) -> Statement | None:
    line = parsed.line_of(offset)
    before = None
    for stmt in parsed.statements:
        if stmt.start <= offset <= stmt.end:
            return stmt
        if stmt.end < offset:
            before = stmt
        elif stmt.start > offset:
            if before is not None and parsed.line_of(before.end) == line:
                return before
            return stmt
    if before is not None and parsed.line_of(before.end) == line:
        return before
    return None


def blank_out(text: str, statements: list[Statement]) -> str:
    """``text`` with the given statements replaced by spaces, keeping every line where it was."""
    chars = list(text)
    for stmt in statements:
        for i in range(stmt.start, min(stmt.end, len(chars))):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)
