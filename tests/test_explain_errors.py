"""apexdb explain refuses bad input with one line that says what and where, and exit codes 2 or 4."""
from __future__ import annotations

import pytest


@pytest.fixture
def small(db):
    db.sql("CREATE TABLE small (id int PRIMARY KEY, note text)")
    db.sql("INSERT INTO small SELECT g, 'n' || g FROM generate_series(1, 100) g")
    return db


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_syntax_error_shows_line_and_column(apex, small):
    r = apex("explain", "SELECT id,\n  note\nFROM small WHERE id = = 3")
    assert r.exit_code == 2, r
    line = one_line(r.stderr)
    assert 'syntax error at or near "="' in line
    assert "at line 3, column 23: FROM small WHERE id = = 3" in line


def test_missing_table_is_a_database_error_with_position(apex, small):
    r = apex("explain", "SELECT *\nFROM small s JOIN nowhere n ON n.id = s.id")
    assert r.exit_code == 4, r
    line = one_line(r.stderr)
    assert 'relation "nowhere" does not exist at line 2, column 19' in line
    assert "SQLSTATE 42P01" in line


def test_missing_column_position_with_leading_comment_from_file(apex, small, tmp_path):
    sql_file = tmp_path / "q.sql"
    sql_file.write_text("-- a comment line\n\nSELECT nope FROM small;\n")
    r = apex("explain", "-f", sql_file)
    assert r.exit_code == 4, r
    assert 'column "nope" does not exist at line 3, column 8' in one_line(r.stderr)


def test_timeout_cancels_and_says_so(apex, small):
    r = apex("explain", "SELECT pg_sleep(5), * FROM small LIMIT 1", "--analyze", "--timeout", "0.5")
    assert r.exit_code == 4, r
    line = one_line(r.stderr)
    assert "ran past the 0.5 s timeout and was cancelled" in line and "SQLSTATE 57014" in line
    assert "--timeout" in line


def test_timeout_rolls_back_a_write(apex, small):
    r = apex("explain", "WITH d AS (DELETE FROM small RETURNING id) SELECT pg_sleep(3), count(*) FROM d",
             "--analyze", "--timeout", "0.3")
    assert r.exit_code == 4, r
    assert small.scalar("SELECT count(*) FROM small") == 100


@pytest.mark.parametrize("sql", ["", "   \n  ", ";", "/* only a comment */"])
def test_empty_statement(apex, small, sql):
    r = apex("explain", sql)
    assert r.exit_code == 2, r
    assert "the statement is empty" in one_line(r.stderr)


def test_empty_statement_from_stdin(apex, small):
    r = apex("explain", "-", input="-- nothing but a comment\n")
    assert r.exit_code == 2 and "the statement is empty" in one_line(r.stderr), r


def test_two_statements_are_refused(apex, small):
    r = apex("explain", "SELECT 1;\nDELETE FROM small")
    assert r.exit_code == 2, r
    assert "2 statements given; explain takes one (the second starts at line 2" in one_line(r.stderr)
    # a semicolon inside a string is not a second statement
    r = apex("explain", "SELECT * FROM small WHERE note = 'a;b'")
    assert r.exit_code == 0, r


@pytest.mark.parametrize("sql,message", [
    ("EXPLAIN SELECT 1", "without EXPLAIN"),
    ("VACUUM small", "cannot be explained"),
    ("DROP TABLE small", "cannot be explained"),
])
def test_statements_explain_does_not_take(apex, small, sql, message):
    r = apex("explain", sql, "--analyze")
    assert r.exit_code == 2 and message in one_line(r.stderr), r
    assert small.scalar("SELECT count(*) FROM small") == 100


def test_parameter_count_must_match(apex, small):
    r = apex("explain", "SELECT * FROM small WHERE id = $1 AND note = $2", "--param", "1")
    assert r.exit_code == 2 and "uses $1..$2 but 1 --param value was given" in one_line(r.stderr), r
    r = apex("explain", "SELECT * FROM small WHERE id = $1", "--analyze")
    assert r.exit_code == 2 and "give a --param for each" in one_line(r.stderr), r
    r = apex("explain", "SELECT * FROM small WHERE id = $1", "--param", "abc", "--analyze")
    assert r.exit_code == 4 and "invalid input syntax for type integer" in one_line(r.stderr), r


def test_no_statement_and_both_sources(apex, small, tmp_path):
    r = apex("explain")
    assert r.exit_code == 2 and "no statement" in one_line(r.stderr), r
    sql_file = tmp_path / "q.sql"
    sql_file.write_text("SELECT 1")
    r = apex("explain", "SELECT 1", "-f", sql_file)
    assert r.exit_code == 2 and "not both" in one_line(r.stderr), r
    r = apex("explain", "-f", tmp_path / "missing.sql")
    assert r.exit_code == 2 and "cannot read" in one_line(r.stderr), r
    r = apex("explain", "SELECT 1", "--timeout", "0")
    assert r.exit_code == 2, r


def test_positions_point_at_the_character():
    from hypothesis import given, strategies as st

    from apexdb.ops.explain.statement import position

    @given(st.text(alphabet="ab \n;", min_size=1, max_size=40), st.data())
    def check(text, data):
        offset = data.draw(st.integers(0, len(text) - 1))
        line, column, _ = position(text, offset)
        if text[offset] != "\n":
            assert text.split("\n")[line - 1][column - 1] == text[offset]

    check()


def test_condition_reading_never_raises():
    from hypothesis import given, strategies as st

    from apexdb.ops.explain.conditions import analyze_condition, expression_columns

    @given(st.text(max_size=60))
    def check(text):
        analyze_condition(text)
        expression_columns(text)

    check()


def test_ctrl_c_cancels_the_statement_and_keeps_nothing(small):
    import os
    import signal
    import subprocess
    from support import apexdb_executable, wait_for

    proc = subprocess.Popen([*apexdb_executable(), "explain", "--analyze",
                             "WITH d AS (DELETE FROM small RETURNING id) SELECT pg_sleep(60), count(*) FROM d"],
                            env={**os.environ, "APEXDB_DSN": small.dsn}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        query = "SELECT pid FROM pg_stat_activity WHERE query LIKE 'EXPLAIN (FORMAT JSON, ANALYZE%%' AND state = 'active'"
        wait_for(lambda: small.sql(query) or proc.poll() is not None, "the statement to start")
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err and "Traceback" not in err
    wait_for(lambda: not small.sql(query), "the server-side statement to be gone, not left running")
    assert small.scalar("SELECT count(*) FROM small") == 100
