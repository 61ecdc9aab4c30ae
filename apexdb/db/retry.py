"""The one retry for work that meets a lock it may not wait for: 55P03 and 40P01, with backoff.

DDL and maintenance run with ``lock_timeout`` (design.md), so a busy table makes a statement
fail with 55P03 (lock_not_available) instead of queueing every writer behind it; two sessions
that take locks in opposite orders fail one of them with 40P01 (deadlock_detected). Both are
worth another try once the other session has moved on. Every command that runs such work
(``index create``/``drop``, ``audit --apply``, ``vacuum``/``analyze``/``reindex``/``maintain``,
``migrate`` and plain ``alembic``) retries through :func:`retry_on_lock`, with one schedule:

    wait before retry n = a random point in [c/2, c], where c = min(8 s, 0.5 s * 2**(n-1))

(0.25-0.5 s, 0.5-1 s, 1-2 s, 2-4 s, then 4-8 s each time). The random half keeps two runs
that collided from retrying in step. A failed attempt's transaction is rolled back, and
settings made with ``SET LOCAL`` go with it: ``prepare`` runs before every attempt to apply
them again. How many retries is each command's own choice (its ``--retries`` option or the
``ddl_retries`` setting); the schedule is not.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

T = TypeVar("T")

RETRYABLE = {"55P03": "lock timeout", "40P01": "deadlock"}
FIRST_WAIT_S = 0.5
LONGEST_WAIT_S = 8.0


def backoff(retry: int, *, rand: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to wait before retry ``retry`` (1-based): see the module docstring."""
    ceiling = min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** (max(1, retry) - 1))
    return ceiling / 2 + rand(0.0, ceiling / 2)


@dataclass(frozen=True)
class Retry:
    """What ``on_retry`` is told before each wait."""

    retry: int  # 1-based: the first retry is 1
    retries: int  # how many retries are allowed in all
    sqlstate: str
    reason: str  # "lock timeout" or "deadlock"
    error: BaseException
    wait_s: float


def sqlstate_of(exc: BaseException | None) -> str | None:
    """The SQLSTATE behind an exception from psycopg, psycopg2 or SQLAlchemy (``.orig``, causes), if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for attr in ("sqlstate", "pgcode"):
            value = getattr(exc, attr, None)
            if isinstance(value, str) and value:
                return value
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return None


def is_lock_failure(exc: BaseException) -> bool:
    """True for a lock timeout (55P03) or a deadlock (40P01), however wrapped."""
    return sqlstate_of(exc) in RETRYABLE


def retry_on_lock(attempt: Callable[[int], T], *, retries: int,
                  prepare: Callable[[], None] | None = None,
                  before_retry: Callable[[BaseException], None] | None = None,
                  on_retry: Callable[[Retry], None] | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> T:
    """``attempt(n)`` (n = 1, 2, ...) until it returns, retried up to ``retries`` times on 55P03/40P01.

    ``prepare()`` runs before every attempt (the settings, again after a rollback);
    ``before_retry(error)`` tidies what a failed attempt left (an INVALID index, a
    ``_ccnew``) before the wait; ``on_retry`` is told about each retry. Any other error,
    and the last lock failure when the retries are used up, is raised as it is;
    KeyboardInterrupt is never caught. ``attempt`` must be safe to run again.
    """
    retry = 0
    while True:
        try:
            if prepare is not None:
                prepare()
            return attempt(retry + 1)
        except Exception as exc:
            state = sqlstate_of(exc)
            if state not in RETRYABLE or retry >= retries:
                raise
            retry += 1
            if before_retry is not None:
                before_retry(exc)
            wait = backoff(retry)
            if on_retry is not None:
                on_retry(Retry(retry, retries, state, RETRYABLE[state], exc, wait))
            sleep(wait)
