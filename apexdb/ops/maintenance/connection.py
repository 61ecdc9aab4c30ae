"""The connection maintenance runs on.

VACUUM, and REINDEX/DROP INDEX ... CONCURRENTLY, cannot run inside a transaction block,
so the ``SET LOCAL`` rule of design.md cannot apply to them. Their ``lock_timeout`` and
``statement_timeout`` are passed as startup options (``options=-c lock_timeout=...``)
of a dedicated autocommit connection: they hold for every statement on it, without
any session-level ``SET`` that could leak into a pooled server connection.

A transaction-mode PgBouncer rejects (or, with ``ignore_startup_parameters``,
silently drops) startup options. Then the settings are applied with a session ``SET``
on the connection and the result says so (``applied_via``); behind such a pooler a
later statement may run on another server connection, so the timeouts cannot be
guaranteed: point maintenance at the server itself (docs/maintenance.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from apexdb.db.connection import Target, close_settings_connection, connect_with_settings
from apexdb.errors import BadInput

_DURATION = re.compile(r"^\s*\d+(\.\d+)?\s*(us|ms|s|min|h|d)?\s*$")


@dataclass(frozen=True, kw_only=True)
class MaintenanceSettings:
    lock_timeout: str = "5s"
    statement_timeout: str = "0"  # VACUUM of a big table may rightly take hours
    retries: int = 2  # extra attempts after a lock timeout or a deadlock, with backoff

    def validate(self) -> "MaintenanceSettings":
        for name in ("lock_timeout", "statement_timeout"):
            value = str(getattr(self, name))
            if not _DURATION.match(value):
                raise BadInput(f"--{name.replace('_', '-')} {value!r} is not a duration (e.g. 5s, 500ms, 2min)")
        if self.retries < 0 or self.retries > 20:
            raise BadInput(f"--retries must be between 0 and 20, not {self.retries}")
        return self


def open_maintenance_connection(target: Target, settings: MaintenanceSettings, *,
                                application_name: str = "apexdb maintenance"):
    """An autocommit connection whose timeouts are ``settings``; ``conn.apexdb_applied_via`` says how."""
    settings.validate()
    return connect_with_settings(target, {"lock_timeout": settings.lock_timeout,
                                          "statement_timeout": settings.statement_timeout},
                                 application_name=application_name)


def close_maintenance_connection(conn) -> None:
    """Close ``conn``, RESETting what a session SET applied (see close_settings_connection)."""
    close_settings_connection(conn)
