"""apexdb report --html FILE on a real database: what the page says (audit, statements, sizes, vector
indexes), that it escapes what the database holds, loads nothing, changes nothing, and that a path
it cannot write is refused before anything is gathered and leaves no file behind."""
from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from support import (REPORT_SCRIPT_ALIAS as SCRIPT_ALIAS, REPORT_SEARCHES as SEARCHES, catalog_fingerprint,
                     make_report_database, one_clear_line, run_cli)
from support.html_page import external_loads, section_rows, section_text

UNREACHABLE = "postgresql://u:secret@127.0.0.1:1/db?connect_timeout=1"


@pytest.fixture
def busy(db):
    make_report_database(db)
    return db


def report(apex, path: Path, *args: str):
    r = apex("report", "--html", path, *args)
    assert r.exit_code == 0, r
    return path.read_text(encoding="utf-8")


def test_the_page_shows_the_audit_statements_sizes_and_vector_indexes(busy, apex, tmp_path):
    before = catalog_fingerprint(busy.dsn)
    # --top large enough for every statement: which ones lead by total time is up to the machine's speed.
    page = report(apex, tmp_path / "report.html", "--top", "500")
    assert catalog_fingerprint(busy.dsn) == before, "the report changed the database"

    # The header names the server and database.
    assert "PostgreSQL 18" in page and busy.name in page

    # The audit: the duplicate index with its fix, under its severity.
    audit_rows = section_rows(page, "audit")
    dup = [row for row in audit_rows if row[0] == "duplicate_index"
           and row[1] in ("public.orders_customer", "public.orders_customer_dup")]
    assert dup and f"DROP INDEX CONCURRENTLY {dup[0][1]}" in dup[0][3], audit_rows
    assert re.search(r'class="badge warning">\d+ warning</span>', page)

    # Top statements: the workload's search with its call count, its text escaped.
    rows = section_rows(page, "statements")
    search = [row for row in rows if "ORDER BY embedding <=>" in row[1] and "items" in row[1]]
    assert search, rows
    assert search[0][2] == str(SEARCHES)
    assert html.escape(SCRIPT_ALIAS) in page
    assert "<script" not in page.lower()

    # Sizes: both tables and their indexes, with sizes.
    sizes = section_rows(page, "sizes")
    tables = {row[0]: row for row in sizes}
    assert "public.items" in tables and "public.orders" in tables
    assert re.fullmatch(r"\d+(\.\d)? (kB|MB)", tables["public.orders"][1]), tables["public.orders"]
    assert "public.items_ann" in tables and "public.orders_customer_dup" in tables

    # The vector index with its parameters and scans; no tune result, so it says how to get one.
    vectors = section_text(page, "vectors")
    assert "public.items_ann" in vectors and "m=16, ef_construction=64" in vectors
    assert "No stored tune result" in vectors and "apexdb tune public.items embedding" in vectors

    # Self-contained: nothing to load, and a policy that would refuse it anyway.
    assert external_loads(page) == []
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_the_audit_on_the_page_is_what_audit_all_finds(busy, apex, tmp_path):
    """Same engine, same thresholds: the findings of `audit all` are the page's (bar the statement-driven
    ones, which the report's own reads can change between the two runs)."""
    workload_checks = {"query_index", "query_plan", "query_vector"}
    audit = apex("audit", "all", "--format", "json", "--fail-on", "critical")
    assert audit.exit_code in (0, 1), audit
    expected = {(f["severity"], f["check"], f["object"]) for f in audit.json["findings"]
                if f["check"] not in workload_checks}
    page = report(apex, tmp_path / "r.html")
    shown = {(row[0], row[1]) for row in section_rows(page, "audit")
             if len(row) == 4 and row[0] != "check" and row[0] not in workload_checks}
    assert {(c, o) for _, c, o in expected} == shown
    for severity in ("critical", "warning", "info"):  # the badges count what audit all counts
        count = sum(1 for s, _, _ in expected if s == severity)
        badge = int(re.search(rf'class="badge {severity}">(\d+) {severity}</span>', page).group(1))
        assert badge >= count
    assert expected, "the fixture should have findings"


def test_thresholds_from_the_config_file_reach_the_page(busy, apex, tmp_path):
    config = tmp_path / "apexdb.toml"
    config.write_text('[audit]\nexclude = ["duplicate_index"]\n')
    r = apex("report", "--html", tmp_path / "r.html", env={"APEXDB_CONFIG": str(config)})
    assert r.exit_code == 0, r
    page = (tmp_path / "r.html").read_text()
    assert "duplicate_index" not in section_text(page, "audit")
    r = apex("report", "--html", tmp_path / "r.html", "--threshold", "unused_index_min_bytes=0")
    assert r.exit_code == 0, r
    assert "duplicate_index" in section_text((tmp_path / "r.html").read_text(), "audit")


def test_json_summary_names_the_file_and_its_size(busy, apex, tmp_path):
    path = tmp_path / "r.html"
    r = apex("report", "--html", path, "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    assert doc["html"] == str(path) and doc["bytes"] == path.stat().st_size
    assert doc["vector_indexes"] == 1 and doc["tune_results"] == 0 and doc["history"] is False
    assert doc["findings"]["warning"] >= 1 and doc["statements"] >= 1


def test_without_pg_stat_statements_the_section_says_why(busy, apex, tmp_path):
    busy.sql("DROP EXTENSION pg_stat_statements")
    page = report(apex, tmp_path / "r.html")
    assert "CREATE EXTENSION pg_stat_statements" in section_text(page, "statements")


# -- paths that cannot be written: refused first, one line, exit 2, nothing left behind --------------------

def _denied_path(tmp_path: Path) -> Path:
    """A file in a directory this process may not create files in: a read-only directory, or for root
    (whom permissions do not stop) sysfs, which refuses new files to everyone."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        return locked / "r.html"
    return Path("/sys/apexdb-report-test.html")


@pytest.mark.parametrize("case", ["missing directory", "a directory", "permission denied"])
def test_a_report_path_that_cannot_be_written(case, tmp_path):
    path = {"missing directory": tmp_path / "no" / "such" / "r.html", "a directory": tmp_path,
            "permission denied": _denied_path(tmp_path)}[case]
    word = {"missing directory": "does not exist", "a directory": "is a directory",
            "permission denied": "permission denied"}[case]
    before = sorted(os.listdir(tmp_path))
    # An unreachable server: the path is checked first, so the answer is about the path (2), not the server (3).
    r = run_cli(["report", "--html", path], env={"APEXDB_DSN": UNREACHABLE})
    assert r.exit_code == 2, r
    line = one_clear_line(r)
    assert "--html" in line and word in line.lower(), line
    assert sorted(os.listdir(tmp_path)) == before
    assert not path.exists() or path.is_dir()


def test_a_failed_run_keeps_the_old_page_and_leaves_no_temporary_file(busy, apex, tmp_path):
    path = tmp_path / "r.html"
    path.write_text("the old report")
    r = run_cli(["report", "--html", path], env={"APEXDB_DSN": UNREACHABLE})
    assert r.exit_code == 3, r
    assert "cannot connect" in one_clear_line(r)
    assert path.read_text() == "the old report"
    assert os.listdir(tmp_path) == ["r.html"]
    page = report(apex, path)  # and a run that works replaces it whole
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert os.listdir(tmp_path) == ["r.html"]


@pytest.mark.parametrize("argv,word", [
    (["--since", "lately"], "--since"), (["--since", "0"], "--since"), (["--top", "0"], "--top"),
    (["--threshold", "nope=1"], "nope"), (["--exclude", "no_such_check"], "no_such_check"),
    (["--format", "yaml"], "format"),
], ids=["since-not-a-duration", "since-zero", "top-zero", "unknown-threshold", "unknown-check", "format"])
def test_bad_options_are_one_line_and_write_nothing(apex, tmp_path, argv, word):
    path = tmp_path / "r.html"
    r = apex("report", "--html", path, *argv)
    assert r.exit_code == 2, r
    assert word in one_clear_line(r)
    assert os.listdir(tmp_path) == []


def test_html_is_required(apex):
    r = apex("report")
    assert r.exit_code == 2
    assert "--html" in one_clear_line(r)
