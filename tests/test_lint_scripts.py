"""Migration files as their runners read them (tests/fixtures/lint_scripts): psql meta-commands and
COPY data, extension and Flyway placeholders, dbmate down sections, Drizzle breakpoints and DO
blocks neither stop a file nor hide its hazards; and the text the server would see keeps every
line where it was."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apexdb.ops.lint.script_text import prepare
from support import lint

SCRIPTS = Path(__file__).parent / "fixtures" / "lint_scripts"


@pytest.fixture(scope="module")
def scripts():
    result = lint(str(SCRIPTS), "--format", "json")
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result
    return result


def findings(result, name: str) -> set[tuple[int, str, str]]:
    return {(f["line"], f["rule"], f["severity"]) for f in result.json if f["source"].endswith("/" + name)}


def test_every_file_of_the_folder_is_linted(scripts):
    assert {Path(f["source"]).name for f in scripts.json} == {p.name for p in SCRIPTS.glob("*.sql")}
    assert not [f for f in scripts.json if f["rule"] in ("unparsed-statement", "syntax-error", "not-linted")]


@pytest.mark.parametrize("name, expected", [
    # \echo ... \quit and @extschema@ / @extschema:vector@ / @extowner@ are the loader's, not SQL errors
    ("ext_upgrade.sql", {(9, "hnsw-ef-construction", "critical")}),
    # \set, COPY ... FROM stdin with its data lines, \copy, :'var', \i, a query ended by \gexec,
    # E'..\'..' and :row_limit: what follows them is still read, statement by statement
    ("psql_script.sql", {(12, "vector-index-not-concurrent", "critical"), (16, "vector-dimension-change", "critical")}),
    # ${flyway:defaultSchema} and ${dims}
    ("flyway_placeholders.sql", {(2, "ivfflat-empty-table", "warning")}),
    ("drizzle.sql", {(3, "vector-index-parameters", "critical"), (2, "vector-dimension-change", "critical")}),
    ("do_blocks.sql", {(6, "vector-index-not-concurrent", "critical"), (9, "ban-drop-column", "warning"),
                       (17, "dynamic-sql-not-checked", "info")}),
    # dbmate runs the up section in a transaction; the column is new, so the build indexes only NULLs
    ("dbmate.sql", {(3, "vector-index-not-concurrent", "warning")}),
])
def test_hazards_are_found_through_what_the_runner_removes(scripts, name, expected):
    assert expected <= findings(scripts, name), findings(scripts, name)


def test_the_dbmate_down_section_is_not_linted(scripts):
    got = findings(scripts, "dbmate.sql")
    assert all(line < 5 for line, _, _ in got), got
    inside = [f for f in scripts.json if f["source"].endswith("/dbmate.sql") and f["rule"] == "vector-index-not-concurrent"]
    assert "held until COMMIT" in inside[0]["message"]


def test_a_file_that_is_not_utf8_is_one_finding_and_the_others_are_linted(tmp_path):
    (tmp_path / "a.sql").write_bytes("SELECT 'caf\xe9';\n".encode("latin-1"))
    (tmp_path / "b.sql").write_text("CREATE INDEX i ON items USING hnsw (embedding vector_l2_ops);\n")
    result = lint(str(tmp_path), "--format", "json")
    by_file = {Path(f["source"]).name: f["rule"] for f in result.json if f["severity"] != "info"}
    assert by_file == {"a.sql": "not-linted", "b.sql": "vector-index-not-concurrent"}


def test_prisma_folders_are_found_under_the_migrations_folder(tmp_path):
    for stamp in ("20240101000000_init", "20240201000000_index"):
        (tmp_path / stamp).mkdir()
    (tmp_path / "20240101000000_init" / "migration.sql").write_text(
        'CREATE TABLE "Doc" (id text PRIMARY KEY, embedding vector(3));\n')
    (tmp_path / "20240201000000_index" / "migration.sql").write_text(
        'CREATE INDEX "Doc_embedding_idx" ON "Doc" USING hnsw (embedding vector_l2_ops);\n')
    result = lint(str(tmp_path), "--format", "json")
    flagged = [f for f in result.json if f["rule"] == "vector-index-not-concurrent"]
    assert len(flagged) == 1 and "20240201000000_index" in flagged[0]["source"]  # Doc existed by then


PIECES = ["SELECT 1;", "\\set x 1", "\\echo hi \\quit", "COPY t FROM stdin;\n1\t2\n\\.", "-- +goose Down",
          "-- migrate:up", "@extschema:vector@.vector(3)", "${flyway:defaultSchema}", ":'var'", "$$ a; \\b $$",
          "'it''s; \\x'", "/* c; \\d */", "\"q;\"", "\t", "\n", " "]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=20), st.lists(st.sampled_from(["", "\n", " "]), max_size=20))
def test_the_servers_view_keeps_every_offset_and_line(pieces, gaps):
    text = "".join(p + (gaps[i] if i < len(gaps) else "\n") for i, p in enumerate(pieces))
    clean = prepare(text).text
    assert len(clean) == len(text)
    assert [i for i, ch in enumerate(clean) if ch == "\n"] == [i for i, ch in enumerate(text) if ch == "\n"]
