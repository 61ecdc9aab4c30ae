"""Running maintenance steps one at a time: measure, run with retries, measure again.

Every step is one statement on the maintenance connection (see connection.py), watched by
apexdb.db.progress when it has a progress view. A lock timeout or deadlock is retried
through apexdb.db.retry; when the retries are used up the step is *skipped* and the
sessions holding the lock are named. Ctrl-C cancels the
statement on the server (psycopg sends the cancel), the step is reported as
*cancelled*, its clean-up hook runs, and the steps after it are *not run*.
"""
from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable

from apexdb.db.progress import ProgressSample, ProgressWatcher
from apexdb.db.queries import fetch
from apexdb.db.retry import RETRYABLE, retry_on_lock
from apexdb.ops.maintenance.connection import MaintenanceSettings

ProgressCallback = Callable[[str, ProgressSample], None]  # (the step's object, a sample)
STATUSES = ("done", "skipped", "failed", "cancelled", "not run")


@dataclass
class Step:
    """One statement to run, how to measure its object, and what to tidy if it fails."""

    action: str  # vacuum | vacuum full | analyze | reindex | drop leftover
    object: str  # schema.name of the table or index
    statement: Any  # psycopg Composable
    progress: str | None = None  # the apexdb.db.progress kind that reports it (vacuum, analyze, cluster, create_index)
    relid: int | None = None  # the table whose lock holders to name on a lock timeout
    reason: str = ""
    cost_bytes: int | None = None  # the size the step reads or rewrites (an estimate)
    measure: Callable[[Any], dict[str, Any]] | None = None
    cleanup: Callable[[Any], list[str]] | None = None  # returns notes on what it tidied
    report: Callable[[list[str]], dict[str, Any]] | None = None  # the server's messages -> figures for ``after``


@dataclass
class StepResult:
    action: str
    object: str
    status: str = "not run"
    statement: str = ""
    reason: str = ""
    cost_bytes: int | None = None
    error: str | None = None
    sqlstate: str | None = None
    attempts: int = 0
    seconds: float | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] | None = None
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    steps: list[StepResult]
    interrupted: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    connection_lost: bool = False  # the server went away: the steps after the failed one were not run

    @property
    def not_done(self) -> list[StepResult]:
        return [s for s in self.steps if s.status != "done"]

    def summary(self) -> dict[str, Any]:
        counts = {status.replace(" ", "_"): sum(1 for s in self.steps if s.status == status) for status in STATUSES}
        return {"steps": len(self.steps), **counts, "interrupted": self.interrupted,
                "connection_lost": self.connection_lost}


def statement_text(conn, statement) -> str:
    return statement.as_string(conn) if hasattr(statement, "as_string") else str(statement)


def one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def run_steps(conn, steps: list[Step], settings: MaintenanceSettings, *,
              progress_connection: Callable[[], Any] | None = None,
              on_progress: ProgressCallback | None = None,
              on_step: Callable[[StepResult], None] | None = None,
              on_message: Callable[[str, str], None] | None = None) -> RunResult:
    """Run ``steps`` in order on ``conn`` (a maintenance connection); never raises for a step."""
    results = [StepResult(s.action, s.object, statement=statement_text(conn, s.statement), reason=s.reason,
                          cost_bytes=s.cost_bytes) for s in steps]
    run = RunResult(results, settings={"lock_timeout": settings.lock_timeout,
                                       "statement_timeout": settings.statement_timeout,
                                       "retries": settings.retries,
                                       "applied_via": getattr(conn, "apexdb_applied_via", "startup options")})
    current: list[StepResult] = []

    def notice(diag) -> None:
        if current and diag.message_primary:
            text = diag.message_primary + (f"\n{diag.message_detail}" if diag.message_detail else "")
            if diag.severity_nonlocalized == "WARNING":
                # e.g. 'permission denied to vacuum "t", skipping it': VACUUM/ANALYZE warn and succeed
                current[0].notes.append(one_line(text))
                return
            current[0].messages.append(text)
            if on_message is not None:
                on_message(current[0].object, text)

    conn.add_notice_handler(notice)
    try:
        for step, result in zip(steps, results):
            current[:] = [result]
            try:
                _run_one(conn, step, result, settings, progress_connection, on_progress)
            except KeyboardInterrupt:
                run.interrupted = True
                if result.status != "done":  # Ctrl-C while measuring afterwards leaves a done step done
                    result.status, result.error = "cancelled", "interrupted; the statement was cancelled on the server"
                    _tidy(conn, step, result)
            if on_step is not None:
                on_step(result)
            if conn.closed or conn.broken:
                run.connection_lost = True
            if run.interrupted or run.connection_lost:
                break
    finally:
        current.clear()
        conn.remove_notice_handler(notice)
    return run


def _run_one(conn, step: Step, result: StepResult, settings: MaintenanceSettings,
             progress_connection, on_progress) -> None:
    import psycopg

    result.before = _measure(conn, step)
    started = time.monotonic()

    def attempt(n: int) -> None:
        result.attempts = n
        watcher = nullcontext()
        if step.progress and progress_connection is not None:
            watcher = ProgressWatcher(kind=step.progress, pid=conn.info.backend_pid,
                                      open_connection=progress_connection,
                                      on_sample=(lambda sample: on_progress(step.object, sample)) if on_progress
                                      else None)
        with watcher:
            try:
                conn.execute(step.statement)
            finally:
                if getattr(watcher, "last", None) is not None:
                    result.progress = dict(watcher.last.row)

    try:
        retry_on_lock(attempt, retries=settings.retries, before_retry=lambda _exc: _tidy(conn, step, result))
        result.status = "done"
        refused = [n for n in result.notes if "skipping" in n]
        if refused:  # the server skipped the table instead of failing (no privilege, locked with SKIP_LOCKED)
            result.status, result.error = "skipped", refused[0]
    except psycopg.Error as exc:
        result.sqlstate = exc.sqlstate
        primary = exc.diag.message_primary or str(exc)
        if exc.sqlstate in RETRYABLE:
            result.status = "skipped"
            result.error = one_line(f"could not lock {step.object} within lock_timeout {settings.lock_timeout} "
                                    f"after {result.attempts} attempt(s): {primary}") + _holders(conn, step)
        else:
            result.status = "failed"
            hint = f" (hint: {exc.diag.message_hint})" if exc.diag.message_hint else ""
            result.error = one_line(f"{primary}{hint}")
        _tidy(conn, step, result)
    finally:
        result.seconds = round(time.monotonic() - started, 3)
    if result.status == "done":
        result.after = _measure(conn, step)
        if step.report is not None:
            result.after.update(step.report(result.messages))
    else:
        result.after = dict(result.before)


def _measure(conn, step: Step) -> dict[str, Any]:
    """The step's figures, or {} when they cannot be had (a lock held elsewhere)."""
    if step.measure is None:
        return {}
    import psycopg

    try:
        return step.measure(conn)
    except psycopg.Error:
        return {}


def _tidy(conn, step: Step, result: StepResult) -> None:
    if step.cleanup is None:
        return
    import psycopg

    try:
        result.notes.extend(step.cleanup(conn))
    except psycopg.Error as exc:
        result.notes.append(one_line(f"clean-up failed: {exc.diag.message_primary or exc}"))
    except KeyboardInterrupt:
        result.notes.append("clean-up interrupted")


def _holders(conn, step: Step) -> str:
    """'; held by pid 123 (idle in transaction for 40 s: LOCK t)' when the holders can be seen."""
    if step.relid is None:
        return ""
    import psycopg

    try:
        rows = fetch(conn, "maint_lock_holders", {"relid": step.relid})
    except psycopg.Error:
        return ""
    if not rows:
        return ""
    parts = []
    for row in rows[:3]:
        age = f" for {row['xact_seconds']:.0f} s" if row["xact_seconds"] is not None else ""
        parts.append(f"pid {row['pid']} {row['mode']} ({row['state'] or 'unknown'}{age}: {row['query'] or ''})")
    return "; held by " + ", ".join(parts)
