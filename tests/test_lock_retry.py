"""The one lock retry (apexdb.db.retry): which errors are retried, the backoff, settings applied
again before every attempt; against a real lock held by another session, released from the
retry's own hook so nothing depends on timing (the waits are recorded, not slept)."""
from __future__ import annotations

import psycopg
import pytest

from apexdb.db.retry import FIRST_WAIT_S, LONGEST_WAIT_S, backoff, is_lock_failure, retry_on_lock


def test_backoff_doubles_from_half_a_second_up_to_eight_with_a_random_half():
    for retry, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (20, 8.0)]:
        assert backoff(retry, rand=lambda lo, hi: lo) == ceiling / 2
        assert backoff(retry, rand=lambda lo, hi: hi) == ceiling
    assert (FIRST_WAIT_S, LONGEST_WAIT_S) == (0.5, 8.0)


def locked(db, table: str = "t"):
    holder = db.connect()
    holder.autocommit = False
    holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    return holder


def test_a_lock_timeout_is_retried_with_the_settings_applied_again(db):
    db.sql("CREATE TABLE t (id int)")
    holder = locked(db)
    seen, waits, applied = [], [], []
    with db.connect() as conn:
        def prepare():
            conn.execute("SELECT set_config('lock_timeout', '100ms', false)")
            applied.append(conn.execute("SHOW lock_timeout").fetchone()[0])

        def attempt(n):
            with conn.transaction():
                conn.execute("INSERT INTO t VALUES (%s)", [n])
            return n

        def release(_exc):  # the first attempt failed on the lock: let the second one through
            holder.rollback()
            holder.close()

        result = retry_on_lock(attempt, retries=3, prepare=prepare, before_retry=release, on_retry=seen.append,
                               sleep=waits.append)
    assert result == 2
    assert applied == ["100ms", "100ms"]
    assert [(r.retry, r.retries, r.sqlstate, r.reason) for r in seen] == [(1, 3, "55P03", "lock timeout")]
    assert 0.25 <= waits[0] <= 0.5 and waits == [seen[0].wait_s]
    assert db.sql("SELECT id FROM t") == [(2,)]


def test_retries_run_out_and_the_last_lock_error_is_raised(db):
    db.sql("CREATE TABLE t (id int)")
    holder = locked(db)
    attempts, waits = [], []
    try:
        with db.connect() as conn, pytest.raises(psycopg.errors.LockNotAvailable) as raised:
            conn.execute("SET lock_timeout = '50ms'")
            retry_on_lock(lambda n: attempts.append(n) or conn.execute("SELECT * FROM t"), retries=2,
                          sleep=waits.append)
    finally:
        holder.close()
    assert attempts == [1, 2, 3] and len(waits) == 2 and 0.5 <= waits[1] <= 1.0
    assert is_lock_failure(raised.value)


def test_other_errors_are_not_retried(db):
    attempts = []
    with db.connect() as conn, pytest.raises(psycopg.errors.UndefinedTable):
        retry_on_lock(lambda n: attempts.append(n) or conn.execute("SELECT * FROM no_such_table"), retries=5,
                      sleep=lambda s: pytest.fail("slept"))
    assert attempts == [1]


def test_a_deadlock_wrapped_by_sqlalchemy_is_recognised():
    class Orig(Exception):
        sqlstate = "40P01"

    class Wrapped(Exception):
        orig = Orig()

    assert is_lock_failure(Wrapped()) and not is_lock_failure(ValueError("x"))
