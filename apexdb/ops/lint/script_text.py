"""A migration file's text as the server will see it: what the runner or psql removes first.

Real migration files hold more than SQL:

- psql meta-commands (``\\set``, ``\\i``, ``\\echo ... \\quit``) and the data lines after
  ``COPY ... FROM stdin`` / ``\\copy ... from stdin``, up to ``\\.``: psql consumes them and the
  server never sees them, so they are blanked out;
- psql variables ``:'name'`` and ``:"name"``, extension-script placeholders (``@extschema@``,
  ``@extschema:vector@``, ``@extowner@``, ``@database_owner@``) and Flyway placeholders
  (``${name}``): the tool substitutes them before the server parses anything, so each becomes an
  identifier (or string) of the same length;
- goose (``-- +goose Down``) and dbmate (``-- migrate:down``) down sections: they run only on a
  rollback, so they are blanked out; both tools run the up section in one transaction unless
  the file says ``-- +goose NO TRANSACTION`` / ``-- migrate:up transaction:false``.

Every replacement keeps the text's length and line breaks, so offsets and line numbers in the
result are those of the file. This is a psql-style lexer (quotes, dollar quotes, comments),
not a SQL parser: pglast parses what it leaves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# placeholders substituted textually, wherever they appear, by the tool that runs the file
# (PostgreSQL's extension-script loader; Flyway) -- so matched textually here as well
PLACEHOLDER = re.compile(r"@(?:extschema(?::[A-Za-z_][A-Za-z0-9_]*)?|extowner|database_owner)@"
                         r"|\$\{[A-Za-z_][A-Za-z0-9_:.]*\}")
DOWN_MARKERS = ("+goose down", "migrate:down")
# psql meta-commands that send the query buffer to the server, ending the statement as ; does
SENDS_QUERY = ("\\g", "\\gx", "\\gexec", "\\gset", "\\gdesc", "\\crosstabview", "\\watch")
UP_MARKERS = ("+goose up", "migrate:up")


@dataclass
class ScriptText:
    text: str  # same length and lines as the file, with what the server never sees blanked
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, what) psql/the tool consumes
    in_transaction: bool | None = None  # the tool's own transaction rule, when the file names its tool
    tool: str | None = None  # "goose", "dbmate"


def prepare(text: str) -> ScriptText:
    chars = list(PLACEHOLDER.sub(lambda m: _identifier(m.group(0)), text))
    out = ScriptText("")
    _Lexer(chars, out).run()
    out.text = "".join(chars)
    return out


def _identifier(token: str) -> str:
    """A placeholder as an identifier of the same length: @extschema:vector@ -> _extschema_vector_."""
    return "".join(c if c.isalnum() else "_" for c in token)


class _Lexer:
    """Walks the text like psql's lexer: meta-commands count only outside quotes and comments."""

    def __init__(self, chars: list[str], out: ScriptText):
        self.c, self.out = chars, out
        self.n = len(chars)
        self.stmt_start = 0
        self.down_from: int | None = None

    def run(self) -> None:
        c, i = self.c, 0
        at_line_start = True
        while i < self.n:
            ch = c[i]
            if ch == "\n":
                at_line_start = True
                i += 1
                continue
            if at_line_start and ch in " \t\r":
                i += 1
                continue
            if ch == "\\":  # outside quotes, a backslash starts a psql meta-command, anywhere on a line
                i = self._meta_command(i)
            elif ch == "-" and self._peek(i, "--"):
                i = self._line_comment(i)
            elif ch == "/" and self._peek(i, "/*"):
                i = self._block_comment(i)
            elif ch == "'":
                escapes = i > 0 and c[i - 1] in "eE" and (i < 2 or not (c[i - 2].isalnum() or c[i - 2] == "_"))
                i = self._quoted(i, "'", escapes)
            elif ch == '"':
                i = self._quoted(i, '"')
            elif ch == "$":
                i = self._dollar(i)
            elif ch == ":" and i + 1 < self.n and c[i + 1] in "'\"" and not self._peek(i - 1, ":"):
                i = self._psql_variable(i)
            elif ch == ":" and self._bare_variable(i):
                c[i] = "_"  # :name -> _name, an identifier of the same length
                self.out.skipped.append((self._line(i), "psql variable :" + "".join(c[i + 1:self._word_end(i + 1)])))
                i += 1
            elif ch == ";":
                i = self._statement_end(i)
            else:
                i += 1
            at_line_start = i > 0 and c[i - 1] == "\n"  # COPY data ends at a line start
        if self.down_from is not None:
            self._blank(self.down_from, self.n)

    # -- pieces -------------------------------------------------------------------------------
    def _peek(self, i: int, s: str) -> bool:
        return i >= 0 and "".join(self.c[i:i + len(s)]) == s

    def _eol(self, i: int) -> int:
        while i < self.n and self.c[i] != "\n":
            i += 1
        return i

    def _line(self, i: int) -> int:
        return self.c[:i].count("\n") + 1

    def _blank(self, start: int, end: int) -> None:
        for k in range(start, min(end, self.n)):
            if self.c[k] != "\n":
                self.c[k] = " "

    def _bare_variable(self, i: int) -> bool:
        """``:name`` after a space, comma, bracket or operator (not ``::`` and not ``a[1:n]``)."""
        nxt = self.c[i + 1] if i + 1 < self.n else ""
        prev = self.c[i - 1] if i > 0 else " "
        return (nxt.isalpha() or nxt == "_") and prev != ":" and (prev.isspace() or prev in "(,=<>+-*/")

    def _word_end(self, i: int) -> int:
        while i < self.n and (self.c[i].isalnum() or self.c[i] == "_"):
            i += 1
        return i

    def _meta_command(self, i: int) -> int:
        end = self._eol(i)
        command = "".join(self.c[i:end]).strip()
        self.out.skipped.append((self._line(i), f"psql meta-command {command.split()[0]}"))
        self._blank(i, end)
        self.stmt_start = end
        words = command.lower().split()
        if words and words[0].rstrip("\\") in SENDS_QUERY:
            self.c[i] = ";"  # \g, \gexec, ... send the query buffer: they end the statement like ;
            self.stmt_start = i + 1
        if words and words[0] == "\\copy" and "from" in words and ("stdin" in words or "pstdin" in words):
            return self._copy_data(end)
        return end

    def _copy_data(self, i: int) -> int:
        """Data lines after COPY ... FROM stdin (``i``: the end of its line), up to ``\\.``."""
        start = line_start = min(i + 1, self.n)
        while line_start < self.n:
            line_end = self._eol(line_start)
            done = "".join(self.c[line_start:line_end]).strip() == "\\."
            line_start = line_end + 1
            if done:
                break
        end = min(line_start, self.n)
        if end > start:
            self.out.skipped.append((self._line(start), "COPY data lines"))
            self._blank(start, end)
        self.stmt_start = end
        return end

    def _line_comment(self, i: int) -> int:
        end = self._eol(i)
        body = "".join(self.c[i + 2:end]).strip().lower()
        self._marker(body, i)
        return end

    def _marker(self, body: str, offset: int) -> None:
        head = " ".join(body.split())
        if head.startswith("+goose"):
            self.out.tool = "goose"
            if self.out.in_transaction is None:
                self.out.in_transaction = True
            if head.startswith("+goose no transaction"):
                self.out.in_transaction = False
        elif head.startswith("migrate:"):
            self.out.tool = "dbmate"
            if head.startswith("migrate:up"):
                self.out.in_transaction = "transaction:false" not in head.replace(" ", "")
        if head.startswith(DOWN_MARKERS) and self.down_from is None:
            self.down_from = offset
        elif head.startswith(UP_MARKERS) and self.down_from is not None:
            self._blank(self.down_from, offset)  # an up section after a down one (rare, allowed)
            self.down_from = None

    def _block_comment(self, i: int) -> int:
        depth, i = 1, i + 2
        while i < self.n and depth:
            if self._peek(i, "/*"):
                depth, i = depth + 1, i + 2
            elif self._peek(i, "*/"):
                depth, i = depth - 1, i + 2
            else:
                i += 1
        return i

    def _quoted(self, i: int, quote: str, escapes: bool = False) -> int:
        i += 1
        while i < self.n:
            if escapes and self.c[i] == "\\":  # E'it\'s': a backslash escapes the next character
                i += 2
                continue
            if self.c[i] == quote:
                if i + 1 < self.n and self.c[i + 1] == quote:
                    i += 2
                    continue
                return i + 1
            i += 1
        return i

    def _dollar(self, i: int) -> int:
        j = i + 1
        while j < self.n and (self.c[j].isalnum() or self.c[j] == "_"):
            j += 1
        if j >= self.n or self.c[j] != "$" or (j > i + 1 and self.c[i + 1].isdigit()):
            return i + 1  # $1 parameter, or a lone $
        tag = "".join(self.c[i:j + 1])
        close = "".join(self.c).find(tag, j + 1)
        return self.n if close < 0 else close + len(tag)

    def _psql_variable(self, i: int) -> int:
        quote = self.c[i + 1]
        end = i + 2
        while end < self.n and self.c[end] not in (quote, "\n"):
            end += 1
        if end >= self.n or self.c[end] != quote:
            return i + 1
        name = "".join(self.c[i + 2:end])
        # :'name' -> a string literal, :"name" -> a quoted identifier, same length
        self.c[i:end + 1] = list(quote + "_" * (end - i - 1) + quote)
        self.out.skipped.append((self._line(i), f"psql variable :{quote}{name}{quote}"))
        return end + 1

    def _statement_end(self, i: int) -> int:
        stmt = "".join(self.c[self.stmt_start:i])
        self.stmt_start = i + 1
        if _is_copy_from_stdin(stmt):
            return self._copy_data(self._eol(i + 1))
        return i + 1


def _is_copy_from_stdin(stmt: str) -> bool:
    """``COPY ... FROM STDIN``: psql then sends the lines that follow as data."""
    low = stmt.lower()
    if "copy" not in low or "stdin" not in low:
        return False
    import pglast
    from pglast import ast, parser

    try:
        nodes = pglast.parse_sql(stmt)
    except parser.ParseError:
        return False
    node = nodes[-1].stmt if nodes else None
    return isinstance(node, ast.CopyStmt) and bool(node.is_from) and node.filename is None
