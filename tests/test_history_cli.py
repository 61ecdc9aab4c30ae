"""apexdb snapshot, stats queries --since/--between, stats tables|indexes --growth, audit's
statement_regressed and tune's stored results: what a user sees, over real snapshots with a workload
between them (snapshot times are moved back in the history tables to stand for yesterday)."""
from __future__ import annotations

import pytest

from support import load_items, one_clear_line, tune_data
from support.history import SCHEMA, shift_snapshot, snapshot_ids, workload

SLOW = "SELECT pg_sleep(%s)"
ROWS = "SELECT g FROM generate_series(1, %s) g"


def schema_exists(db) -> bool:
    return bool(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [SCHEMA]))


def regression_history(apex, db):
    """Three snapshots: 3 days ago (baseline), yesterday (a fast workload since), now (the same
    statements, slower and returning more rows)."""
    assert apex("snapshot", "init", "--yes").exit_code == 0
    db.sql("CREATE TABLE grows (id int PRIMARY KEY, pad text)")
    db.sql("CREATE TABLE same (id int)")
    assert apex("snapshot").exit_code == 0
    workload(db, [(SLOW, [0.0]), (ROWS, [10])], times=12)
    assert apex("snapshot").exit_code == 0
    workload(db, [(SLOW, [0.04]), (ROWS, [1000])], times=12)
    db.sql("INSERT INTO grows SELECT g, repeat('x', 300) FROM generate_series(1, 4000) g")
    r = apex("snapshot", "--format", "json")
    assert r.exit_code == 0, r
    first, yesterday, _ = snapshot_ids(db)
    shift_snapshot(db, first, "3 days")
    shift_snapshot(db, yesterday, "1 day 1 hour")
    return r.json


def test_snapshot_needs_the_schema_and_init_asks_first(apex, db):
    line = one_clear_line(r := apex("snapshot"))
    assert r.exit_code == 2 and "apexdb snapshot init" in line and "apexdb_history" in line
    r = apex("snapshot", "init")  # not a terminal, no --yes
    assert r.exit_code == 2 and "--yes" in one_clear_line(r)
    assert not schema_exists(db)
    r = apex("snapshot", "init", "--yes")
    assert r.exit_code == 0 and "applied migration 1" in r.stdout
    r = apex("snapshot", "init", "--yes")
    assert r.exit_code == 0 and "up to date" in r.stdout
    assert db.sql(f"SELECT version FROM {SCHEMA}.version") == [(1,)]


def test_snapshot_list_and_bad_retention(apex, db):
    apex("snapshot", "init", "--yes")
    r = apex("snapshot", "--retention", "soon")
    assert r.exit_code == 2 and "--retention" in one_clear_line(r)
    assert snapshot_ids(db) == []  # nothing stored
    assert apex("snapshot").exit_code == 0
    r = apex("snapshot", "list", "--format", "json")
    assert r.exit_code == 0 and r.json["snapshots"] == 1 and r.json["version"] == 1
    assert r.json["rows"][0]["member"] == "primary" and r.json["rows"][0]["baseline"] is True


def test_queries_since_shows_which_statements_regressed(apex, db):
    taken = regression_history(apex, db)
    assert taken["snapshots"][0]["statements_changed"] >= 2
    r = apex("stats", "queries", "--since", "1d", "--limit", "50", "--format", "json")
    assert r.exit_code == 0, r
    rows = r.json["rows"]
    slow = next(x for x in rows if "pg_sleep" in x["query"])
    assert (slow["calls_before"], slow["calls_after"]) == (12, 12)
    assert slow["mean_ms_after"] >= 40 and slow["mean_change"] > 3
    assert rows[0]["queryid"] == slow["queryid"]  # the largest rise first
    series = next(x for x in rows if "generate_series" in x["query"])
    assert (series["rows_per_call_before"], series["rows_per_call_after"]) == (10, 1000)

    table = apex("stats", "queries", "--since", "1d")
    assert table.exit_code == 0 and "pg_sleep" in table.stdout and "mean change" in table.stdout
    between = apex("stats", "queries", "--between", "2d", "1d", "--format", "json")
    assert between.exit_code == 0
    early = next(x for x in between.json["rows"] if "pg_sleep" in x["query"])
    assert (early["calls_before"], early["calls_after"], early["mean_change"]) == (0, 12, None)  # the fast runs


def test_since_before_the_first_snapshot_names_it(apex, db):
    regression_history(apex, db)
    r = apex("stats", "queries", "--since", "7d")
    line = one_clear_line(r)
    assert r.exit_code == 2 and "before the first snapshot of primary" in line
    first = db.scalar(f"SELECT to_char(min(taken_at), 'YYYY-MM-DD HH24:MI') FROM {SCHEMA}.snapshot")
    assert first in line
    for args in (("--since", "soon"), ("--between", "1d", "2d"), ("--since", "1d", "--cluster", "main")):
        r = apex("stats", "queries", *args)
        assert r.exit_code == 2 and one_clear_line(r), args


def test_growth_shows_which_relations_grew(apex, db):
    regression_history(apex, db)
    r = apex("stats", "tables", "--growth", "2d", "--format", "json")
    assert r.exit_code == 0, r
    rows = {x["relation"]: x for x in r.json["rows"]}
    grows, same = rows["public.grows"], rows["public.same"]
    assert grows["growth_bytes"] > 1_000_000 and grows["bytes_now"] == grows["series"][-1]["bytes"]
    assert same["growth_bytes"] == 0 and same["bytes_before"] == same["bytes_now"]
    assert r.json["rows"][0]["relation"] == "public.grows"
    idx = apex("stats", "indexes", "--growth", "2d", "--format", "json")
    assert "public.grows_pkey" in {x["relation"] for x in idx.json["rows"]}
    assert apex("stats", "tables", "--growth", "7d").exit_code == 2


def test_audit_finds_the_regressed_statement(apex, db):
    r = apex("audit", "queries", "--format", "json")
    assert not [f for f in r.json["findings"] if f["check"] == "statement_regressed"]
    assert any("statement history not checked" in n for n in r.json["summary"]["coverage"])
    assert "statement history" not in r.stderr  # opt-in: no note on every run
    regression_history(apex, db)
    r = apex("audit", "queries", "--threshold", "regression_min_calls=10", "--format", "json")
    found = [f for f in r.json["findings"] if f["check"] == "statement_regressed"]
    assert [f["severity"] for f in found if "pg_sleep" in f["detail"]] == ["critical"]
    assert "over 12 calls" in found[0]["detail"] and found[0]["fix"] == "apexdb stats queries --since 1d"
    r = apex("audit", "queries", "--threshold", "regression_min_calls=10", "--threshold",
             "mean_time_rise_critical=1000000", "--format", "json")
    assert [f["severity"] for f in r.json["findings"] if f["check"] == "statement_regressed"
            and "pg_sleep" in f["detail"]] == ["warning"]
    r = apex("audit", "queries", "--threshold", "regression_min_calls=13", "--format", "json")
    assert not [f for f in r.json["findings"] if f["check"] == "statement_regressed"]  # 12 calls: too few
    r = apex("audit", "queries", "--threshold", "regression_min_calls=10", "--threshold", "regression_min_ms=100000",
             "--format", "json")
    assert not [f for f in r.json["findings"] if f["check"] == "statement_regressed"]  # still fast enough


def test_tune_stores_its_sweep_in_the_history(apex, db):
    from apexdb.ops.history import tune_results
    from support.history import conn_of

    vectors, _ = tune_data(n=2000)
    load_items(db, vectors, metric="l2")
    r = apex("tune", "items", "--fast", "--sample", "40", "--target-recall", "0.9", "--format", "json")
    assert r.exit_code == 0 and r.json["stored_run_id"] is None  # no schema: nothing stored
    apex("snapshot", "init", "--yes")
    r = apex("tune", "items", "--fast", "--sample", "40", "--target-recall", "0.9")
    assert r.exit_code == 0 and "stored as tune run 1" in r.stderr
    r = apex("tune", "items", "--fast", "--sample", "40", "--target-recall", "0.9", "--no-store", "--format", "json")
    assert r.json["stored_run_id"] is None
    runs = tune_results(conn_of(db))
    assert len(runs) == 1
    run = runs[0]
    assert (run["index"], run["knob"], run["method"], run["target_recall"]) == (
        "items_ann", "hnsw.ef_search", "hnsw", 0.9)
    assert run["source"] == "rows" and run["curve"] and run["picked"] in [p["value"] for p in run["curve"]]
    assert all({"value", "recall", "p50_ms"} <= set(p) for p in run["curve"])
