"""apexdb reindex on a real database: bloat shrinks, invalid becomes valid, locks time out, leftovers go."""
from __future__ import annotations

import psycopg
import pytest


def bloated_index(db) -> int:
    """An index on a column updated over and over (autovacuum off); its size in bytes."""
    with db.connect() as conn:
        conn.execute("CREATE TABLE events (id int PRIMARY KEY, k int, note text) WITH (autovacuum_enabled = off)")
        conn.execute("INSERT INTO events SELECT g, g, 'n' FROM generate_series(1, 20000) g")
        conn.execute("CREATE INDEX events_k ON events (k)")
        for _ in range(4):
            conn.execute("UPDATE events SET k = k + 1")
        conn.execute("VACUUM events")  # the dead entries go, the pages they took stay
    return db.scalar("SELECT pg_relation_size('events_k')")


def index_state(db, name: str):
    return db.sql("SELECT i.indisvalid, c.relfilenode FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                  "WHERE c.relname = %s", [name])


def leftovers(db) -> list[str]:
    return [r[0] for r in db.sql("SELECT relname FROM pg_class WHERE relname ~ '_cc(new|old)[0-9]*$'")]


def test_index_bloated_by_updates_shrinks(apex, db):
    before = bloated_index(db)
    r = apex("reindex", "events_k", "--yes", "--format", "json")
    assert r.exit_code == 0, r
    step = next(s for s in r.json["steps"] if s["object"] == "public.events_k")
    assert step["status"] == "done" and step["statement"].startswith("REINDEX INDEX CONCURRENTLY")
    assert step["before"]["size_bytes"] == before
    assert step["after"]["size_bytes"] < before / 2
    assert db.scalar("SELECT pg_relation_size('events_k')") == step["after"]["size_bytes"]
    assert r.json["plan"][0]["object"] == "public.events_k"
    assert leftovers(db) == []


def test_table_option_rebuilds_every_index_of_the_table(apex, db):
    bloated_index(db)
    nodes = {name: index_state(db, name)[0][1] for name in ("events_k", "events_pkey")}
    r = apex("reindex", "--table", "events", "--yes")
    assert r.exit_code == 0, r
    assert "events_pkey" in r.stdout and "events_k" in r.stdout and "→" in r.stdout
    for name, node in nodes.items():
        valid, new_node = index_state(db, name)[0]
        assert valid and new_node != node


def test_invalid_index_becomes_valid(apex, db):
    db.sql("CREATE TABLE users (id int, email text)")
    db.sql("INSERT INTO users SELECT g, 'u' || (g % 500) FROM generate_series(1, 1000) g")
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.sql("CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)")
    assert index_state(db, "users_email")[0][0] is False
    db.sql("DELETE FROM users WHERE id > 500")
    r = apex("reindex", "--invalid", "--yes", "--format", "json")
    assert r.exit_code == 0, r
    assert [(s["object"], s["status"]) for s in r.json["steps"]] == [("public.users_email", "done")]
    assert r.json["steps"][0]["before"]["valid"] is False and r.json["steps"][0]["after"]["valid"] is True
    assert index_state(db, "users_email")[0][0] is True
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.sql("INSERT INTO users VALUES (9999, 'u1')")


def test_invalid_index_that_still_fails_is_reported_and_leaves_no_ccnew(apex, db):
    db.sql("CREATE TABLE users (id int, email text)")
    db.sql("INSERT INTO users SELECT g, 'same' FROM generate_series(1, 10) g")
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.sql("CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)")
    r = apex("reindex", "--invalid", "--yes", "--format", "json")
    assert r.exit_code == 4, r
    step = r.json["steps"][0]
    assert step["status"] == "failed" and step["sqlstate"] == "23505"
    assert any("dropped leftover public.users_email_ccnew" in n for n in step["notes"])
    assert leftovers(db) == []
    assert "1 of 1 step(s) not done" in r.stderr


def test_locked_table_times_out_cleanly_and_says_so(apex, db):
    bloated_index(db)
    node = index_state(db, "events_k")[0][1]
    with db.connect() as holder:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        r = apex("reindex", "events_k", "--yes", "--lock-timeout", "200ms", "--retries", "0")
        holder.execute("ROLLBACK")
    assert r.exit_code == 4, r
    assert "skipped" in r.stdout
    assert "could not lock" in r.stderr and "lock_timeout 200ms" in r.stderr and "AccessExclusiveLock" in r.stderr
    assert "Traceback" not in r.stderr
    assert index_state(db, "events_k")[0] == (True, node)
    assert leftovers(db) == []


def test_failed_concurrent_reindex_leftover_is_removed(apex, db):
    bloated_index(db)
    with db.connect() as writer:
        # an open writing transaction: REINDEX CONCURRENTLY builds events_k_ccnew, then times out waiting for it
        writer.execute("BEGIN")
        writer.execute("INSERT INTO events VALUES (-1, -1, 'w')")
        r = apex("reindex", "events_k", "--yes", "--lock-timeout", "300ms", "--retries", "0", "--format", "json")
        assert r.exit_code == 4, r
        assert r.json["steps"][0]["status"] == "skipped"
        stuck = leftovers(db)  # the clean-up itself waits for the same writer; it says so
        writer.execute("COMMIT")
    assert stuck == ["events_k_ccnew"]
    assert any("clean-up failed" in n for n in r.json["steps"][0]["notes"])
    r = apex("reindex", "events_k", "--yes", "--format", "json")
    assert r.exit_code == 0, r
    actions = [(s["action"], s["object"], s["status"]) for s in r.json["steps"]]
    assert actions[0] == ("drop leftover", "public.events_k_ccnew", "done")
    assert actions[-1] == ("reindex", "public.events_k", "done")
    assert leftovers(db) == []
    assert index_state(db, "events_k")[0][0] is True


def test_invalid_option_drops_leftovers_instead_of_rebuilding_them(apex, db):
    bloated_index(db)
    db.sql("CREATE INDEX events_k_ccnew ON events (k)")
    db.sql("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'events_k_ccnew'::regclass")
    r = apex("reindex", "--invalid", "--yes", "--format", "json")
    assert r.exit_code == 0, r
    assert [(s["action"], s["object"]) for s in r.json["steps"]] == [("drop leftover", "public.events_k_ccnew")]
    assert leftovers(db) == []


def test_confirmation_needed_off_a_terminal(apex, db):
    bloated_index(db)
    node = index_state(db, "events_k")[0][1]
    r = apex("reindex", "events_k")
    assert r.exit_code == 2, r
    assert "--yes" in r.stderr
    assert index_state(db, "events_k")[0][1] == node


def test_blocking_mode_rebuilds_in_place(apex, db):
    before = bloated_index(db)
    r = apex("reindex", "events_k", "--blocking", "--yes", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["steps"][0]["statement"] == 'REINDEX INDEX "public"."events_k"'
    assert r.json["steps"][0]["after"]["size_bytes"] < before


@pytest.mark.parametrize("args,message", [
    ([], "exactly one"),
    (["--table", "events", "--invalid"], "exactly one"),
    (["nope", "--yes"], "index 'nope' does not exist"),
    (["--table", "nope", "--yes"], "table 'nope' does not exist"),
    (["events_k", "--lock-timeout", "forever", "--yes"], "not a duration"),
])
def test_bad_input(apex, db, args, message):
    bloated_index(db)
    r = apex("reindex", *args)
    assert r.exit_code == 2, r
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], r


def test_nothing_invalid_says_so(apex, db):
    bloated_index(db)
    r = apex("reindex", "--invalid", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["steps"] == [] and r.json["plan"] == []


def test_ctrl_c_during_concurrent_reindex_leaves_no_ccnew(db):
    import json
    import os
    import signal
    import subprocess
    import time

    from support import apexdb_executable, wait_for

    bloated_index(db)
    with db.connect() as writer:
        writer.execute("BEGIN")
        writer.execute("INSERT INTO events VALUES (-1, -1, 'w')")  # REINDEX CONCURRENTLY waits for this writer
        proc = subprocess.Popen([*apexdb_executable(), "reindex", "events_k", "--yes", "--lock-timeout", "60s",
                                 "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "APEXDB_DSN": db.dsn})
        try:
            deadline = time.monotonic() + 60
            while not db.scalar("SELECT count(*) FROM pg_stat_progress_create_index "
                                "WHERE datname = %s AND phase LIKE 'waiting for writers%%'", [db.name]):
                assert time.monotonic() < deadline and proc.poll() is None, "REINDEX never started waiting"
                time.sleep(0.05)
            assert leftovers(db) == ["events_k_ccnew"]
            proc.send_signal(signal.SIGINT)
            # the REINDEX is cancelled and the clean-up's DROP INDEX CONCURRENTLY waits for the writer too;
            # only then may the writer commit (before, the REINDEX could simply finish)
            wait_for(lambda: db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                                       "AND query ILIKE 'DROP INDEX CONCURRENTLY%%'", [db.name]),
                     "the clean-up to wait for the writer")
            writer.execute("COMMIT")
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, (out, err)
    step = json.loads(out)["steps"][0]
    assert step["status"] == "cancelled"
    assert "dropped leftover public.events_k_ccnew" in step["notes"]
    assert leftovers(db) == []
    assert index_state(db, "events_k")[0][0] is True
    assert "interrupted" in err and "Traceback" not in err


def test_invalid_leaves_an_index_being_built_right_now_alone(apex, db):
    import threading
    from support import wait_for

    bloated_index(db)
    with db.connect() as writer:
        writer.execute("BEGIN")
        writer.execute("INSERT INTO events VALUES (-1, -1, 'w')")
        errors = []

        def build():
            try:
                db.sql("CREATE INDEX CONCURRENTLY events_note ON events (note)")  # waits for the writer
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        builder = threading.Thread(target=build)
        builder.start()
        # "initializing" comes before the index is in the catalog: wait until the build waits for the writer
        wait_for(lambda: db.scalar("SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = %s "
                                   "AND phase = 'waiting for writers before build'", [db.name]),
                 "the build to wait for the writer")
        assert index_state(db, "events_note")[0][0] is False  # invalid while it is built
        r = apex("reindex", "--invalid", "--yes", "--format", "json")
        writer.execute("COMMIT")
    builder.join(timeout=30)
    assert r.exit_code == 0, r
    assert r.json["steps"] == []
    assert not errors
    assert index_state(db, "events_note")[0][0] is True
