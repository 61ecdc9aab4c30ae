"""`apexdb migrate lint` as a user meets it: ignore comments, --fail-on exit codes, the JSON
shape, squawk's findings, transactions, the server's version, bad input, and apexdb's own
migrations linting clean."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from support import LINT_KEYS, LINT_PROJECT, LINT_SQL, lint, run_cli


REPO = Path(__file__).resolve().parent.parent


def write(tmp_path, text: str, name: str = "m.sql") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def rules_of(result) -> list[tuple[int, str]]:
    return [(f["line"], f["rule"]) for f in result.json]


# -- ignore comments ------------------------------------------------------------------------

def test_an_ignore_comment_with_a_reason_silences_its_rule_on_its_statement_only(tmp_path):
    path = write(tmp_path,
                 "-- apexdb: ignore vector-index-not-concurrent: items is a 10-row lookup table\n"
                 "CREATE INDEX items_a ON items USING hnsw (embedding vector_l2_ops);\n"
                 "CREATE INDEX items_b ON items USING hnsw (embedding vector_ip_ops);"
                 "  -- apexdb: ignore vector-index-not-concurrent, ban-drop-column same table, same reason\n"
                 "CREATE INDEX items_c ON items USING hnsw (embedding vector_cosine_ops);\n")
    result = lint(path, "--format", "json")
    flagged = [line for line, rule in rules_of(result) if rule == "vector-index-not-concurrent"]
    assert flagged == [4]  # the two ignored statements are silent, the third is not
    unused = [f for f in result.json if f["rule"] == "unused-ignore"]
    assert [(f["line"], f["severity"]) for f in unused] == [(3, "info")]  # ban-drop-column matched nothing
    assert "ban-drop-column" in unused[0]["message"]


def test_an_ignore_without_a_reason_is_itself_a_warning(tmp_path):
    path = write(tmp_path, "-- apexdb: ignore vector-index-not-concurrent\n"
                           "CREATE INDEX items_a ON items USING hnsw (embedding vector_l2_ops);\n")
    result = lint(path, "--format", "json")
    assert result.exit_code == 1
    assert (1, "ignore-without-reason") in rules_of(result)
    assert "vector-index-not-concurrent" not in {r for _, r in rules_of(result)}  # still silenced


def test_ignore_file_covers_every_statement_and_an_ignored_revision_lints_clean(tmp_path):
    path = write(tmp_path, "-- apexdb: ignore-file vector-index-not-concurrent tables are empty until launch\n"
                           "CREATE INDEX a ON items USING hnsw (embedding vector_l2_ops);\n"
                           "CREATE INDEX b ON docs USING hnsw (embedding vector_l2_ops);\n")
    assert "vector-index-not-concurrent" not in {r for _, r in rules_of(lint(path, "--format", "json"))}
    # l08 breaks prefer-identity (Python comment) and vector-index-not-concurrent (SQL comment), both explained
    result = lint("l08_ignored", "--config", str(LINT_PROJECT / "alembic.ini"))
    assert result.exit_code == 0, result
    assert "no findings in 1 revision" in result.stdout


# -- --fail-on and exit codes ---------------------------------------------------------------

def test_fail_on_sets_the_exit_code(tmp_path):
    warning_only = write(tmp_path, "CREATE TABLE t (id bigint PRIMARY KEY, e vector(3));\n"
                                   "CREATE INDEX t_e ON t USING ivfflat (e vector_l2_ops);\n", "w.sql")
    severities = {f["severity"] for f in lint(warning_only, "--format", "json", "--assume-in-transaction").json}
    assert severities == {"warning"}
    assert lint(warning_only, "--assume-in-transaction").exit_code == 1
    assert lint(warning_only, "--assume-in-transaction", "--fail-on", "critical").exit_code == 0
    info_only = write(tmp_path, "-- apexdb: ignore hnsw-ef-construction nothing to ignore any more\n"
                                "SELECT 1;\n", "i.sql")
    result = lint(info_only)
    assert result.exit_code == 0 and "unused-ignore" in result.stdout
    assert lint(info_only, "--fail-on", "info").exit_code == 1
    bad = lint(info_only, "--fail-on", "error")
    assert bad.exit_code == 2 and "--fail-on" in bad.stderr


def test_the_table_names_each_finding_and_the_summary_goes_to_stderr(tmp_path):
    path = write(tmp_path, "CREATE INDEX items_a ON items USING hnsw (embedding vector_l2_ops);\n")
    result = lint(path)
    assert result.exit_code == 1
    header = result.stdout.splitlines()[0].split()
    assert header == ["file", "line", "rule", "severity", "message", "fix"]
    assert "vector-index-not-concurrent" in result.stdout and "CONCURRENTLY" in result.stdout
    assert re.search(r"\d+ findings? in 1 file .*at or above warning", result.stderr)
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")


# -- JSON ------------------------------------------------------------------------------------

def test_json_is_a_list_of_objects_with_the_documented_keys(tmp_path):
    result = lint("l02_blocking_hnsw:l07_dimension_change", "--config", str(LINT_PROJECT / "alembic.ini"),
                  "--format", "json")
    assert result.exit_code == 1
    findings = result.json
    assert isinstance(findings, list) and len(findings) >= 6
    for f in findings:
        assert set(f) == LINT_KEYS
        assert isinstance(f["line"], int) and f["line"] >= 1
        assert f["severity"] in ("info", "warning", "critical")
    clean = lint(write(tmp_path, "SELECT 1;\n"), "--format", "json")
    assert clean.exit_code == 0 and clean.json == []


# -- squawk, transactions, versions -------------------------------------------------------------

def test_squawk_findings_appear_with_squawks_advice(tmp_path):
    path = write(tmp_path, "ALTER TABLE accounts ADD COLUMN flag boolean NOT NULL;\n"
                           "ALTER TABLE accounts DROP COLUMN legacy;\n")
    result = lint(path, "--format", "json")
    by_rule = {f["rule"]: f for f in result.json}
    assert "adding-required-field" in by_rule and by_rule["adding-required-field"]["line"] == 1
    assert by_rule["adding-required-field"]["fix"]  # squawk's help text becomes the fix
    assert "ban-drop-column" in by_rule and by_rule["ban-drop-column"]["line"] == 2
    assert "require-lock-timeout" in by_rule  # a plain file gets no runner-set timeouts


def test_squawk_rules_can_be_ignored_the_same_way(tmp_path):
    path = write(tmp_path, "-- apexdb: ignore ban-drop-column the column was unused since v2 and is gone from code\n"
                           "ALTER TABLE accounts DROP COLUMN legacy;\n")
    assert "ban-drop-column" not in {r for _, r in rules_of(lint(path, "--format", "json"))}


def test_the_linter_knows_which_statements_run_in_a_transaction(tmp_path):
    inside = write(tmp_path, "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a ON items USING hnsw "
                             "(embedding vector_l2_ops);\nCOMMIT;\n", "in.sql")
    assert (2, "ban-concurrent-index-creation-in-transaction") in rules_of(lint(inside, "--format", "json"))
    outside = write(tmp_path, "CREATE INDEX CONCURRENTLY IF NOT EXISTS a ON items USING hnsw "
                              "(embedding vector_l2_ops);\n", "out.sql")
    assert "ban-concurrent-index-creation-in-transaction" not in {r for _, r in rules_of(lint(outside, "--format", "json"))}
    assumed = lint(outside, "--format", "json", "--assume-in-transaction")
    assert "ban-concurrent-index-creation-in-transaction" in {r for _, r in rules_of(assumed)}
    # a blocking build inside a transaction holds its lock until COMMIT, and says so
    blocking = write(tmp_path, "BEGIN;\nCREATE INDEX a ON items USING hnsw (embedding vector_l2_ops);\nCOMMIT;\n",
                     "blk.sql")
    message = [f["message"] for f in lint(blocking, "--format", "json").json
               if f["rule"] == "vector-index-not-concurrent"][0]
    assert "until COMMIT" in message


def test_pg_version_reaches_squawk(tmp_path):
    path = write(tmp_path, "ALTER TABLE accounts ADD COLUMN n bigint DEFAULT 0;\n")
    old = {r for _, r in rules_of(lint(path, "--format", "json", "--pg-version", "10"))}
    new = {r for _, r in rules_of(lint(path, "--format", "json", "--pg-version", "18"))}
    assert "adding-field-with-default" in old and "adding-field-with-default" not in new
    assert lint(path, "--pg-version", "eighteen").exit_code == 2


def test_a_folder_of_sql_files_is_linted_file_by_file():
    result = lint(str(LINT_SQL), "--format", "json")
    sources = {Path(f["source"]).name for f in result.json}
    assert sources == {"lint_002_index.sql"}  # 001 sets its timeouts, builds on its own new table: clean
    assert "in 2 files" in result.stderr
    # 002 indexes a table 001 created: a different migration, so the table already exists
    assert any(Path(f["source"]).name == "lint_002_index.sql" and f["rule"] == "vector-index-not-concurrent"
               for f in result.json)


# -- bad input -------------------------------------------------------------------------------

def test_a_missing_file_is_bad_input(tmp_path):
    result = lint(str(tmp_path / "nope.sql"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: no such file: {tmp_path / 'nope.sql'}"
    assert result.stdout == ""


@pytest.mark.parametrize("rng", ["nosuchrev", "l02_blocking_hnsw:nosuchrev", "deadbeef:"])
def test_an_unknown_revision_range_is_bad_input(rng):
    result = lint(rng, "--config", str(LINT_PROJECT / "alembic.ini"))
    assert result.exit_code == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert ("nosuchrev" if "nosuchrev" in rng else "deadbeef") in lines[0]
    assert "Traceback" not in result.stderr


def test_sql_that_does_not_parse_is_one_clear_line(tmp_path):
    path = write(tmp_path, "CREATE TABLE ok (id bigint);\n\nCREATE INDEX ON ok USING hnsw (e vector_l2_ops;\n")
    result = lint(path)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:3: cannot parse SQL: syntax error"), lines


def test_two_ranges_are_refused():
    result = lint("a:b", "c:d", "--config", str(LINT_PROJECT / "alembic.ini"))
    assert result.exit_code == 2 and "one revision range" in result.stderr


# -- apexdb's own migrations -------------------------------------------------------------------

def test_apexdbs_own_migrations_lint_clean(monkeypatch):
    monkeypatch.chdir(REPO)
    result = lint()
    assert result.exit_code == 0, result
    linted = re.search(r"in (\d+) revisions?", result.stderr)
    assert linted and int(linted.group(1)) >= 4, result.stderr


def test_a_script_comment_without_a_reason_is_reported_with_its_file(tmp_path):
    import shutil

    project = tmp_path / "proj"
    (project / "versions").mkdir(parents=True)
    shutil.copy(LINT_PROJECT / "env.py", project / "env.py")
    (project / "alembic.ini").write_text((LINT_PROJECT / "alembic.ini").read_text())
    (project / "versions" / "r1_notes.py").write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "r1"\ndown_revision = None\n\n'
        "# apexdb: ignore prefer-identity\n"
        "# apexdb: ignore ban-drop-table nothing is dropped here\n\n"
        'def upgrade():\n    op.create_table("notes", sa.Column("id", sa.BigInteger, primary_key=True))\n\n\n'
        "def downgrade():\n    pass\n")
    result = lint("--config", str(project / "alembic.ini"), "--format", "json")
    by_rule = {f["rule"]: f for f in result.json}
    assert "prefer-identity" not in by_rule  # silenced for the whole revision
    assert by_rule["ignore-without-reason"]["line"] == 7 and "r1_notes.py" in by_rule["ignore-without-reason"]["message"]
    assert by_rule["unused-ignore"]["line"] == 8 and by_rule["unused-ignore"]["severity"] == "info"
    assert result.exit_code == 1  # the reasonless ignore is a warning


def test_a_missing_alembic_config_is_bad_input(tmp_path):
    result = lint("--config", str(tmp_path / "nowhere" / "alembic.ini"))
    assert result.exit_code == 2 and "no Alembic config" in result.stderr


def test_the_projects_squawk_config_is_honoured(tmp_path):
    import shutil

    project = tmp_path / "proj"
    shutil.copytree(LINT_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    before = {f["rule"] for f in lint("l06_ivfflat_empty", "--config", str(project / "alembic.ini"),
                                       "--format", "json").json}
    assert "prefer-identity" in before
    (project / ".squawk.toml").write_text('excluded_rules = ["prefer-identity"]\n')
    after = {f["rule"] for f in lint("l06_ivfflat_empty", "--config", str(project / "alembic.ini"),
                                      "--format", "json").json}
    assert "prefer-identity" not in after and "ivfflat-empty-table" in after


def test_an_unreachable_server_only_costs_the_version(tmp_path):
    path = write(tmp_path, "SELECT 1;\n")
    result = run_cli(["migrate", "lint", path, "--dsn", "postgresql://lint@127.0.0.1:1/nowhere"])
    assert result.exit_code == 0, result
    assert "linting without the server's version" in result.stderr
