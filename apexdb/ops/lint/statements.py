"""SQL text to statements, with PostgreSQL's own parser (pglast): where each statement starts,
whether it runs inside a transaction, and which ``apexdb: ignore`` comments belong to it.
A statement pglast cannot parse is set aside as a problem; the rest of the file is still read.

Transactions are followed the way the server would: BEGIN/START TRANSACTION opens one,
COMMIT/ROLLBACK/END/PREPARE TRANSACTION closes it. Alembic's offline SQL spells these out
(``BEGIN;`` per migration, ``COMMIT;`` ... ``BEGIN;`` around an autocommit block), so a
revision's statements get the state they will really run in.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from apexdb.ops.lint.findings import Ignore, parse_directive
from apexdb.ops.lint.script_text import prepare

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
    inside: str = ""  # "DO block at line N" for a statement read from a DO block's body

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
    skipped: list[tuple[int, str]] = field(default_factory=list)  # what psql / the tool consumes
    tool: str | None = None  # "goose" / "dbmate" when the file says so
    problems: list[tuple[int, str]] = field(default_factory=list)  # statements pglast cannot parse
    problem_spans: list[tuple[int, int]] = field(default_factory=list)  # their offsets, to hide from squawk
    starts_in_transaction: bool = False  # the runner's transaction around the file (goose, --assume...)

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
    """Parse ``text`` as its runner would send it (see script_text). A statement pglast cannot
    parse becomes a problem (line, message) and the others are still read."""
    import pglast
    from pglast import parser

    script = prepare(text)
    clean = script.text
    line_starts = [0] + [i + 1 for i, ch in enumerate(clean) if ch == "\n"]
    parsed = ParsedSql(source, clean, [], [], line_starts, skipped=script.skipped, tool=script.tool)
    try:
        tokens = parser.scan(clean)
    except parser.ParseError as exc:  # an unterminated quote or comment: nothing can be split
        parsed.problems.append(_problem(exc, 0, line_starts))
        return parsed
    try:
        raw = [(0, rs, len(clean)) for rs in pglast.parse_sql(clean)]
    except parser.ParseError:
        raw = _one_by_one(clean, tokens, parsed, line_starts)
    comments = [t for t in tokens if t.name in ("SQL_COMMENT", "C_COMMENT")]
    code_starts = [t.start for t in tokens if t.name not in ("SQL_COMMENT", "C_COMMENT")]

    in_tx = script.in_transaction if script.in_transaction is not None else assume_in_transaction
    parsed.starts_in_transaction = in_tx
    for i, (base, rs, limit) in enumerate(raw):
        loc = base + (rs.stmt_location or 0)
        length = rs.stmt_len or (limit - loc)
        at = bisect_right(code_starts, loc - 1)  # the statement's first non-comment token
        first = code_starts[at] if at < len(code_starts) else loc
        node = rs.stmt
        stmt = Statement(i, node, first, loc + length, bisect_right(line_starts, first), in_tx,
                         _is_bookkeeping(node))
        in_tx = _transaction_after(node, in_tx)
        parsed.statements.append(stmt)
    parsed.ignores = _directives(parsed, comments)
    return parsed


def _one_by_one(clean: str, tokens, parsed: ParsedSql, line_starts: list[int]) -> list:
    """Each statement (text up to a ``;`` token) parsed on its own; the unparsable ones become problems."""
    import pglast
    from pglast import parser

    out, start = [], 0
    ends = [t.start for t in tokens if t.end == t.start and clean[t.start] == ";"] + [len(clean)]
    code = [t.start for t in tokens if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    for end in ends:
        piece = clean[start:end]
        first = code[bisect_right(code, start - 1)] if bisect_right(code, start - 1) < len(code) else end
        if first < end:
            try:
                out += [(start, rs, end) for rs in pglast.parse_sql(piece)]
            except parser.ParseError as exc:
                parsed.problems.append(_problem(exc, start, line_starts, first))
                parsed.problem_spans.append((first, end))
        start = end + 1
    return out


def _problem(exc, base: int, line_starts: list[int], first: int = 0) -> tuple[int, str]:
    """(line, message): the line of the error's position, or of the statement's first token."""
    message, position = (exc.args + (None,))[:2]
    offset = base + int(position) if isinstance(position, int) else first
    return bisect_right(line_starts, max(offset, first)), str(message)


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


def blank_out(text: str, statements: list[Statement], spans: list[tuple[int, int]] = ()) -> str:
    """``text`` with the given statements (and spans) replaced by spaces, keeping every line where it was."""
    chars = list(text)
    for start, end in [(s.start, s.end) for s in statements] + list(spans):
        for i in range(start, min(end, len(chars))):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)
