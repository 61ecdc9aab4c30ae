"""The history schema: its name and retention (``[history]`` in apexdb.toml), its state, and its migrations.

The schema is opt-in (``apexdb snapshot init``) and versioned on its own: ``{schema}.version``
holds one row per applied migration; migration N is ``sql/history_migration_N.sql``. Installing
runs the pending ones under apexdb's migration lock (``ops.migrate.safety``: a session advisory
lock, so two installs do not race), each in its own transaction with lock_timeout and
statement_timeout, retried on a lock timeout or deadlock by the one retry (``db.retry``).
Re-running is a no-op; a later apexdb adds ``history_migration_2.sql`` and bumps LATEST.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from apexdb.db.queries import execute, fetch_one
from apexdb.errors import BadInput

DEFAULT_SCHEMA = "apexdb_history"
DEFAULT_RETENTION = "30d"
LATEST = 1
MIGRATIONS = {1: "history_migration_1"}


@dataclass
class HistoryState:
    schema: str
    version: int
    first_at: datetime | None
    last_at: datetime | None
    snapshots: int

    def as_json(self) -> dict:
        return {"schema": self.schema, "version": self.version, "first_at": self.first_at,
                "last_at": self.last_at, "snapshots": self.snapshots}


def history_schema() -> str:
    """The schema apexdb keeps history in: ``[history] schema`` in the config file, else apexdb_history."""
    from apexdb.config import load_config

    name = load_config().section("history").get("schema", DEFAULT_SCHEMA)
    if not isinstance(name, str) or not name.strip() or name.startswith("pg_"):
        raise BadInput(f"[history] schema in the config file must be a schema name not starting with pg_ "
                       f"(got {name!r})")
    return name


def retention_seconds(value: str | None = None) -> float:
    """``--retention`` > ``[history] retention`` > 30d, in seconds (BadInput when not a positive duration)."""
    from apexdb.config import load_config
    from apexdb.units import parse_duration

    source = "--retention" if value is not None else "[history] retention"
    if value is None:
        value = load_config().section("history").get("retention", DEFAULT_RETENTION)
    seconds = parse_duration(value, error=f"{source}: {{value!r}} is not a duration (e.g. 30d, 12h, 2w)")
    if seconds < 3600:
        raise BadInput(f"{source} must be at least 1h (got {value!r}): hourly snapshots would be forgotten at once")
    return seconds


def ident(schema: str | None = None) -> dict:
    """The ``{history}`` identifier of the registry's history queries."""
    return {"history": schema or history_schema()}


def history_state(conn, schema: str | None = None) -> HistoryState | None:
    """The history schema's version and snapshots; None when it is not installed (read-only)."""
    from apexdb.db.connection import read_only

    schema = schema or history_schema()
    with read_only(conn):
        if not fetch_one(conn, "history_installed", {"schema": schema})["installed"]:
            return None
        row = fetch_one(conn, "history_state", **ident(schema))
    return HistoryState(schema, int(row["version"] or 0), row["first_at"], row["last_at"], int(row["snapshots"]))


def require_history(conn, schema: str | None = None) -> HistoryState:
    """The state, or one line saying how to create the schema."""
    state = history_state(conn, schema)
    if state is None:
        raise BadInput(f"no history here: schema {schema or history_schema()} does not exist; create it with "
                       "`apexdb snapshot init` (on the primary), then take snapshots with `apexdb snapshot`")
    if state.version > LATEST:
        raise BadInput(f"schema {state.schema} is at history version {state.version}, newer than this apexdb "
                       f"knows ({LATEST}): upgrade apexdb")
    return state


def pending_migrations(conn, schema: str | None = None) -> list[int]:
    state = history_state(conn, schema)
    current = state.version if state else 0
    return [v for v in sorted(MIGRATIONS) if v > current]


def install(conn, schema: str | None = None, *, lock_timeout: str | None = None,
            statement_timeout: str | None = None) -> list[int]:
    """Create or upgrade the history schema; the migrations applied (empty: it was up to date)."""
    from apexdb.db.connection import set_local
    from apexdb.db.retry import retry_on_lock
    from apexdb.ops.migrate.safety import SafetySettings, lock_key, migration_lock

    schema = schema or history_schema()
    _refuse_replica(conn, "create the history schema")
    settings = SafetySettings.from_config(lock_timeout, statement_timeout)
    applied: list[int] = []
    with migration_lock(conn, lock_key("version", schema)):
        for version in pending_migrations(conn, schema):
            def attempt(_n: int, version: int = version) -> None:
                with conn.transaction():
                    set_local(conn, lock_timeout=settings.lock_timeout, statement_timeout=settings.statement_timeout)
                    from psycopg import sql

                    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
                    execute(conn, MIGRATIONS[version], **ident(schema))

            retry_on_lock(attempt, retries=settings.retries)
            applied.append(version)
    return applied


def _refuse_replica(conn, what: str) -> None:
    from apexdb.db.queries import fetch_one as one

    member = one(conn, "cluster_member") or {}
    if member.get("in_recovery"):
        raise BadInput(f"this server is a read-only replica: {what} on its primary")
