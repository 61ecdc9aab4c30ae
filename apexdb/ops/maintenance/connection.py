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

import os
import re
from dataclasses import dataclass

from apexdb.db.connection import Target, connect
from apexdb.errors import BadInput, NotConnected

_DURATION = re.compile(r"^\s*\d+(\.\d+)?\s*(us|ms|s|min|h|d)?\s*$")


@dataclass(frozen=True)
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

    def as_options(self) -> str:
        return " ".join(f"-c {name}={_compact(getattr(self, name))}" for name in ("lock_timeout", "statement_timeout"))


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", str(value))


def _with_options(target: Target, options: str) -> Target:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    # options in the DSN, else PGOPTIONS (which an explicit options= would otherwise override)
    existing = conninfo_to_dict(target.dsn).get("options") or os.environ.get("PGOPTIONS")
    merged = f"{existing} {options}" if existing else options
    return Target(make_conninfo(target.dsn, options=merged), target.source, target.name)


def open_maintenance_connection(target: Target, settings: MaintenanceSettings, *,
                                application_name: str = "apexdb maintenance"):
    """An autocommit connection whose timeouts are ``settings``; ``conn.apexdb_applied_via`` says how."""
    settings.validate()
    try:
        conn = connect(_with_options(target, settings.as_options()), application_name=application_name)
        via = "startup options"
    except NotConnected as exc:
        if "startup parameter" not in str(exc) and "options" not in str(exc):
            raise
        conn = connect(target, application_name=application_name)
        via = "session SET"
    if not _settings_hold(conn, settings):
        # a pooler dropped the options; fall back to session settings on this connection
        for name in ("lock_timeout", "statement_timeout"):
            conn.execute("SELECT set_config(%s, %s, false)", [name, _compact(getattr(settings, name))])
        via = "session SET"
    conn.apexdb_applied_via = via
    return conn


def close_maintenance_connection(conn) -> None:
    """Close ``conn``; settings made with a session SET are RESET first (best effort: behind a
    transaction-mode pooler the RESET may reach another server connection than the SET did)."""
    try:
        if getattr(conn, "apexdb_applied_via", "") == "session SET" and not conn.closed:
            conn.execute("RESET lock_timeout")
            conn.execute("RESET statement_timeout")
    except Exception:
        pass
    finally:
        conn.close()


def _settings_hold(conn, settings: MaintenanceSettings) -> bool:
    row = conn.execute("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')").fetchone()
    want = conn.execute("SELECT %s::interval = current_setting('lock_timeout')::interval "
                        "AND %s::interval = current_setting('statement_timeout')::interval",
                        [_interval(settings.lock_timeout), _interval(settings.statement_timeout)]).fetchone()
    return bool(row) and bool(want[0])


def _interval(value: str) -> str:
    """A GUC duration as an interval literal (a bare number means milliseconds)."""
    text = _compact(value)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return f"{text} ms"
    return text
