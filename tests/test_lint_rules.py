"""`apexdb migrate lint`: every pgvector rule fires on a migration that breaks it (the fixture
Alembic project in tests/fixtures/lint_project, and plain .sql files), and stays quiet on the
correct form of the same statement."""
from __future__ import annotations


import pytest

from support import LINT_PROJECT, lint, run_cli


def revision_findings(rev: str, *extra: str):
    result = lint(rev, "--config", str(LINT_PROJECT / "alembic.ini"), "--format", "json", *extra)
    assert result.exit_code in (0, 1), result
    return result, result.json


@pytest.mark.parametrize("revision, rule, severity, line, words", [
    ("l02_blocking_hnsw", "vector-index-not-concurrent", "critical", 5, "items_embedding_cos"),
    ("l03_opclass", "vector-opclass-mismatch", "critical", 7, "halfvec_cosine_ops"),
    ("l04_dimensions", "vector-index-dimensions", "critical", 7, "2,000"),
    ("l05_ef_construction", "hnsw-ef-construction", "critical", 7, "2*m=64"),
    ("l06_ivfflat_empty", "ivfflat-empty-table", "warning", 11, "fresh"),
    ("l07_dimension_change", "vector-dimension-change", "critical", 5, "vector(3) to vector(768)"),
])
def test_each_pgvector_rule_fires_on_the_revision_that_breaks_it(revision, rule, severity, line, words):
    result, findings = revision_findings(revision)
    assert result.exit_code == 1
    ours = [f for f in findings if f["rule"] == rule]
    assert len(ours) == 1, findings
    assert ours[0]["source"] == revision and ours[0]["severity"] == severity and ours[0]["line"] == line
    assert words in ours[0]["message"] + ours[0]["fix"]
    # no other revision's findings leak into a single-revision lint
    assert {f["source"] for f in findings} == {revision}


def test_revisions_are_linted_one_at_a_time_with_the_schema_of_the_earlier_ones():
    result, findings = revision_findings("l02_blocking_hnsw:l07_dimension_change")
    rules = {(f["source"], f["rule"]) for f in findings}
    assert ("l03_opclass", "vector-opclass-mismatch") in rules  # knows half.e is halfvec from l01
    assert ("l04_dimensions", "vector-index-dimensions") in rules  # knows wide.big is vector(3000)
    # l01 created items, so building its index there is fine; l02 builds on an existing table
    assert not any(f["source"] == "l01_base" for f in findings)
    assert ("l02_blocking_hnsw", "vector-index-not-concurrent") in rules


def test_a_concurrent_build_in_an_autocommit_block_is_not_flagged():
    _, findings = revision_findings("l05_ef_construction")
    rules = {f["rule"] for f in findings}
    assert "vector-index-not-concurrent" not in rules
    assert "ban-concurrent-index-creation-in-transaction" not in rules  # COMMIT ... BEGIN around it


def test_rules_on_a_plain_sql_file_and_their_correct_forms(tmp_path):
    bad = tmp_path / "bad.sql"
    bad.write_text(
        "CREATE TABLE docs (id bigint PRIMARY KEY, e halfvec(3), big vector(2500));\n"
        "CREATE INDEX ON docs USING hnsw (e vector_l2_ops);\n"
        "CREATE INDEX ON docs USING hnsw (big vector_cosine_ops) WITH (m = 24, ef_construction = 32);\n"
        "CREATE INDEX ON docs USING ivfflat (e halfvec_l1_ops);\n"
        "CREATE INDEX ON chunks USING hnsw (embedding vector_cosine_ops);\n"
        "ALTER TABLE chunks ALTER COLUMN embedding TYPE halfvec(1536);\n")
    result = lint(str(bad), "--format", "json")
    assert result.exit_code == 1
    got = {(f["line"], f["rule"]) for f in result.json}
    assert {(2, "vector-opclass-mismatch"), (3, "vector-index-dimensions"), (3, "hnsw-ef-construction"),
            (4, "vector-opclass-mismatch"), (4, "ivfflat-empty-table"), (5, "vector-index-not-concurrent"),
            (6, "vector-dimension-change")} <= got
    good = tmp_path / "good.sql"
    good.write_text(
        "CREATE TABLE docs (id bigint PRIMARY KEY, e halfvec(3), big vector(2500));\n"
        "CREATE INDEX ON docs USING hnsw (e halfvec_l2_ops);\n"
        "CREATE INDEX ON docs USING hnsw ((big::halfvec(2500)) halfvec_cosine_ops) WITH (m = 24, ef_construction = 48);\n"
        "INSERT INTO docs SELECT g, '[1,2,3]', NULL FROM generate_series(1, 10) g;\n"
        "CREATE INDEX ON docs USING ivfflat (e halfvec_l2_ops) WITH (lists = 1);\n"
        "CREATE INDEX CONCURRENTLY ON chunks USING hnsw (embedding vector_cosine_ops);\n")
    result = lint(str(good), "--format", "json")
    ours = {f["rule"] for f in result.json} & {"vector-opclass-mismatch", "vector-index-dimensions",
                                              "hnsw-ef-construction", "ivfflat-empty-table",
                                              "vector-index-not-concurrent", "vector-dimension-change"}
    assert ours == set(), result.json


def test_hnsw_without_an_opclass_is_reported_because_pgvector_has_no_default(tmp_path):
    sql = tmp_path / "noop.sql"
    sql.write_text("CREATE INDEX CONCURRENTLY items_e ON items USING hnsw (embedding);\n")
    result = lint(str(sql), "--format", "json")
    assert [f["rule"] for f in result.json if f["rule"].startswith("vector")] == ["vector-opclass-mismatch"]


def test_the_server_catalog_supplies_column_types_for_plain_files(db, tmp_path):
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(3))")
    sql = tmp_path / "index.sql"
    sql.write_text("CREATE INDEX CONCURRENTLY items_e ON items USING hnsw (embedding halfvec_cosine_ops);\n")
    offline = lint(str(sql), "--format", "json")
    assert "vector-opclass-mismatch" not in {f["rule"] for f in offline.json}  # type unknown without a server
    online = run_cli(["migrate", "lint", str(sql), "--format", "json", "--dsn", db.dsn])
    mismatch = [f for f in online.json if f["rule"] == "vector-opclass-mismatch"]
    assert len(mismatch) == 1 and "vector(3)" in mismatch[0]["message"], online
    assert "PostgreSQL 18" in online.stderr  # squawk's pg_version came from the server
    # and nothing was created: linting never runs the SQL
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'items' AND indexname = 'items_e'") == 0


def test_index_options_pgvector_rejects_are_reported(tmp_path):
    sql = tmp_path / "params.sql"
    sql.write_text("CREATE INDEX CONCURRENTLY a ON t USING hnsw (e vector_l2_ops) WITH (m = 101, foo = 1);\n"
                   "CREATE INDEX CONCURRENTLY b ON t USING ivfflat (e vector_l2_ops) WITH (lists = 0);\n"
                   "CREATE INDEX CONCURRENTLY c ON t USING hnsw (e vector_l2_ops) WITH (m = 100, ef_construction = 1000);\n")
    result = lint(str(sql), "--format", "json")
    found = [(f["line"], f["message"]) for f in result.json if f["rule"] == "vector-index-parameters"]
    assert [line for line, _ in found] == [1, 1, 2]
    assert "m=101 is outside 2..100" in found[0][1] and "'foo'" in found[1][1] and "lists=0" in found[2][1]


def test_concurrently_inside_the_migrations_transaction_is_reported():
    result, findings = revision_findings("l09_concurrent_in_transaction")
    assert result.exit_code == 1
    assert [(f["line"], f["rule"]) for f in findings] == [(5, "ban-concurrent-index-creation-in-transaction")]
