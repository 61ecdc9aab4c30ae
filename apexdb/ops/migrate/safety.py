"""What makes a migration run safe: timeouts, retries on lock trouble, one run at a time.

- ``lock_timeout`` and ``statement_timeout`` are set on every connection a migration uses
  (through a SQLAlchemy ``connect`` listener, so any project's env.py gets them, and
  committed at once so a rolled-back step cannot take them away);
- a step that fails with a lock timeout (55P03) or a deadlock (40P01) is retried through
  apexdb.db.retry (the one retry and backoff schedule), on a fresh connection with the
  settings applied again;
- a session advisory lock, taken on a connection of its own, makes a second run wait.

Used by the apexdb runner and by apexdb's env.py, so ``alembic upgrade head`` is as safe.
"""
from __future__ import annotations

import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

LOCK_NAMESPACE = "apexdb migrate"


@dataclass(frozen=True)
class SafetySettings:
    lock_timeout: str = "5s"
    statement_timeout: str = "30min"
    retries: int = 5  # extra attempts after the first (waits: apexdb.db.retry.backoff)

    @classmethod
    def from_config(cls, lock_timeout: str | None = None, statement_timeout: str | None = None,
                    retries: int | None = None) -> "SafetySettings":
        """Flags > ``[migrate]`` in apexdb.toml > ``APEXDB_LOCK_TIMEOUT``/``[defaults]`` > built-in."""
        from apexdb.config import load_config

        cfg = load_config()
        section = cfg.section("migrate")
        return cls(
            lock_timeout=str(lock_timeout or section.get("lock_timeout") or cfg.setting("lock_timeout") or "5s"),
            statement_timeout=str(statement_timeout or section.get("statement_timeout") or "30min"),
            retries=int(retries if retries is not None else section.get("retries", cfg.setting("ddl_retries"))),
        )


def apply_settings(dbapi_connection, settings: SafetySettings) -> None:
    """Session-level timeouts on a fresh DBAPI connection, committed so no rollback undoes them."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false)",
                       (settings.lock_timeout, settings.statement_timeout))
        # PostgreSQL 14+: if apexdb dies mid-migration, the server aborts the statement within a
        # second instead of finishing (say) a CREATE INDEX CONCURRENTLY that nobody will record.
        cursor.execute("SELECT set_config('client_connection_check_interval', '1s', false) "
                       "WHERE current_setting('server_version_num')::int >= 140000")
    finally:
        cursor.close()
    if not getattr(dbapi_connection, "autocommit", False):
        dbapi_connection.commit()


@contextmanager
def settings_on_every_connection(settings: SafetySettings) -> Iterator[None]:
    """Apply ``settings`` to each connection any SQLAlchemy engine opens while this is active."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    def on_connect(dbapi_connection, _record) -> None:
        apply_settings(dbapi_connection, settings)

    # Listened on the Pool class, the "connect" event reaches pools of engines created later.
    event.listen(Pool, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Pool, "connect", on_connect)


def lock_key(version_table: str = "alembic_version", schema: str | None = None) -> int:
    """A stable 63-bit advisory lock key per version table (advisory locks are per database)."""
    name = f"{LOCK_NAMESPACE}:{schema or ''}.{version_table}"
    return (zlib.crc32(name.encode()) << 16) | 0x4D47  # 'MG'


WAITING_SUFFIX = " - waiting for the migration lock"


@contextmanager
def migration_lock(psycopg_conn, key: int, on_wait: Callable[[int | None], None] | None = None,
                   poll: float = 0.25) -> Iterator[None]:
    """Hold the session advisory lock ``key`` on ``psycopg_conn`` (autocommit) for the block.

    When another session holds it, ``on_wait(holder_pid)`` is called once and this polls
    with ``pg_try_advisory_lock``. Polling, not a blocking ``pg_advisory_lock``: a blocked
    statement holds a snapshot, and CREATE INDEX CONCURRENTLY in the running migration
    would wait for that snapshot while we wait for it. While waiting, the session's
    application_name says so in pg_stat_activity.
    """
    if not _try_lock(psycopg_conn, key):
        if on_wait is not None:
            on_wait(lock_holder(psycopg_conn, key))
        name = psycopg_conn.execute("SELECT current_setting('application_name')").fetchone()[0]
        psycopg_conn.execute("SELECT set_config('application_name', %s, false)", [(name + WAITING_SUFFIX)[:63]])
        while not _try_lock(psycopg_conn, key):
            time.sleep(poll)
        psycopg_conn.execute("SELECT set_config('application_name', %s, false)", [name])
    try:
        yield
    finally:
        try:
            psycopg_conn.execute("SELECT pg_advisory_unlock(%s)", [key])
        except Exception:
            pass  # the connection is gone: so is the lock


def _try_lock(psycopg_conn, key: int) -> bool:
    return bool(psycopg_conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0])


def lock_holder(psycopg_conn, key: int) -> int | None:
    from apexdb.db.queries import fetch_one

    row = fetch_one(psycopg_conn, "migrate_lock_holder", {"key": key})
    return row["pid"] if row else None
