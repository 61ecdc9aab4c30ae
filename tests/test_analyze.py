"""apexdb analyze on a real database: the last analyze and the row estimate before and after."""
from __future__ import annotations


def fresh_table(db, rows: int = 3000) -> None:
    db.sql("CREATE TABLE docs (id int, body text) WITH (autovacuum_enabled = off)")
    db.sql("INSERT INTO docs SELECT g, 'b' FROM generate_series(1, %s) g", [rows])


def test_analyze_updates_last_analyze_and_the_estimate(apex, db):
    fresh_table(db)
    assert db.scalar("SELECT reltuples FROM pg_class WHERE relname = 'docs'") < 0  # never counted
    r = apex("analyze", "docs", "--format", "json")
    assert r.exit_code == 0, r
    step = r.json["steps"][0]
    assert step["action"] == "analyze" and step["status"] == "done" and step["statement"] == 'ANALYZE "public"."docs"'
    assert step["before"]["last_any_analyze"] is None and step["before"]["estimated_rows"] is None
    assert step["after"]["last_analyze"] is not None
    assert step["after"]["estimated_rows"] == 3000
    assert db.scalar("SELECT reltuples FROM pg_class WHERE relname = 'docs'") == 3000
    assert db.scalar("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'docs'")


def test_estimate_change_is_shown_in_the_table(apex, db):
    fresh_table(db)
    db.sql("ANALYZE docs")
    db.sql("INSERT INTO docs SELECT g, 'b' FROM generate_series(3001, 5000) g")
    r = apex("analyze", "docs")
    assert r.exit_code == 0, r
    assert "3,000 → 5,000" in r.stdout and "public.docs" in r.stdout


def test_several_tables_and_a_missing_one(apex, db):
    fresh_table(db)
    r = apex("analyze", "docs", "nope")
    assert r.exit_code == 2, r
    assert "table 'nope' does not exist" in r.stderr
    assert db.scalar("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'docs'") is None


def test_locked_table_is_skipped(apex, db):
    fresh_table(db)
    with db.connect() as holder:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE docs IN SHARE UPDATE EXCLUSIVE MODE")
        r = apex("analyze", "docs", "--lock-timeout", "100ms", "--retries", "0", "--format", "json")
        holder.execute("ROLLBACK")
    assert r.exit_code == 4, r
    assert r.json["steps"][0]["status"] == "skipped"
    assert "ShareUpdateExclusiveLock" in r.json["steps"][0]["error"]


def test_csv_keeps_raw_before_and_after_columns(apex, db):
    fresh_table(db)
    r = apex("analyze", "docs", "--format", "csv")
    assert r.exit_code == 0, r
    header, row = r.stdout.strip().splitlines()
    cells = dict(zip(header.split(","), row.split(",")))
    assert cells["row_estimate_before"] == "" and cells["row_estimate_after"] == "3000"
    assert cells["status"] == "done"
