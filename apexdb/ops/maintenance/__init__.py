"""Maintenance: VACUUM, ANALYZE and REINDEX run safely on a live database, with progress.

Public API (what the CLI and Python callers use):

- planning: ``vacuum.named_steps`` (named tables), ``reindex.plan_for_indexes`` /
  ``plan_for_table`` / ``plan_for_invalid`` + ``reindex.reindex_steps``, and the audit-driven
  ``plan.vacuum_plan`` / ``analyze_plan`` / ``bloated_plan`` / ``maintain_plan``;
- running: :func:`run_maintenance` (its own maintenance connection, opened and closed) or
  ``runner.run_steps`` on a connection from :func:`open_maintenance_connection`;
- results: ``RunResult`` / ``StepResult`` (their view is ``apexdb.render.maintenance``).

Modules: ``connection`` (the autocommit maintenance connection and its timeouts),
``runner`` (steps run one at a time: retries through apexdb.db.retry, progress through
apexdb.db.progress, Ctrl-C, before/after figures), ``vacuum`` (VACUUM and ANALYZE steps),
``reindex`` (REINDEX steps and ``_ccnew`` leftovers), ``plan`` (the work the audits call for)
and ``sizes`` (table sizes that never wait for a lock).
"""
from __future__ import annotations

from typing import Any, Callable

from apexdb.ops.maintenance.connection import (MaintenanceSettings, close_maintenance_connection,
                                                open_maintenance_connection)
from apexdb.ops.maintenance.runner import ProgressCallback, RunResult, Step, StepResult, run_steps

__all__ = ["MaintenanceSettings", "open_maintenance_connection", "close_maintenance_connection", "RunResult", "Step",
           "StepResult", "run_steps", "run_maintenance"]


def run_maintenance(target, steps: list[Step], settings: MaintenanceSettings, *,
                    progress_connection: Callable[[], Any] | None = None,
                    on_progress: ProgressCallback | None = None,
                    on_step: Callable[[StepResult], None] | None = None,
                    on_message: Callable[[str, str], None] | None = None) -> RunResult:
    """Run ``steps`` (any mix of vacuum, analyze, reindex and leftover drops) on a maintenance
    connection of their own, closed afterwards; never raises for a step (see ``RunResult``)."""
    conn = open_maintenance_connection(target, settings)
    try:
        return run_steps(conn, steps, settings, progress_connection=progress_connection, on_progress=on_progress,
                         on_step=on_step, on_message=on_message)
    finally:
        close_maintenance_connection(conn)
