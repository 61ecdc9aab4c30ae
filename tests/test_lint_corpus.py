"""`apexdb migrate lint` on real public migrations (tests/fixtures/lint_corpus, or the folder
APEXDB_LINT_CORPUS names; its README lists each file's repository, path, commit and licence --
the files themselves are third-party and are not committed, so these tests skip without them;
tests/test_lint_scripts.py covers the same classes on fixtures of our own): every file yields
findings and nothing aborts the run; psql meta-commands, extension
placeholders, dbmate down sections and DO blocks are read as their runners read them; the hazards
in those files are found; and pgvector's own regression outputs agree with every "the build
fails" finding."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from support import lint

CORPUS = Path(os.environ.get("APEXDB_LINT_CORPUS") or Path(__file__).parent / "fixtures" / "lint_corpus")
EXPECTED = CORPUS.parent / "lint_corpus_expected"
pytestmark = pytest.mark.skipif(len(list(CORPUS.rglob("*.sql"))) < 40,
                                reason=f"the real-migration corpus is not at {CORPUS} (see its README.md)")
BUILD_FAILS = ("vector-index-dimensions", "vector-opclass-mismatch", "vector-index-parameters",
               "hnsw-ef-construction")
STYLE_PREFIX = "prefer-"


@pytest.fixture(scope="module")
def corpus():
    from apexdb import errors

    # the process-wide secret scrubber keeps passwords other tests used ("secret"), and one file
    # here is named incremental-002-secret_permissions.sql
    saved = set(errors._SECRETS)
    errors._SECRETS.clear()
    try:
        result = lint(str(CORPUS), "--format", "json")
    finally:
        errors._SECRETS.update(saved)
    assert result.exit_code == 1, result  # findings, not a crash
    return result


def in_file(result, name: str) -> list[dict]:
    return [f for f in result.json if f["source"] == str(CORPUS / name)]


def test_every_real_file_yields_findings_and_nothing_aborts(corpus):
    files = sorted(CORPUS.rglob("*.sql"))
    assert len(files) >= 40
    assert "Traceback" not in corpus.stderr
    assert {f["source"] for f in corpus.json} == {str(p) for p in files}
    assert re.search(rf" in {len(files)} files \(", corpus.stderr), corpus.stderr
    assert not [f for f in corpus.json if f["rule"] in ("not-linted", "squawk-failed")]


@pytest.mark.parametrize("name", ["pgvector/vector--0.7.4--0.8.0.sql",  # \echo ... \quit
                                  "pgvector/copy.sql",  # \copy
                                  "pgai/idempotent-017-voyageai.sql",  # @extschema:vector@
                                  "pgai/idempotent-904-semantic-catalog-search.sql"])
def test_psql_meta_commands_and_extension_placeholders_are_read_as_their_runner_reads_them(corpus, name):
    findings = in_file(corpus, name)
    assert findings
    assert not [f for f in findings if f["rule"] in ("unparsed-statement", "syntax-error")], findings


def test_a_fragment_that_is_not_sql_costs_its_statements_not_the_file(corpus):
    # pgai's incremental files are bodies of a DO block its build wraps them in: `perform` at top level
    findings = in_file(corpus, "pgai/incremental-002-secret_permissions.sql")
    unparsed = [f for f in findings if f["rule"] == "unparsed-statement"]
    assert [(f["line"], f["severity"]) for f in unparsed] == [(7, "warning")]
    assert '"perform"' in unparsed[0]["message"]
    assert any(f["line"] == 1 for f in findings)  # the CREATE TABLE before it was linted


@pytest.mark.parametrize("name, line, rule, severity, words", [
    ("personal-rag/0005_foamy_exiles.sql", 3, "vector-index-parameters", "critical", "no option 'list'"),
    ("betabase/create-hnsw-index.sql", 15, "vector-index-not-concurrent", "critical", "inside the DO block at line 5"),
    ("bitdash/0002_create-ivfflat-index.sql", 1, "vector-index-not-concurrent", "critical", "existing table embeddings"),
    ("betabase/supabase-001_aoma_vector_store.sql", 25, "ivfflat-empty-table", "warning", "aoma_unified_vectors"),
    ("pgvector/hnsw_bit.sql", 32, "vector-opclass-mismatch", "critical", "bit varying"),
    # the column was added two lines earlier: all NULL, so the build reads the table but indexes nothing
    ("engineq/20250403100150_alter_table__tracks.sql", 5, "vector-index-not-concurrent", "warning", "only NULLs"),
    ("betabase/migrate-to-gemini-768.sql", 16, "vector-dimension-change", "critical", "USING NULL empties"),
])
def test_hazards_in_real_files_are_found(corpus, name, line, rule, severity, words):
    found = [f for f in in_file(corpus, name) if f["rule"] == rule and f["line"] == line]
    assert len(found) == 1, in_file(corpus, name)
    assert found[0]["severity"] == severity and words in found[0]["message"] + found[0]["fix"]


def test_a_dbmate_down_section_is_not_linted_as_forward_sql(corpus):
    path = CORPUS / "engineq/20250403100150_alter_table__tracks.sql"
    down = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "migrate:down" in text)
    findings = in_file(corpus, "engineq/20250403100150_alter_table__tracks.sql")
    assert findings and all(f["line"] < down for f in findings), findings
    # the DROP INDEX / DROP COLUMN of the down section would be squawk findings if it were read
    assert not {"ban-drop-column", "require-concurrent-index-deletion"} & {f["rule"] for f in findings}


def test_dynamic_sql_in_do_blocks_is_listed_as_not_checked(corpus):
    findings = [f for f in in_file(corpus, "pgai/incremental-020-divest.sql") if f["rule"] == "dynamic-sql-not-checked"]
    assert findings and all(f["severity"] == "info" for f in findings)
    assert any("EXECUTE format(" in f["message"] for f in findings)


def test_the_default_profile_keeps_style_out_of_the_failures(corpus):
    failing = [f for f in corpus.json if f["severity"] in ("warning", "critical")]
    assert not [f for f in failing if f["rule"].startswith(STYLE_PREFIX)]
    assert any(f["rule"].startswith(STYLE_PREFIX) and f["severity"] == "info" for f in corpus.json)
    strict = lint(str(CORPUS), "--format", "json", "--profile", "strict")
    strict_failing = {f["source"] for f in strict.json if f["severity"] != "info"}
    assert len({f["source"] for f in failing}) < len(strict_failing)
    assert any(f["rule"].startswith(STYLE_PREFIX) and f["severity"] == "warning" for f in strict.json)


@pytest.mark.parametrize("name", ["hnsw_vector", "ivfflat_vector", "hnsw_bit", "ivfflat_bit", "hnsw_halfvec"])
def test_every_build_fails_finding_matches_an_error_in_pgvectors_own_expected_output(corpus, name):
    """pgvector's regression output shows which statements fail; each one our rules call failing
    must be one of them, and each failing ANN CREATE INDEX must be flagged."""
    sql_lines = (CORPUS / "pgvector" / f"{name}.sql").read_text().splitlines()
    out_lines = (EXPECTED / f"{name}.out").read_text().splitlines()
    failing_statements = {out_lines[i - 1].strip() for i, text in enumerate(out_lines)
                          if text.startswith("ERROR:") and i > 0}
    flagged = {sql_lines[f["line"] - 1].strip() for f in in_file(corpus, f"pgvector/{name}.sql")
               if f["rule"] in BUILD_FAILS}
    assert flagged, name
    assert flagged <= failing_statements, flagged - failing_statements
    index_errors = {s for s in failing_statements if s.startswith("CREATE INDEX") and "USING" in s}
    assert index_errors <= flagged, index_errors - flagged
