"""Building a planned index: settings for this build only, progress, notices, and nothing
left half-made.

CREATE INDEX CONCURRENTLY cannot run inside a transaction, so its settings are startup
options of a connection of its own, closed when the build ends (session ``SET``s, reset
right after, only behind a pooler that refuses options); a plain build runs in a
transaction with ``SET LOCAL``. A cancelled (Ctrl-C) or failed concurrent build leaves an
INVALID index behind: it is dropped before the error is reported. Replacing a valid index
builds the new one under a temporary name first and swaps names, so queries keep an index.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from apexdb.config import load_config
from apexdb.db.connection import cancel_backend, set_local
from apexdb.db.progress import ProgressSample, ProgressWatcher
from apexdb.db.retry import retry_on_lock
from apexdb.errors import DatabaseError, Interrupted
from apexdb.ops import catalog as vc
from apexdb.ops.index.plan import IndexPlan
from apexdb.ops.index.sizing import BuildSettings

RETRIES = 2  # extra attempts of a build or drop after a lock timeout or deadlock (waits: apexdb.db.retry)


@dataclass
class BuildResult:
    index: str
    table: str
    column: str
    method: str
    metric: str
    opclass: str
    options: dict
    where: str | None
    halfvec: bool
    concurrently: bool
    seconds: float
    size_bytes: int
    rows: int
    settings: dict
    maintenance_work_mem_bytes: int
    workers: int
    reasons: list[str]
    notices: list[str] = field(default_factory=list)
    replaced: str | None = None
    definition: str = ""


def build_index(conn, monitor_conn, plan: IndexPlan, sizing: BuildSettings, *,
                on_progress: Callable[[ProgressSample], None] | None = None,
                on_notice: Callable[[str], None] | None = None,
                on_event: Callable[[str], None] | None = None) -> BuildResult:
    """Build ``plan`` on ``conn`` while ``monitor_conn`` watches; the built index, or an error with
    the server cleaned up."""
    import psycopg

    say = on_event or (lambda _msg: None)
    notices: list[str] = []

    def notice(diag) -> None:
        message = diag.message_primary or ""
        if diag.severity_nonlocalized in ("NOTICE", "WARNING") and message:
            notices.append(message)
            if on_notice:
                on_notice(message)

    conn.add_notice_handler(notice)
    replaced = None
    build_name = plan.name
    if plan.existing is not None and not plan.existing["valid"]:
        drop_index(monitor_conn, plan.table.schema, plan.name)
        say(f"dropped the INVALID leftover index {plan.table.schema}.{plan.name}")
    elif plan.existing is not None:  # --replace of a valid index: build aside, then swap
        build_name = _temporary_name(plan.name)
        _drop_if_invalid(monitor_conn, plan.table.schema, build_name)
        replaced = f"{plan.table.schema}.{plan.name}"
    ddl = _with_name(plan, build_name).ddl()
    started = time.monotonic()
    left = [""]  # what a failed attempt left behind, for the error

    def attempt(_n: int) -> None:
        try:
            with ProgressWatcher(kind="create_index", pid=conn.info.backend_pid, conn=monitor_conn,
                                 on_sample=on_progress):
                _run(conn, plan, sizing, ddl)
        except psycopg.Error:
            left[0] = _cleanup(monitor_conn, plan, build_name)
            raise

    def retrying(r) -> None:
        say(f"could not get a lock in time (attempt {r.retry} of {r.retries + 1}); retrying")

    try:
        retry_on_lock(attempt, retries=RETRIES, on_retry=retrying)
    except KeyboardInterrupt:
        cancel_backend(monitor_conn, conn.info.backend_pid)
        raise Interrupted("index build cancelled on the server" + _cleanup(monitor_conn, plan, build_name)) from None
    except psycopg.Error as exc:
        primary = exc.diag.message_primary if exc.diag else str(exc)
        raise DatabaseError(f"index build failed: {primary}{left[0]}", sqlstate=exc.sqlstate or None,
                            hint=exc.diag.message_hint if exc.diag else None) from None
    seconds = time.monotonic() - started
    if replaced:
        drop_index(monitor_conn, plan.table.schema, plan.name)
        _rename(monitor_conn, plan.table.schema, build_name, plan.name)
        say(f"replaced {replaced} with the new build")
    built = next((i for i in vc.vector_indexes(monitor_conn, plan.table) if i.name == plan.name), None)
    return BuildResult(
        index=f"{plan.table.schema}.{plan.name}", table=plan.table.display, column=plan.column.column,
        method=plan.method, metric=plan.metric, opclass=plan.opclass, options=dict(plan.options), where=plan.where,
        halfvec=plan.halfvec, concurrently=plan.concurrently, seconds=round(seconds, 3),
        size_bytes=built.size_bytes if built else 0, rows=plan.rows, settings=sizing.settings(),
        maintenance_work_mem_bytes=sizing.maintenance_work_mem_bytes, workers=sizing.workers,
        reasons=list(sizing.reasons), notices=notices, replaced=replaced,
        definition=built.definition if built else "")


def build_settings(sizing: BuildSettings) -> dict[str, str]:
    """Every setting the build runs with: the sized ones, no statement timeout, the lock timeout."""
    return {**sizing.settings(), "statement_timeout": "0", "lock_timeout": load_config().setting("lock_timeout")}


def open_build_connection(target, sizing: BuildSettings, *, application_name: str = "apexdb index create"):
    """A connection of its own for the build, with the build's settings for its whole session
    (``conn.apexdb_applied_via`` says whether as startup options or, behind a pooler, session SET)."""
    from apexdb.db.connection import connect_with_settings

    return connect_with_settings(target, build_settings(sizing), application_name=application_name)


def _run(conn, plan: IndexPlan, sizing: BuildSettings, ddl) -> None:
    settings = build_settings(sizing)
    if not plan.concurrently:
        with conn.transaction():
            set_local(conn, **settings)
            conn.execute(ddl)
        return
    if getattr(conn, "apexdb_applied_via", None) == "startup options":
        conn.execute(ddl)  # the connection was opened with the settings
        return
    # CONCURRENTLY cannot run in a transaction block: session settings, reset right after.
    try:
        for name, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, false)", [name, value])
        conn.execute(ddl)
    finally:
        _reset(conn, settings)


def _reset(conn, settings: dict) -> None:
    from psycopg import sql

    try:
        for name in settings:
            conn.execute(sql.SQL("RESET {}").format(sql.Identifier(name)))
    except Exception:  # a broken connection is closed by the caller anyway
        pass


def _with_name(plan: IndexPlan, name: str) -> IndexPlan:
    import dataclasses

    return dataclasses.replace(plan, name=name)


def _temporary_name(name: str) -> str:
    return name.encode()[:50].decode(errors="ignore") + "_apexdb_new"


def _cleanup(monitor_conn, plan: IndexPlan, name: str) -> str:
    """Drop the INVALID index a failed concurrent build leaves; the phrase to add to the error."""
    if not plan.concurrently:
        return "; nothing was left behind (the transaction rolled back)"
    try:
        dropped = _drop_if_invalid(monitor_conn, plan.table.schema, name)
    except DatabaseError as exc:
        return f"; it left the INVALID index {plan.table.schema}.{name}, which could not be dropped ({exc.message})"
    if dropped:
        return f"; the INVALID index it left ({plan.table.schema}.{name}) was dropped"
    return "; nothing was left behind"


def _drop_if_invalid(conn, schema: str, name: str) -> bool:
    found = vc.relation_named(conn, schema, name)
    if found is None or found["kind"] not in ("i", "I") or found["valid"]:
        return False
    drop_index(conn, schema, name)
    return True


def drop_index(conn, schema: str, name: str, *, concurrently: bool = True) -> None:
    """DROP INDEX [CONCURRENTLY] IF EXISTS with lock_timeout, retried on lock timeouts and deadlocks."""
    import psycopg
    from psycopg import sql

    stmt = sql.SQL("DROP INDEX {} IF EXISTS {}").format(sql.SQL("CONCURRENTLY" if concurrently else ""),
                                                        sql.Identifier(schema, name))
    lock_timeout = load_config().setting("lock_timeout")

    def attempt(_n: int) -> None:
        if concurrently:  # cannot run in a transaction block: a session setting, reset at once
            conn.execute("SELECT set_config('lock_timeout', %s, false)", [lock_timeout])
            try:
                conn.execute(stmt)
            finally:
                conn.execute("RESET lock_timeout")
        else:
            with conn.transaction():
                set_local(conn, lock_timeout=lock_timeout)
                conn.execute(stmt)

    try:
        retry_on_lock(attempt, retries=RETRIES)
    except psycopg.Error as exc:
        primary = exc.diag.message_primary if exc.diag else str(exc)
        raise DatabaseError(f"could not drop index {schema}.{name}: {primary}", sqlstate=exc.sqlstate,
                            hint=f'run DROP INDEX CONCURRENTLY "{schema}"."{name}" when the table is quieter'
                            ) from None


def _rename(conn, schema: str, old: str, new: str) -> None:
    from psycopg import sql

    with conn.transaction():
        set_local(conn, lock_timeout=load_config().setting("lock_timeout"))
        conn.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(sql.Identifier(schema, old), sql.Identifier(new)))
