"""The fix script of an audit, and running it.

Each fix statement runs on its own, outside any transaction block (DROP/CREATE INDEX
CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM and ALTER SYSTEM refuse to run inside one),
with ``lock_timeout`` set, retried (apexdb.db.retry) when the lock is not granted or a
deadlock is detected. The first statement that fails stops the run: later statements
may depend on it (a rebuild is create, drop, rename).
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from apexdb.db.retry import retry_on_lock
from apexdb.ops.audit.model import AuditReport, Finding


def fix_script(reports: Iterable[AuditReport]) -> str:
    """A SQL script with every finding's fix, each under a comment naming the finding."""
    reports = list(reports)
    lines = [f"-- apexdb audit fix script, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}",
             "-- run each statement on its own (psql does): CONCURRENTLY and VACUUM refuse transaction blocks"]
    several = len(reports) > 1
    for report in reports:
        fixable = [f for f in report.findings if f.fix]
        if several:
            lines += ["", f"-- ===== target {report.target}: connect to it before running what follows ====="]
        if not fixable:
            lines += ["", "-- nothing to fix"]
        for f in fixable:
            lines += ["", f"-- [{f.severity}] {f.check} {f.object}: {' '.join(f.detail.split())}", f.fix]
    return "\n".join(lines) + "\n"


@dataclass
class Applied:
    finding: Finding
    statement: str
    attempts: int
    seconds: float


def statements_of(findings: Iterable[Finding]) -> list[tuple[Finding, str]]:
    return [(f, s) for f in findings for s in f.statements]


def apply_fixes(conn, findings: Iterable[Finding], *, lock_timeout: str, retries: int = 5,
                on_done: Callable[[Applied], None] | None = None) -> list[Applied]:
    """Run the fix statements of ``findings`` in order on the autocommit connection ``conn``."""
    import psycopg

    from apexdb.errors import DatabaseError

    if not conn.autocommit:
        conn.autocommit = True
    done: list[Applied] = []
    for finding, statement in statements_of(findings):
        started = time.monotonic()

        def attempt(n: int, statement: str = statement) -> int:
            try:
                conn.execute(statement.encode())
            finally:
                _reset_lock_timeout(conn)
            return n

        try:
            attempts = retry_on_lock(attempt, retries=retries, prepare=lambda: conn.execute(
                "SELECT set_config('lock_timeout', %s, false)", [str(lock_timeout)]))
        except psycopg.Error as exc:
            diag = getattr(exc, "diag", None)
            message = (diag.message_primary if diag else None) or str(exc)
            raise DatabaseError(f"fix for {finding.check} {finding.object} failed after {len(done)} statement(s) "
                                f"were applied: {statement.splitlines()[0]}: {message}",
                                sqlstate=getattr(exc, "sqlstate", None)) from None
        applied = Applied(finding, statement, attempts, time.monotonic() - started)
        done.append(applied)
        if on_done:
            on_done(applied)
    return done


def _reset_lock_timeout(conn) -> None:
    try:
        conn.execute("RESET lock_timeout")
    except Exception:  # the connection is broken; the caller sees the real error
        pass
