"""apexdb maintain, and the audit-driven forms of vacuum, analyze and reindex, on a real database."""
from __future__ import annotations

import psycopg
import pytest

BLOAT = ["--threshold", "bloat_min_bytes=0"]


def neglected_database(db) -> None:
    """Dead tuples, a never-analyzed table, a bloated index, an invalid index and a _ccnew leftover."""
    with db.connect() as conn:
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY, state text) WITH (autovacuum_enabled = off)")
        conn.execute("INSERT INTO orders SELECT g, 'new' FROM generate_series(1, 6000) g")
        conn.execute("UPDATE orders SET state = 'paid' WHERE id <= 3000")
        conn.execute("CREATE TABLE clicks (id int) WITH (autovacuum_enabled = off)")
        conn.execute("INSERT INTO clicks SELECT generate_series(1, 3000)")
        conn.execute("CREATE TABLE events (id int PRIMARY KEY, k int) WITH (autovacuum_enabled = off)")
        conn.execute("INSERT INTO events SELECT g, g FROM generate_series(1, 20000) g")
        conn.execute("CREATE INDEX events_k ON events (k)")
        for _ in range(4):
            conn.execute("UPDATE events SET k = k + 1")
        conn.execute("SELECT pg_stat_force_next_flush()")  # the updates' counts land before VACUUM resets them
        conn.execute("VACUUM ANALYZE events")
        conn.execute("CREATE TABLE users (id int, email text)")
        conn.execute("INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 100) g")
        conn.execute("INSERT INTO users VALUES (101, 'u1')")
        conn.execute("ANALYZE users")
        conn.execute("SELECT pg_stat_force_next_flush()")
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.sql("CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)")
    db.sql("DELETE FROM users WHERE id = 101")
    db.sql("CREATE INDEX events_k_ccnew ON events (k)")
    db.sql("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'events_k_ccnew'::regclass")


def state(db) -> dict:
    db.sql("SELECT pg_stat_clear_snapshot()")
    return {
        "orders_dead": db.scalar("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'orders'"),
        "clicks_analyzed": db.scalar("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                                     "WHERE relname = 'clicks'"),
        "events_k_bytes": db.scalar("SELECT pg_relation_size('events_k')"),
        "users_email_valid": db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass"),
        "leftover": db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'events_k_ccnew'"),
    }


def test_plan_names_each_step_with_reason_and_cost_and_changes_nothing(apex, db):
    neglected_database(db)
    before = state(db)
    r = apex("maintain", *BLOAT, "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    assert doc["applied"] is False
    steps = {(s["action"], s["object"]): s for s in doc["plan"]}
    assert ("vacuum", "public.orders") in steps and "dead_tuples" in steps[("vacuum", "public.orders")]["reason"]
    assert ("analyze", "public.clicks") in steps and "never_analyzed" in steps[("analyze", "public.clicks")]["reason"]
    assert ("reindex", "public.events_k") in steps and "index_bloat" in steps[("reindex", "public.events_k")]["reason"]
    assert ("reindex", "public.users_email") in steps
    assert ("drop leftover", "public.events_k_ccnew") in steps
    assert ("reindex", "public.events_k_ccnew") not in steps
    assert doc["plan"][0]["action"] == "drop leftover"  # leftovers go first, rebuilds last
    assert doc["plan"][-1]["action"] == "reindex"
    assert all(s["cost_bytes"] > 0 for s in doc["plan"] if s["action"] != "drop leftover")
    assert doc["total_cost_bytes"] == sum(s["cost_bytes"] for s in doc["plan"])
    assert state(db) == before


def test_plan_as_a_table(apex, db):
    neglected_database(db)
    r = apex("maintain", *BLOAT)
    assert r.exit_code == 0, r
    assert "Maintenance plan" in r.stdout and "size touched" in r.stdout and "public.orders" in r.stdout
    assert "maintain --apply" in r.stderr


def test_apply_needs_yes_off_a_terminal(apex, db):
    neglected_database(db)
    before = state(db)
    r = apex("maintain", "--apply", *BLOAT)
    assert r.exit_code == 2, r
    assert "--yes" in r.stderr
    assert state(db) == before


def test_apply_does_every_step(apex, db):
    neglected_database(db)
    before = state(db)
    r = apex("maintain", "--apply", "--yes", *BLOAT, "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["summary"]["done"] == r.json["summary"]["steps"] >= 5
    after = state(db)
    assert before["orders_dead"] >= 3000 and after["orders_dead"] == 0
    assert after["clicks_analyzed"] and not before["clicks_analyzed"]
    assert after["events_k_bytes"] < before["events_k_bytes"]
    assert after["users_email_valid"] and not before["users_email_valid"]
    assert after["leftover"] == 0
    vacuum = next(s for s in r.json["steps"] if s["object"] == "public.orders")
    assert vacuum["before"]["dead_tuples"] >= 3000 and vacuum["after"]["dead_tuples"] == 0


def test_apply_skips_what_it_cannot_lock_and_reports_it(apex, db):
    neglected_database(db)
    with db.connect() as holder:
        holder.execute("BEGIN")
        # what a manual VACUUM elsewhere holds: reads go on (the audit still runs), VACUUM must wait
        holder.execute("LOCK TABLE orders IN SHARE UPDATE EXCLUSIVE MODE")
        r = apex("maintain", "--apply", "--yes", *BLOAT, "--lock-timeout", "200ms", "--retries", "0",
                 "--format", "json")
        holder.execute("ROLLBACK")
    assert r.exit_code == 4, r
    status = {s["object"]: s["status"] for s in r.json["steps"]}
    assert status["public.orders"] == "skipped"
    assert status["public.clicks"] == "done" and status["public.events_k"] == "done"
    assert "could not lock public.orders" in r.stderr
    assert state(db)["orders_dead"] >= 3000


def test_clean_database_has_nothing_to_do(apex, db):
    db.sql("CREATE TABLE tidy (id int PRIMARY KEY)")
    db.sql("INSERT INTO tidy SELECT generate_series(1, 10)")
    db.sql("VACUUM ANALYZE tidy")
    r = apex("maintain", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["plan"] == [] and r.json["steps"] == []
    r = apex("maintain", "--apply")
    assert r.exit_code == 0, r
    assert "nothing to do" in r.stdout


def test_vacuum_without_tables_vacuums_what_the_audit_flags(apex, db):
    neglected_database(db)
    db.sql("CREATE TABLE quiet (id int) WITH (autovacuum_enabled = off)")
    db.sql("INSERT INTO quiet SELECT generate_series(1, 100)")
    r = apex("vacuum", "--format", "json")
    assert r.exit_code == 0, r
    assert [p["object"] for p in r.json["plan"]] == ["public.orders"]
    assert [s["object"] for s in r.json["steps"]] == ["public.orders"]
    assert state(db)["orders_dead"] == 0
    assert db.scalar("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'quiet'") is None


def test_analyze_without_tables_analyzes_the_never_analyzed(apex, db):
    neglected_database(db)
    r = apex("analyze")
    assert r.exit_code == 0, r
    assert "Analyze plan" in r.stdout and "public.clicks" in r.stdout
    assert state(db)["clicks_analyzed"]


def test_reindex_bloated_rebuilds_the_bloated_index(apex, db):
    neglected_database(db)
    before = state(db)["events_k_bytes"]
    r = apex("reindex", "--bloated", "--yes", *BLOAT, "--format", "json")
    assert r.exit_code == 0, r
    objects = [s["object"] for s in r.json["steps"]]
    assert "public.events_k" in objects and "public.users_email" not in objects
    assert state(db)["events_k_bytes"] < before


def test_bad_threshold_is_bad_input(apex, db):
    r = apex("maintain", "--threshold", "bloat_min_bytes")
    assert r.exit_code == 2 and "NAME=VALUE" in r.stderr, r
    r = apex("maintain", "--threshold", "no_such_threshold=1")
    assert r.exit_code == 2 and "no_such_threshold" in r.stderr, r


def test_wraparound_findings_become_vacuum_freeze(apex, db):
    db.sql("CREATE TABLE ledger (id int)")
    db.sql("INSERT INTO ledger SELECT generate_series(1, 10)")
    r = apex("vacuum", "--threshold", "xid_age_warning=1", "--threshold", "xid_age_critical=2000000000",
             "--exclude", "dead_tuples", "--format", "json")
    assert r.exit_code == 0, r
    ledger = next(s for s in r.json["steps"] if s["object"] == "public.ledger")
    assert "FREEZE" in ledger["statement"] and "xid_wraparound" in ledger["reason"]
    assert ledger["status"] == "done"
