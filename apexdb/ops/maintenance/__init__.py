"""Maintenance: VACUUM, ANALYZE and REINDEX run safely on a live database, with progress.

Modules: ``connection`` (the autocommit maintenance connection and its timeouts),
``runner`` (steps run one at a time with retries, Ctrl-C and before/after figures),
``progress`` (the progress views read on a second connection), ``vacuum`` (VACUUM and
ANALYZE steps), ``reindex`` (REINDEX steps and ``_ccnew`` leftovers), ``plan`` (the
work the audits call for) and ``report`` (rows and JSON of a run).
"""
from apexdb.ops.maintenance.connection import (MaintenanceSettings, close_maintenance_connection,
                                                open_maintenance_connection)
from apexdb.ops.maintenance.runner import RunResult, Step, StepResult, run_steps

__all__ = ["MaintenanceSettings", "open_maintenance_connection", "close_maintenance_connection", "RunResult", "Step",
           "StepResult", "run_steps"]
