"""Where tune's queries come from: the default scratch copy (queries that are not nodes of the
index), --queries-sql, --fast (labelled optimistic), and what each leaves behind: nothing."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import numpy as np
import psycopg
import pytest

from support import TUNE_DIMS as DIMS, TUNE_K as K, WEAK_HNSW, apexdb_executable, load_items, true_neighbours
from support import tune_data as data

SCRATCH_APP = "apexdb tune (scratch copy)"


def live_state(db) -> tuple:
    """What tune must never change: the rows, the indexes, and every relation's name."""
    return (db.scalar("SELECT count(*) FROM items"),
            db.scalar("SELECT sum(id) FROM items"),
            db.sql("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"),
            db.sql("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1"))


def fresh_recall(db, vectors, queries, ef_search: int) -> float:
    hits = 0
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        for q in queries:
            with conn.transaction():
                conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef_search)])
                literal = "[" + ",".join(map(str, q.tolist())) + "]"
                got = [r[0] for r in conn.execute("SELECT id FROM items ORDER BY embedding <-> %s::vector LIMIT %s",
                                                  [literal, K])]
            hits += len(set(got) & set(true_neighbours(vectors, q, K, metric="l2")))
    return hits / (K * len(queries))


@pytest.fixture
def weak(db):
    vectors, fresh = data(seed=7, queries=300)
    load_items(db, vectors, metric="l2", with_options=WEAK_HNSW)
    return vectors, fresh


def sweep_recall(doc, value: int) -> float:
    return next(s["recall"] for s in doc["sweep"] if s["value"] == value and s["iterative_scan"] == "off")


def test_default_measures_like_real_queries_and_fast_overstates(apex, db, weak):
    """The bias the default method removes: rows of the index find their neighbours through their
    own edges. At ef_search 10 on a weak graph, rows held out of the copy score like queries from
    outside the table; rows of the live index score far higher."""
    vectors, fresh = weak
    before = live_state(db)
    heldout = apex("tune", "items", "--target-recall", "0.99", "--sample", "400", "--format", "json")
    fast = apex("tune", "items", "--target-recall", "0.99", "--sample", "400", "--fast", "--format", "json")
    assert heldout.exit_code == 0 and fast.exit_code == 0, (heldout, fast)
    assert live_state(db) == before  # the scratch copy left nothing, changed nothing
    real = fresh_recall(db, vectors, fresh, 10)
    measured, optimistic = sweep_recall(heldout.json, 10), sweep_recall(fast.json, 10)
    low, high = next(s["recall_interval"] for s in heldout.json["sweep"] if s["value"] == 10)
    assert optimistic > real + 0.05, (optimistic, real)
    assert abs(measured - real) < max(0.04, (high - low)), (measured, real, low, high)
    assert heldout.json["queries"]["optimistic"] is False and fast.json["queries"]["optimistic"] is True


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_fast_says_optimistic_in_every_format(apex, weak, fmt):
    r = apex("tune", "items", "--target-recall", "0.9", "--sample", "40", "--fast", "--format", fmt)
    assert r.exit_code == 0, r
    assert "optimistic" in r.stdout.lower(), r.stdout
    assert "queries are rows of the index" in r.stdout + r.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_every_format_names_the_query_source(apex, weak, fmt):
    r = apex("tune", "items", "--target-recall", "0.9", "--sample", "40", "--format", fmt)
    assert r.exit_code == 0, r
    assert "rows held out of a scratch copy" in r.stdout
    assert "queries are rows of the index" not in r.stdout


@pytest.fixture
def search_log(db, weak):
    _, fresh = weak
    with db.connect() as conn:
        conn.execute(f"CREATE TABLE search_log (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), "
                     f"note text, embedding vector({DIMS}))")
        with conn.cursor().copy("COPY search_log (note, embedding) FROM STDIN") as copy:
            for q in fresh[:60]:
                copy.write_row(("q", "[" + ",".join(map(str, q.tolist())) + "]"))
    return fresh


def test_queries_sql_measures_logged_queries(apex, db, search_log):
    before = live_state(db)
    r = apex("tune", "items", "--queries-sql", "SELECT embedding FROM search_log ORDER BY at DESC LIMIT 2000",
             "--target-recall", "0.9", "--format", "json")
    assert r.exit_code == 0, r
    q = r.json["queries"]
    assert q["source"] == "sql" and q["total"] == 60 and "search_log" in q["origin"]
    assert r.json["scratch"] is None and live_state(db) == before


@pytest.mark.parametrize("statement,words", [
    ("SELECT embedding FROM search_log WHERE false", "returned no query vectors"),
    ("SELECT note FROM search_log", "returned text"),
    ("SELECT nextval('search_log_id_seq'), embedding FROM search_log", "nothing was changed"),
    ("WITH gone AS (DELETE FROM search_log RETURNING embedding) SELECT embedding FROM gone", "nothing was changed"),
    ("DELETE FROM search_log RETURNING embedding", "must be a SELECT"),
    ("SELECT embedding FROM search_log; DROP TABLE search_log", "one SELECT statement"),
    ("SELEC embedding", "not valid SQL"),
    ("SELECT embedding FROM nowhere", "does not exist"),
])
def test_bad_queries_sql_is_refused_and_changes_nothing(apex, db, search_log, statement, words):
    before = (db.scalar("SELECT count(*) FROM search_log"), db.scalar("SELECT last_value FROM search_log_id_seq"))
    r = apex("tune", "items", "--queries-sql", statement)
    assert r.exit_code == 2, r
    assert words in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 2
    assert (db.scalar("SELECT count(*) FROM search_log"),
            db.scalar("SELECT last_value FROM search_log_id_seq")) == before


def test_queries_sql_of_the_wrong_dimension(apex, db, weak):
    db.sql("CREATE TABLE small_log (embedding vector(3))")
    db.sql("INSERT INTO small_log SELECT '[1,2,3]' FROM generate_series(1, 50)")
    r = apex("tune", "items", "--queries-sql", "SELECT embedding FROM small_log")
    assert r.exit_code == 2 and "3 dimensions" in r.stderr and f"has {DIMS}" in r.stderr, r


def test_a_budget_too_small_for_the_scratch_copy_says_the_cost_and_the_ways_out(apex, db, weak):
    before = live_state(db)
    r = apex("tune", "items", "--budget", "0.01")
    assert r.exit_code == 2, r
    for words in ("copies 3,600 rows", "without 400 held-out rows", "of disk", "over the --budget of 0.01 s",
                  "--queries FILE", "--queries-sql", "--fast"):
        assert words in r.stderr, words
    assert live_state(db) == before


def test_a_role_that_may_not_create_is_told_the_ways_out(apex, db, weak):
    role = f"tuner_{db.name}"
    db.sql(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
    db.sql(f"GRANT SELECT ON items TO {role}")
    db.sql(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    try:
        dsn = db.dsn.replace("postgres@", f"{role}:pw@", 1) if "postgres@" in db.dsn else f"{db.dsn} user={role} password=pw"
        r = apex("tune", "items", "--sample", "40", "--target-recall", "0.9", env={"APEXDB_DSN": dsn})
        assert r.exit_code == 2, r
        assert "may not CREATE" in r.stderr and "--queries-sql" in r.stderr and "--fast" in r.stderr
        r = apex("tune", "items", "--sample", "40", "--target-recall", "0.9", "--fast", "--format", "json",
                 env={"APEXDB_DSN": dsn})
        assert r.exit_code == 0 and r.json["queries"]["optimistic"] is True, r
    finally:
        db.sql(f"DROP OWNED BY {role}")
        db.sql(f"DROP ROLE {role}")


def _start_tune_blocked_on_a_lock(db):
    """apexdb tune as a process whose scratch transaction is open and waits for a lock this test
    holds (an uncommitted table of the scratch copy's name): a state it stays in until the test acts."""
    env = {**os.environ, "APEXDB_DSN": db.dsn, "APEXDB_LOCK_TIMEOUT": "10min"}
    holder = psycopg.connect(db.dsn)
    proc = subprocess.Popen([*apexdb_executable(), "tune", "items", "--sample", "40", "--target-recall", "0.9"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder.execute(f"CREATE TABLE public.apexdb_tune_{proc.pid} (x int)")  # not committed: tune's CREATE waits
    watcher = psycopg.connect(db.dsn, autocommit=True)
    for _ in range(1200):  # until the scratch transaction waits (each step is a short sleep, not a time limit)
        scratch = watcher.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s AND "
                                  "wait_event_type = 'Lock'", [SCRATCH_APP]).fetchone()
        if scratch:
            return proc, holder, watcher, scratch[0]
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"tune never reached its scratch copy: {proc.communicate()}")


def _wait_gone(watcher, pid: int) -> None:
    for _ in range(1200):
        if watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0] == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"backend {pid} is still there")


@pytest.mark.parametrize("how", ["ctrl-c", "sigkill", "connection lost"])
def test_an_interrupted_scratch_copy_leaves_nothing_behind(db, weak, how):
    before = live_state(db)
    proc, holder, watcher, scratch_pid = _start_tune_blocked_on_a_lock(db)
    try:
        if how == "ctrl-c":
            proc.send_signal(signal.SIGINT)
        elif how == "sigkill":
            proc.kill()
        else:
            watcher.execute("SELECT pg_terminate_backend(%s)", [scratch_pid])
        out, err = proc.communicate(timeout=120)
        _wait_gone(watcher, scratch_pid)
        if how == "ctrl-c":
            assert proc.returncode == 130 and "nothing was left behind" in err, (out, err)
        elif how == "connection lost":
            # a lost connection is exit 3, as everywhere (the server went away mid-command)
            assert proc.returncode == 3 and "rolled back" in err and "Traceback" not in err, (out, err)
    finally:
        holder.rollback()
        holder.close()
        if proc.poll() is None:
            proc.kill()
    assert watcher.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'apexdb_tune%'").fetchone()[0] == 0
    watcher.close()
    assert live_state(db) == before
