"""The HTML report in a real browser (Debian's chromium, headless, over the DevTools protocol): it
renders with no console error and no request beyond the file, and its screenshot shows the charts.

Skipped with a one-line reason where chromium is missing; a failure under .ci/run, which installs it."""
from __future__ import annotations

from pathlib import Path

import pytest

from support import make_report_database, require_optional, tune_and_store, with_history_database
from support.browser import chromium_binary, near, png_colours, png_size, render_page

RECALL_GREEN, LATENCY_BLUE, SIZE_LINE = "#2b8a3e", "#1f6fb4", "#1f6fb4"


@pytest.fixture
def chromium():
    if chromium_binary() is None:
        require_optional("Debian's chromium is not installed (.ci/run installs chromium)")


def only_the_file(render, path: Path) -> list[str]:
    return [u for u in render.requests if u != path.resolve().as_uri()]


def test_the_browser_harness_sees_errors_failed_loads_and_requests(chromium, tmp_path):
    """The checks below can fail: a page with an error, an exception and a network load is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><svg class="chart" width="100" height="50"></svg>'
                    '<script>console.error("boom"); undefined_function();</script>'
                    '<img src="http://127.0.0.1:9/pixel.png"></body></html>')
    render = render_page(page, tmp_path)
    assert any("boom" in e for e in render.errors), render.errors
    assert any("undefined_function" in e for e in render.errors), render.errors
    assert "http://127.0.0.1:9/pixel.png" in only_the_file(render, page)
    assert render.charts and render.charts[0]["paths"] == []  # an empty chart has no drawn series


def test_a_report_without_history_renders_cleanly_and_says_how_to_start_one(chromium, db, apex, tmp_path):
    make_report_database(db)
    path = tmp_path / "report.html"
    assert apex("report", "--html", path, "--top", "500").exit_code == 0  # every statement, the search too
    render = render_page(path, tmp_path)
    assert render.errors == []
    assert only_the_file(render, path) == []
    width, height = png_size(render.screenshot)
    assert width >= 1000 and height > 1000
    assert "apexdb snapshot init" in render.text and "No stored tune result" in render.text
    assert "<script>alert('x')</script>" in render.text  # shown as text, not run


def test_the_content_policy_refuses_a_load_that_slips_into_a_report(chromium, db, apex, tmp_path):
    make_report_database(db)
    path = tmp_path / "report.html"
    assert apex("report", "--html", path).exit_code == 0
    path.write_text(path.read_text().replace("</main>", '<img src="http://127.0.0.1:9/pixel.png"></main>'))
    render = render_page(path, tmp_path)
    assert any("Content Security Policy" in e for e in render.errors), render.errors


def test_the_screenshot_shows_the_growth_and_tune_charts(chromium, db, apex, tmp_path):
    with_history_database(db)
    tune_and_store(db)
    path = tmp_path / "report.html"
    assert apex("report", "--html", path).exit_code == 0
    render = render_page(path, tmp_path)
    assert render.errors == []
    assert only_the_file(render, path) == []
    (tmp_path / "report.png").write_bytes(render.screenshot)  # kept with the test's files, for a person to look at
    width, height = png_size(render.screenshot)
    assert width >= 1000 and height > 1000

    kinds = sorted(c["cls"] for c in render.charts)
    assert kinds == ["chart time", "chart time", "chart tune"], render.charts
    for chart, shot in zip(render.charts, render.chart_shots):
        assert chart["width"] > 300 and chart["height"] > 150, chart  # laid out, not collapsed
        assert chart["paths"] and all(length > 50 for length in chart["paths"]), chart  # lines really drawn
        colours = png_colours(shot)
        assert len(colours) > 20, (chart["label"], len(colours))  # lines, text and anti-aliasing, not a blank box
        if chart["cls"] == "chart tune":
            assert near(colours, RECALL_GREEN) > 100 and near(colours, LATENCY_BLUE) > 50, chart["label"]
        else:
            assert near(colours, SIZE_LINE) > 100, chart["label"]
