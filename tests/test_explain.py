"""apexdb explain: the plan tree, the JSON document, findings that name the fix, and nothing changed."""
from __future__ import annotations

import pytest

ITEMS = """
CREATE TABLE items (id bigint PRIMARY KEY, category text, price int, embedding vector(3));
INSERT INTO items SELECT g, 'c' || (g % 100), g % 1000,
       ARRAY[sin(g), cos(g), sin(g * 0.5)]::vector FROM generate_series(1, 20000) g;
ANALYZE items;
"""


@pytest.fixture
def items(db):
    for statement in ITEMS.strip().split(";\n"):
        db.sql(statement)
    return db


def findings_of(result):
    assert result.exit_code == 0, result
    return result.json["findings"]


def test_json_document_has_exactly_the_documented_keys(apex, items):
    r = apex("explain", "SELECT * FROM items WHERE category = 'c7'", "--analyze", "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    assert set(doc) == {"plan", "findings", "planning_ms", "execution_ms"}
    assert doc["plan"]["Plan"]["Node Type"] == "Seq Scan"
    assert doc["plan"]["Plan"]["Actual Rows"] == 200
    assert doc["planning_ms"] > 0 and doc["execution_ms"] > 0
    for finding in doc["findings"]:
        assert set(finding) == {"severity", "node", "message", "fix"}


def test_selective_seq_scan_names_the_index_to_create(apex, items):
    found = findings_of(apex("explain", "SELECT * FROM items WHERE category = 'c7' AND price > 10",
                             "--analyze", "--format", "json"))
    scans = [f for f in found if "sequential scan read 20,000 rows to keep" in f["message"]]
    assert len(scans) == 1, found
    assert scans[0]["fix"] == "CREATE INDEX CONCURRENTLY items_category_price_idx ON public.items (category, price);"
    assert scans[0]["node"] == "#1 Seq Scan on items"
    # the same without --analyze: judged from the estimates
    found = findings_of(apex("explain", "SELECT * FROM items WHERE category = 'c7'", "--format", "json"))
    assert any("would read about 20,000 rows" in f["message"] for f in found), found


def test_selective_seq_scan_with_existing_index_says_analyze(apex, items):
    items.sql("CREATE INDEX ON items (price)")
    items.sql("SET enable_indexscan = off")  # a new session: does not reach the CLI's, the finding must still work
    found = findings_of(apex("explain", "SELECT * FROM items WHERE price = 5 OR price = 6", "--analyze",
                             "--format", "json"))
    # an OR: the index can serve it (bitmap), so no sequential-scan finding is expected
    assert not any("sequential scan read" in f["message"] for f in found), found


def test_tree_is_plain_text_when_piped(apex, items):
    r = apex("explain", "SELECT * FROM items i JOIN items j ON j.id = i.id + 1 WHERE i.category = 'c1'",
             "--analyze")
    assert r.exit_code == 0, r
    assert "\x1b[" not in r.stdout
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Plan: planning ")
    assert any(line.startswith("└── ") for line in lines)
    node_lines = [line for line in lines if "rows of est" in line]
    assert len(node_lines) >= 3  # one line per node, not wrapped
    assert any("◀ slowest" in line for line in node_lines)
    assert any("buffers hit" in line for line in node_lines)
    assert any("filter: (category = 'c1'::text)" in line and "removed 19,800 rows per loop" in line
               for line in lines)
    assert "Findings" in r.stdout and "CREATE INDEX CONCURRENTLY" in r.stdout


def test_markdown_and_csv(apex, items):
    r = apex("explain", "SELECT count(*) FROM items", "--analyze", "--format", "markdown")
    assert r.exit_code == 0 and r.stdout.startswith("```\nPlan:") and "### Findings" in r.stdout
    r = apex("explain", "SELECT count(*) FROM items", "--analyze", "--format", "csv")
    assert r.exit_code == 0 and r.stdout.startswith("id,node,")
    assert "Seq Scan on items" in r.stdout


@pytest.mark.parametrize("statement", ["DELETE FROM items WHERE id <= 10000",
                                       "UPDATE items SET price = -1",
                                       "WITH gone AS (DELETE FROM items RETURNING id) SELECT count(*) FROM gone",
                                       "INSERT INTO items SELECT g + 100000, 'x', 0, NULL FROM generate_series(1, 500) g"])
def test_writes_under_analyze_change_nothing(apex, items, statement):
    before = items.sql("SELECT count(*), sum(price) FROM items")
    r = apex("explain", statement, "--analyze", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["plan"]["Plan"]["Actual Loops"] == 1  # it really ran
    assert items.sql("SELECT count(*), sum(price) FROM items") == before
    r = apex("explain", statement, "--analyze")
    assert "ran and rolled back" in r.stdout.splitlines()[0]


def test_params_stdin_and_file(apex, items, tmp_path):
    r = apex("explain", "SELECT * FROM items WHERE id = $1 AND category LIKE 'c%'", "--param", "42",
             "--analyze", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["plan"]["Plan"]["Actual Rows"] == 1
    r = apex("explain", "-", "--format", "json", input="-- from stdin\nSELECT * FROM items WHERE id = 7;\n")
    assert r.exit_code == 0 and "Index Cond" in r.json["plan"]["Plan"], r
    sql_file = tmp_path / "q.sql"
    sql_file.write_text("SELECT count(*) FROM items;")
    r = apex("explain", "-f", sql_file, "--format", "json")
    assert r.exit_code == 0 and r.json["plan"]["Plan"]["Node Type"] == "Aggregate", r
    # $1 without a value: a generic plan (PostgreSQL 16+)
    r = apex("explain", "SELECT * FROM items WHERE id = $1")
    assert r.exit_code == 0 and "generic plan" in r.stdout, r


def test_settings_and_verbose(apex, items, db):
    db.sql(f'ALTER DATABASE "{db.name}" SET random_page_cost = 1.5')
    r = apex("explain", "SELECT * FROM items WHERE id < 10", "--settings", "--verbose", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["plan"]["Settings"]["random_page_cost"] == "1.5"
    assert r.json["plan"]["Plan"]["Schema"] == "public" and "Output" in r.json["plan"]["Plan"]
    r = apex("explain", "SELECT * FROM items WHERE id < 10", "--settings")
    assert "random_page_cost=1.5" in r.stdout.splitlines()[0]


def test_fail_on(apex, items):
    r = apex("explain", "SELECT * FROM items WHERE category = 'c7'", "--analyze", "--fail-on", "warning")
    assert r.exit_code == 1 and "finding" in r.stderr
    r = apex("explain", "SELECT * FROM items WHERE id = 1", "--analyze", "--fail-on", "warning")
    assert r.exit_code == 0, r


def test_tree_on_a_terminal_is_drawn_by_rich(items, monkeypatch):
    import io

    from apexdb.render.explain import show_explain
    from apexdb.db.connection import Target, connect
    from apexdb.ops.explain import ExplainOptions, explain
    from apexdb.render import Renderer

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    conn = connect(Target(items.dsn, "test", "test"))
    try:
        report = explain(conn, "SELECT * FROM items WHERE category = 'c7'", ExplainOptions(analyze=True))
        out = Renderer("table", stdout=Terminal(), stderr=io.StringIO())
        show_explain(out, report)
        text = out.stdout.getvalue()
        assert "\x1b[" in text and "\x1b[1;31mSeq Scan" in text  # the slowest node in bold red
        assert "└── " in text and "◀ slowest" in text
        monkeypatch.setenv("NO_COLOR", "1")
        out = Renderer("table", stdout=Terminal(), stderr=io.StringIO())
        show_explain(out, report)
        assert "\x1b[31m" not in out.stdout.getvalue() and "\x1b[1;31m" not in out.stdout.getvalue()
    finally:
        conn.close()


def test_explain_on_each_server_version(any_db):
    from support import run_cli

    any_db.sql("CREATE TABLE t (id int PRIMARY KEY, kind text)")
    any_db.sql("INSERT INTO t SELECT g, 'k' || (g % 200) FROM generate_series(1, 30000) g")
    any_db.sql("ANALYZE t")
    env = {"APEXDB_DSN": any_db.dsn}
    r = run_cli(["explain", "--analyze", "--buffers", "--format", "json",
                 "SELECT * FROM t WHERE kind = 'k3'"], env=env)
    assert r.exit_code == 0, r
    assert "Shared Hit Blocks" in r.json["plan"]["Plan"]
    assert any(f["fix"] == "CREATE INDEX CONCURRENTLY t_kind_idx ON public.t (kind);" for f in r.json["findings"])
    r = run_cli(["explain", "DELETE FROM t WHERE id > 100", "--analyze"], env=env)
    assert r.exit_code == 0 and any_db.scalar("SELECT count(*) FROM t") == 30000, r
    version = any_db.scalar("SELECT current_setting('server_version_num')::int")
    r = run_cli(["explain", "SELECT * FROM t WHERE id = $1"], env=env)
    if version >= 160000:
        assert r.exit_code == 0 and "generic plan" in r.stdout, r
    else:
        assert r.exit_code == 2 and "generic plans need PostgreSQL 16+" in r.stderr, r


def test_names_that_need_quoting_are_quoted_in_the_fix(apex, db):
    db.sql('CREATE TABLE "Order Items" ("Kind" text, qty int)')
    db.sql("""INSERT INTO "Order Items" SELECT 'k' || (g % 100), g FROM generate_series(1, 20000) g""")
    db.sql('ANALYZE "Order Items"')
    r = apex("explain", """SELECT * FROM "Order Items" WHERE "Kind" = 'k1'""", "--analyze", "--format", "json")
    assert r.exit_code == 0, r
    fixes = [f["fix"] for f in r.json["findings"]]
    assert 'CREATE INDEX CONCURRENTLY "Order Items_Kind_idx" ON public."Order Items" ("Kind");' in fixes, fixes
