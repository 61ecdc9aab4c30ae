"""apexdb search: every bad input fails with exit 2, one line, and changes nothing."""
from __future__ import annotations

import pytest

from support import clustered, load_items


@pytest.fixture
def items(db):
    vectors = clustered(500, 16)
    load_items(db, vectors)
    return vectors


def assert_bad(r, *words):
    assert r.exit_code == 2, r
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for word in words:
        assert word in r.stderr, r.stderr


def test_both_like_and_vector_or_neither(apex, items):
    assert_bad(apex("search", "items", "--like", "1", "--vector", "[1]"), "exactly one of", "--like and --vector")
    assert_bad(apex("search", "items"), "exactly one of --like ID, --vector")


def test_unknown_id_and_an_id_of_the_wrong_type(apex, items):
    assert_bad(apex("search", "items", "--like", "99999"), "no row with id = 99999")
    assert_bad(apex("search", "items", "--like", "abc"), "'abc' is not a valid bigint")


def test_vector_of_the_wrong_dimension(apex, items):
    assert_bad(apex("search", "items", "--vector", "[1, 2, 3]"), "3 dimensions", "embedding has 16")


@pytest.mark.parametrize("literal,words", [
    ("[1, 2,", ("not a JSON array",)),
    ("{\"a\": 1}", ("non-empty JSON array",)),
    ("[1, \"x\"]", ("must be a number",)),
    ("[]", ("non-empty JSON array",)),
])
def test_malformed_json_vector(apex, items, literal, words):
    assert_bad(apex("search", "items", "--vector", literal), *words)


def test_bad_vector_files(apex, items, tmp_path):
    assert_bad(apex("search", "items", "--vector", f"@{tmp_path / 'missing.npy'}"), "does not exist")
    broken = tmp_path / "broken.npy"
    broken.write_bytes(b"not numpy")
    assert_bad(apex("search", "items", "--vector", f"@{broken}"), "not a readable .npy")
    nan = tmp_path / "nan.json"
    nan.write_text("[" + ",".join(["NaN"] * 16) + "]")
    assert_bad(apex("search", "items", "--vector", f"@{nan}"), "NaN or infinity")


@pytest.mark.parametrize("k", ["0", "-3", "1001"])
def test_k_out_of_range(apex, items, k):
    assert_bad(apex("search", "items", "--like", "1", "--k", k), "--k must be")


def test_ef_search_over_1000_and_bad_iterative_scan(apex, items):
    assert_bad(apex("search", "items", "--like", "1", "--ef-search", "1001"), "between 1 and 1000")
    assert_bad(apex("search", "items", "--like", "1", "--ef-search", "0"), "between 1 and 1000")
    assert_bad(apex("search", "items", "--like", "1", "--iterative-scan", "sideways"), "off, relaxed, strict")
    assert_bad(apex("search", "items", "--like", "1", "--metric", "euclid"), "unknown metric")


def test_two_vector_columns_need_column(apex, items, db):
    db.sql("ALTER TABLE items ADD COLUMN other vector(16)")
    assert_bad(apex("search", "items", "--like", "1"), "several vector columns", "--column")
    r = apex("search", "items", "--like", "1", "--column", "embedding", "--format", "json")
    assert r.exit_code == 0 and len(r.json) == 10
    assert_bad(apex("search", "items", "--like", "1", "--column", "title"), "not a vector")
    assert_bad(apex("search", "nope", "--like", "1"), "does not exist")


def test_unknown_filter_and_show_columns(apex, items):
    assert_bad(apex("search", "items", "--like", "1", "--filter", "colour=red"), "no column 'colour'")
    assert_bad(apex("search", "items", "--like", "1", "--filter", "category"), "COLUMN=VALUE")
    assert_bad(apex("search", "items", "--like", "1", "--filter", "title.x=1"), "not jsonb")
    assert_bad(apex("search", "items", "--like", "1", "--filter", "id=abc"), "--filter failed")
    assert_bad(apex("search", "items", "--like", "1", "--show", "title,colour"), "'colour' does not exist")


def test_where_with_a_syntax_error(apex, items):
    assert_bad(apex("search", "items", "--like", "1", "--where", "id >"), "--where is not valid SQL")
    assert_bad(apex("search", "items", "--like", "1", "--where", "no_such_column = 1"), "--where failed",
               "no_such_column")


def test_where_that_tries_to_write_fails_and_changes_nothing(apex, items, db):
    db.sql("CREATE SEQUENCE s")
    db.sql("CREATE TABLE audit_log (x int)")
    before = db.scalar("SELECT count(*) FROM items")
    assert_bad(apex("search", "items", "--like", "1", "--where", "1=1; DELETE FROM items"), "--where")
    assert_bad(apex("search", "items", "--like", "1", "--where", "true) UNION (SELECT 1"), "one condition")
    assert_bad(apex("search", "items", "--like", "1", "--where", "nextval('s') > 0"), "tried to change data",
               "nothing was changed")
    assert_bad(apex("search", "items", "--like", "1", "--where",
                    "id IN (SELECT x FROM (WITH d AS (DELETE FROM items RETURNING id) SELECT 1 AS x) q)"), "--where")
    assert db.scalar("SELECT count(*) FROM items") == before
    assert db.scalar("SELECT last_value FROM s") == 1 and db.scalar("SELECT is_called FROM s") is False


def test_compare_and_exact_together(apex, items):
    assert_bad(apex("search", "items", "--like", "1", "--exact", "--compare"), "not both")


def test_where_is_bounded_by_the_statement_timeout(apex, items):
    r = apex("search", "items", "--like", "1", "--where", "pg_sleep(1) IS NOT NULL",
             env={"APEXDB_STATEMENT_TIMEOUT": "200ms"})
    assert r.exit_code == 4, r
    assert "statement timeout" in r.stderr and "57014" in r.stderr
