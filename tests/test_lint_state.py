"""The schema through a whole folder of migrations: ANN indexes, renames, and the tables that are
empty within one migration. Each "the ALTER fails" / "the build fails" claim is run on the real
server (pgvector 0.8) to show it does fail; the false alarms of a TRUNCATE'd table are gone."""
from __future__ import annotations

import psycopg
import pytest

from support import lint

BASE = ("CREATE TABLE docs (id bigint PRIMARY KEY, embedding vector(3));\n"
        "CREATE INDEX docs_embedding_hnsw ON docs USING hnsw (embedding vector_cosine_ops);\n")


def folder(tmp_path, *files: str) -> str:
    """A migrations folder: 001.sql, 002.sql, ... linted in order."""
    for n, text in enumerate(files, 1):
        (tmp_path / f"{n:03d}.sql").write_text(text)
    return str(tmp_path)


def ours(result, name: str = "002.sql") -> list[tuple[int, str, str]]:
    return [(f["line"], f["rule"], f["severity"]) for f in result.json
            if f["source"].endswith(name) and not f["rule"].startswith(("prefer-", "require-"))]


def fails_on_server(db, *statements: str) -> str:
    """The error the last statement raises after the others ran ('' when it does not fail)."""
    with db.connect() as conn:
        for stmt in statements[:-1]:
            conn.execute(stmt)
        try:
            conn.execute(statements[-1])
        except psycopg.Error as exc:
            return str(exc)
    return ""


def test_widening_a_column_an_earlier_migration_indexed_fails_and_is_reported(tmp_path, db):
    wider = "ALTER TABLE docs ALTER COLUMN embedding TYPE vector(4096);\n"
    result = lint(folder(tmp_path, BASE, wider), "--format", "json")
    (finding,) = [f for f in result.json if f["rule"] == "vector-index-dimensions"]
    assert finding["source"].endswith("002.sql") and finding["severity"] == "critical"
    assert "docs_embedding_hnsw is rebuilt" in finding["message"] and "the ALTER fails" in finding["message"]
    assert "vector-dimension-change" not in {f["rule"] for f in result.json}  # the failure says it better
    error = fails_on_server(db, *BASE.strip().split("\n"), wider.strip())
    assert "2000 dimensions" in error


def test_changing_the_type_under_an_opclass_of_another_type_fails_and_is_reported(tmp_path, db):
    half = "ALTER TABLE docs ALTER COLUMN embedding TYPE halfvec(3);\n"
    result = lint(folder(tmp_path, BASE, half), "--format", "json")
    (finding,) = [f for f in result.json if f["rule"] == "vector-opclass-mismatch"]
    assert "vector_cosine_ops, which does not accept halfvec" in finding["message"]
    assert "halfvec_cosine_ops" in finding["fix"]
    assert fails_on_server(db, *BASE.strip().split("\n"), half.strip())


def test_after_drop_index_and_truncate_there_is_nothing_to_wait_for(tmp_path):
    change = ("DROP INDEX docs_embedding_hnsw;\n"
              "TRUNCATE docs;\n"
              "ALTER TABLE docs ALTER COLUMN embedding TYPE vector(3072);\n"
              "CREATE INDEX docs_embedding_hnsw ON docs USING hnsw ((embedding::halfvec(3072)) halfvec_cosine_ops);\n")
    result = lint(folder(tmp_path, BASE, change), "--format", "json")
    rules = {rule for _, rule, _ in ours(result)}
    assert not {"vector-dimension-change", "vector-index-not-concurrent", "vector-index-dimensions",
                "vector-table-truncate", "changing-column-type", "require-concurrent-index-creation"} & rules, rules
    # without the TRUNCATE the table holds rows: the rewrite and the blocking build are real
    (tmp_path / "002.sql").write_text(change.replace("TRUNCATE docs;\n", ""))
    rules = {rule for _, rule, _ in ours(lint(str(tmp_path), "--format", "json"))}
    assert {"vector-dimension-change", "vector-index-not-concurrent"} <= rules
    assert "vector-index-dimensions" not in rules  # the index was dropped first


def test_truncate_and_full_update_of_an_indexed_table(tmp_path):
    later = ("TRUNCATE docs;\n"
             "TRUNCATE unindexed;\n")
    result = lint(folder(tmp_path, BASE + "CREATE TABLE unindexed (id int);\n", later), "--format", "json")
    assert ours(result) == [(1, "vector-table-truncate", "warning")]
    updates = ("UPDATE docs SET embedding = NULL;\n"
               "UPDATE docs SET embedding = NULL WHERE id < 100;\n"
               "UPDATE docs SET id = id + 1;\n")
    (tmp_path / "002.sql").write_text(updates)
    result = lint(str(tmp_path), "--format", "json")
    assert [(line, rule) for line, rule, _ in ours(result)] == [(1, "vector-full-update")]
    (tmp_path / "002.sql").write_text("TRUNCATE docs;\n" + updates)  # emptied first: nothing to rewrite
    assert "vector-full-update" not in {rule for _, rule, _ in ours(lint(str(tmp_path), "--format", "json"))}


def test_renames_carry_the_index_along(tmp_path):
    renamed = ("ALTER TABLE docs RENAME COLUMN embedding TO vec;\n"
               "ALTER TABLE docs RENAME TO documents;\n"
               "ALTER TABLE documents ALTER COLUMN vec TYPE vector(4096);\n")
    result = lint(folder(tmp_path, BASE, renamed), "--format", "json")
    assert (3, "vector-index-dimensions", "critical") in ours(result)


def test_an_index_on_a_column_added_in_the_same_migration_is_a_warning_not_critical(tmp_path):
    added = ("ALTER TABLE docs ADD COLUMN summary_embedding vector(3);\n"
             "CREATE INDEX docs_summary ON docs USING hnsw (summary_embedding vector_l2_ops);\n")
    result = lint(folder(tmp_path, BASE, added), "--format", "json")
    (finding,) = [f for f in result.json if f["rule"] == "vector-index-not-concurrent"]
    assert finding["severity"] == "warning" and "only NULLs" in finding["message"]
    filled = added.replace("vector(3);", "vector(3);\nUPDATE docs SET summary_embedding = embedding;")
    (tmp_path / "002.sql").write_text(filled)
    (finding,) = [f for f in lint(str(tmp_path), "--format", "json").json if f["rule"] == "vector-index-not-concurrent"]
    assert finding["severity"] == "critical"


def test_varbit_with_bit_hamming_ops_fails_and_is_reported(tmp_path, db):
    sql = ["CREATE TABLE codes (id int, sig varbit(64))",
           "CREATE INDEX ON codes USING hnsw (sig bit_hamming_ops)"]
    path = tmp_path / "varbit.sql"
    path.write_text(";\n".join(sql) + ";\n")
    (finding,) = [f for f in lint(str(path), "--format", "json").json if f["rule"] == "vector-opclass-mismatch"]
    assert finding["line"] == 2 and "bit varying" in finding["message"]
    assert "type not supported" in fails_on_server(db, *sql)


@pytest.mark.parametrize("header, flagged", [("-- +goose Up\n", True), ("-- +goose NO TRANSACTION\n-- +goose Up\n", False)])
def test_goose_files_run_in_a_transaction_unless_they_say_not_and_their_down_section_is_skipped(
        tmp_path, header, flagged):
    path = tmp_path / "00042_index.sql"
    path.write_text(header + "CREATE INDEX CONCURRENTLY docs_e ON docs USING hnsw (embedding vector_l2_ops);\n"
                    "-- +goose Down\nDROP INDEX docs_e;\nALTER TABLE docs DROP COLUMN embedding;\n")
    rules = {f["rule"] for f in lint(str(path), "--format", "json").json}
    assert ("ban-concurrent-index-creation-in-transaction" in rules) is flagged
    assert not {"require-concurrent-index-deletion", "ban-drop-column"} & rules


def test_do_blocks_are_read_and_run_time_sql_is_named(tmp_path):
    path = tmp_path / "do.sql"
    path.write_text("DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'a') THEN\n"
                    "    EXECUTE 'CREATE INDEX a ON docs USING hnsw (embedding vector_l2_ops)';\n"
                    "    EXECUTE format('CREATE INDEX %I ON docs USING hnsw (embedding vector_l2_ops)', 'b');\n"
                    "  END IF;\nEND $$;\n")
    result = lint(str(path), "--format", "json")
    got = {(f["line"], f["rule"], f["severity"]) for f in result.json}
    assert (4, "vector-index-not-concurrent", "critical") in got  # EXECUTE of a constant string
    assert (5, "dynamic-sql-not-checked", "info") in got
    # an ignore comment before the DO statement covers what is inside it
    path.write_text("-- apexdb: ignore vector-index-not-concurrent docs holds 12 rows\n" + path.read_text())
    assert "vector-index-not-concurrent" not in {f["rule"] for f in lint(str(path), "--format", "json").json}


def test_an_index_whose_metric_the_queries_do_not_use_is_reported(tmp_path):
    queries = tmp_path / "queries.sql"
    queries.write_text("SELECT id FROM docs d WHERE d.id > 0 ORDER BY d.embedding <=> $1 LIMIT 10;\n"
                       "SELECT id FROM other ORDER BY embedding <-> $1 LIMIT 5;\n")
    migrations = tmp_path / "m"
    migrations.mkdir()
    (migrations / "001.sql").write_text(
        "CREATE TABLE docs (id bigint PRIMARY KEY, embedding vector(3));\n"
        "CREATE INDEX docs_l2 ON docs USING hnsw (embedding vector_l2_ops);\n"
        "CREATE INDEX docs_cos ON docs USING hnsw (embedding vector_cosine_ops);\n")
    result = lint(str(migrations), "--queries", str(queries), "--format", "json")
    found = [(f["line"], f["severity"]) for f in result.json if f["rule"] == "vector-opclass-metric"]
    assert found == [(2, "warning")]
    (finding,) = [f for f in result.json if f["rule"] == "vector-opclass-metric"]
    assert "<=> (cosine)" in finding["message"] and "vector_cosine_ops" in finding["fix"]
    without = lint(str(migrations), "--format", "json")
    assert "vector-opclass-metric" not in {f["rule"] for f in without.json}
    missing = lint(str(migrations), "--queries", str(tmp_path / "nope.sql"))
    assert missing.exit_code == 2 and "--queries" in missing.stderr


def test_the_live_workload_in_pg_stat_statements_counts_as_the_projects_queries(tmp_path, db):
    from support import run_cli

    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, embedding vector(3))")
    db.sql("INSERT INTO docs SELECT g, ARRAY[g, 1, 1]::vector FROM generate_series(1, 20) g")
    for _ in range(3):
        db.sql("SELECT id FROM docs ORDER BY embedding <#> '[1,2,3]' LIMIT 5")
    path = tmp_path / "index.sql"
    path.write_text("CREATE INDEX CONCURRENTLY docs_cos ON docs USING hnsw (embedding vector_cosine_ops);\n"
                    "CREATE INDEX CONCURRENTLY docs_ip ON docs USING hnsw (embedding vector_ip_ops);\n")
    result = run_cli(["migrate", "lint", str(path), "--format", "json", "--dsn", db.dsn])
    found = [(f["line"], f["message"]) for f in result.json if f["rule"] == "vector-opclass-metric"]
    assert [line for line, _ in found] == [1] and "<#> (ip)" in found[0][1], result
