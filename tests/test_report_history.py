"""apexdb report with history: statements' mean time per snapshot and their change, tables and indexes
growing over snapshots, and a stored tune result drawn as its recall/latency curve."""
from __future__ import annotations

import re

import pytest
from psycopg.conninfo import make_conninfo

from apexdb.ops import history
from support import make_report_database, run_cli, tune_and_store, with_history_database
from support.history import conn_of
from support.html_page import section_html, section_rows, section_text


@pytest.fixture
def with_history(db):
    with_history_database(db)
    return db


def test_history_draws_statement_series_and_growth(with_history, apex, tmp_path):
    path = tmp_path / "r.html"
    r = apex("report", "--html", path, "--format", "json", "--top", "500")  # every statement, whatever leads
    assert r.exit_code == 0, r
    assert r.json["history"] is True and r.json["statements_with_history"] >= 1
    page = path.read_text()
    assert "3 snapshot(s) in schema apexdb_history" in page
    assert "No history yet" not in page

    # The search: a sparkline of its mean time, and calls in each half of the window (10, then 30).
    statements = section_html(page, "statements")
    row = next(r for r in section_rows(page, "statements") if "ORDER BY embedding <=>" in r[1])
    assert "calls 10 → 30" in row[-1], row
    search_row = statements[statements.index("ORDER BY embedding &lt;=&gt;"):]
    search_row = search_row[:search_row.index("</tr>")]
    assert '<svg class="spark"' in search_row

    # Growth: orders grew in both intervals; the chart of tables and of indexes, and the figures.
    sizes = section_html(page, "sizes")
    assert sizes.count('<svg class="chart time"') == 2
    orders = next(r for r in section_rows(page, "sizes") if r[0] == "public.orders")
    before, after = re.search(r"([\d.]+ \w?B) → ([\d.]+ \w?B) \(\+\d+%\)", orders[6]).groups()
    assert before != after, orders
    tables_chart = sizes[sizes.index('<svg class="chart time"'):sizes.index("</svg>")]
    assert ">public.orders</text>" in tables_chart and ">public.items</text>" in tables_chart  # the legend
    assert tables_chart.count('class="series"') >= 2  # items did not grow: still drawn, flat


def test_a_stored_tune_result_is_drawn_as_its_curve(with_history, apex, tmp_path):
    tuned = tune_and_store(with_history)
    path = tmp_path / "r.html"
    r = apex("report", "--html", path, "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["tune_results"] == 1
    page = path.read_text()
    vectors = section_html(page, "vectors")
    assert vectors.count('<svg class="chart tune"') == 1
    assert 'class="series recall"' in vectors and 'class="series latency"' in vectors
    assert "hnsw.ef_search" in section_text(page, "vectors")
    assert "OPTIMISTIC" in section_text(page, "vectors")  # --fast measured rows of the index
    assert tuned["recommended"] is not None, tuned  # 0.9 of rows of the index: reached at once
    assert f"picked {tuned['recommended']}" in vectors and 'class="picked"' in vectors
    assert "No stored tune result" not in page


def test_history_installed_without_snapshots_says_so(db, apex, tmp_path):
    make_report_database(db)
    conn = conn_of(db)
    history.install(conn)
    conn.close()
    path = tmp_path / "r.html"
    assert apex("report", "--html", path).exit_code == 0
    page = path.read_text()
    assert "0 snapshot(s) in schema apexdb_history" in page
    assert "No history yet" not in page
    assert "<svg" not in section_html(page, "sizes")


def test_a_pg_monitor_role_gets_the_page_and_is_told_it_may_not_read_history(with_history, tmp_path):
    db = with_history
    name, password = f"{db.name}_monitor", "pw-monitor-secret"
    db.sql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}' IN ROLE pg_monitor")
    dsn = make_conninfo(db.dsn, user=name, password=password)
    path = tmp_path / "r.html"
    try:
        r = run_cli(["report", "--html", path], env={"APEXDB_DSN": dsn})
        assert r.exit_code == 0, r
        page = path.read_text()
        assert "permission denied for schema apexdb_history" in section_text(page, "statements")
        assert "not readable by this role" in page
        assert any(row[0] == "duplicate_index" for row in section_rows(page, "audit"))
        assert "public.items_ann" in section_text(page, "vectors")
        db.sql(f'GRANT USAGE ON SCHEMA apexdb_history TO "{name}"')
        db.sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA apexdb_history TO "{name}"')
        r = run_cli(["report", "--html", path], env={"APEXDB_DSN": dsn})
        assert r.exit_code == 0, r
        assert "3 snapshot(s) in schema apexdb_history" in path.read_text()
    finally:
        db.sql(f'DROP OWNED BY "{name}"')
        db.sql(f'DROP ROLE "{name}"')
