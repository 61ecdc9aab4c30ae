"""The linter's reading of SQL: every statement's line and transaction state, whatever comments,
blank lines and transaction statements surround it (a property over generated migrations)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from apexdb.ops.lint.statements import parse

BODIES = [
    "CREATE TABLE t{n} (id bigint PRIMARY KEY, e vector(3))",
    "CREATE INDEX CONCURRENTLY i{n} ON t USING hnsw (e vector_l2_ops)",
    "ALTER TABLE t ADD COLUMN c{n} text",
    "INSERT INTO t VALUES ({n}, '[1,2,3]')",
    "SELECT 'a;b -- not a comment' AS x{n}",
    "CREATE FUNCTION f{n}() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$",
]
TX = ["BEGIN", "COMMIT", "START TRANSACTION", "ROLLBACK"]
GAPS = ["", "\n", "\n\n", "-- a comment; with a semicolon\n", "/* block\n comment */ ", "  "]

piece = st.one_of(st.tuples(st.just("stmt"), st.integers(0, len(BODIES) - 1)),
                  st.tuples(st.just("tx"), st.integers(0, len(TX) - 1)))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(GAPS), piece), min_size=1, max_size=12), st.booleans())
def test_each_statement_gets_its_line_and_transaction_state(pieces, assume):
    text, expected, in_tx = "", [], assume
    for n, (gap, (kind, idx)) in enumerate(pieces):
        text += gap
        line = text.count("\n") + 1
        body = BODIES[idx].format(n=n) if kind == "stmt" else TX[idx]
        expected.append((line, in_tx))
        if kind == "tx":
            in_tx = idx in (0, 2)  # BEGIN / START TRANSACTION open one; COMMIT / ROLLBACK close it
        text += body + ";\n"
    parsed = parse(text, "gen.sql", assume_in_transaction=assume)
    assert [(s.line, s.in_transaction) for s in parsed.statements] == expected


def test_ignore_comments_attach_to_the_right_statement():
    parsed = parse("SELECT 1; -- apexdb: ignore rule-a trailing, belongs to SELECT 1\n"
                   "-- apexdb: ignore rule-b leading, belongs to SELECT 2\n"
                   "\n"
                   "SELECT 2;\n"
                   "/* apexdb: ignore rule-c, rule-d inside the statement */ SELECT 3;\n"
                   "-- just a comment: apexdb ignore nothing\n"
                   "-- apexdb: ignore-file rule-e every statement\n", "x.sql")
    got = [(ig.rules, ig.scope, ig.statement, ig.reason) for ig in parsed.ignores]
    assert got == [
        (("rule-a",), "statement", 0, "trailing, belongs to SELECT 1"),
        (("rule-b",), "statement", 1, "leading, belongs to SELECT 2"),
        (("rule-c", "rule-d"), "statement", 2, "inside the statement"),
        (("rule-e",), "file", -1, "every statement"),
    ]
