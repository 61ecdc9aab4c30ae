"""Applying migrations safely: upgrade, downgrade and stamp for any Alembic project.

One run: take the migration lock (a session advisory lock on a connection of its own, so
a second run waits), set lock_timeout/statement_timeout on every connection the project's
env.py opens, run Alembic, and retry the run on 55P03/40P01 (apexdb.db.retry).
Alembic recomputes what is pending from ``alembic_version`` on each attempt, and apexdb's
project runs each revision in its own transaction, so a failed or interrupted attempt
leaves ``alembic_version`` at the last revision that committed and a rerun completes it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from apexdb.errors import ApexdbError, BadInput, DatabaseError, Interrupted, NotEnabled
from apexdb.ops.migrate.project import is_apex_project
from apexdb.db.retry import RETRYABLE, retry_on_lock, sqlstate_of
from apexdb.ops.migrate.safety import SafetySettings, lock_key, migration_lock, settings_on_every_connection
from apexdb.ops.migrate.target import prepare_target, project_logging


@dataclass
class StepDone:
    revision: str
    direction: str  # upgrade | downgrade
    message: str
    seconds: float


@dataclass
class RunResult:
    direction: str
    destination: str
    before: list[str] | None  # None until Alembic has read alembic_version
    after: list[str]
    steps: list[StepDone] = field(default_factory=list)
    retries: int = 0
    waited_for_lock: bool = False


class Listener:
    """What the runner tells whoever watches (the CLI prints these); every method may be ignored."""

    def waiting(self, holder_pid: int | None) -> None: ...
    def planned(self, revisions: list[tuple[str, str]]) -> None: ...
    def step_started(self, revision: str, direction: str, message: str) -> None: ...
    def step_done(self, step: StepDone) -> None: ...
    def retrying(self, attempt: int, of: int, reason: str, detail: str, wait: float) -> None: ...


class _StepWatcher:
    """Times each revision: Alembic calls ``on_version_apply`` as each one is applied, and the
    runner knows the planned steps, so the next one starts when the previous one is done."""

    def __init__(self, listener: Listener, result: RunResult):
        self.listener, self.result = listener, result
        self.planned: list = []
        self.current: tuple[str, str, str, float] | None = None

    def plan(self, context, steps: list) -> None:
        self.planned = list(steps)
        context.on_version_apply_callbacks = tuple(context.on_version_apply_callbacks) + (self.applied,)
        self.listener.planned([(step.revision.revision, revision_title(step.doc)) for step in self.planned])
        self._start_next()

    def _start_next(self) -> None:
        if not self.planned:
            return
        step = self.planned.pop(0)
        direction = "upgrade" if step.is_upgrade else "downgrade"
        message = revision_title(step.doc)
        self.current = (step.revision.revision, direction, message, time.perf_counter())
        self.listener.step_started(*self.current[:3])

    def applied(self, heads=(), **_kw) -> None:
        self.result.after = sorted(heads)
        if self.current is not None:
            revision, direction, message, started = self.current
            self.current = None
            done = StepDone(revision, direction, message, time.perf_counter() - started)
            self.result.steps.append(done)
            self.listener.step_done(done)
        self._start_next()

    def abandon(self) -> str | None:
        """The step that was running when the run failed (it was rolled back)."""
        revision = self.current[0] if self.current else None
        self.current, self.planned = None, []
        return revision


def revision_title(doc: str | None) -> str:
    """A revision's message: the first line of its docstring."""
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""


def current_heads(config) -> list[str]:
    """The revisions ``alembic_version`` holds (read through the project's env.py, no changes)."""
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    found: list[str] = []

    def read(rev, context):
        found.extend(context.get_current_heads())
        return []

    with project_logging(), EnvironmentContext(config, script, fn=read, dont_mutate=True):
        script.run_env()
    return found


def check_revision(script, revision: str) -> None:
    from alembic.util import CommandError

    if revision in ("base", "head", "heads") or revision.startswith(("+", "-")):
        return
    try:
        if not script.get_revisions(revision.split("@")[-1]):
            raise BadInput(f"unknown revision {revision!r}")
    except CommandError as exc:
        raise BadInput(f"unknown revision {revision!r}: {exc}") from None
    except Exception as exc:  # ResolutionError and friends
        raise BadInput(f"unknown revision {revision!r}: {exc}") from None


def _preflight(config, context, heads, upgrading: bool) -> None:
    """Refuse what would fail half-way: unversioned tables, a missing pgvector."""
    from sqlalchemy import inspect

    connection = context.connection
    if upgrading and not heads:
        metadata = context.opts.get("target_metadata")
        inspector = inspect(connection)
        existing = set(inspector.get_table_names(schema=context.version_table_schema))
        ours = {t.name for t in metadata.sorted_tables} if metadata is not None else set()
        clash = sorted(existing & ours)
        if clash:
            # (Alembic has made an empty alembic_version by now, in this run's transaction.)
            raise BadInput(
                f"the database already has tables of this schema ({', '.join(clash[:5])}"
                f"{', ...' if len(clash) > 5 else ''}) but no alembic_version recording a revision; "
                "nothing was changed",
                hint="if they match a revision, record it with `apexdb migrate stamp REV`, then migrate")
    if upgrading and is_apex_project(config):
        from apexdb import sql as registry

        row = connection.exec_driver_sql(registry.get("migrate_vector_available").text).one()
        if row[0] is None and not row[1]:
            raise NotEnabled(f"the vector extension (pgvector) is not available on this server "
                             f"(PostgreSQL {row[2]}); nothing was changed",
                             hint="install pgvector on the server: https://github.com/pgvector/pgvector#installation")


def _run_alembic(config, direction: str, destination: str, watcher: _StepWatcher) -> None:
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)

    def steps(rev, context):
        heads = list(context.get_current_heads())
        if watcher.result.before is None:  # the first attempt sees where the run started
            watcher.result.before = heads
        watcher.result.after = heads
        _preflight(config, context, heads, direction == "upgrade")
        if direction == "upgrade":
            steps_ = script._upgrade_revs(destination, rev)
        else:
            steps_ = script._downgrade_revs(destination, rev)
        watcher.plan(context, steps_)
        return steps_

    with project_logging(), EnvironmentContext(config, script, fn=steps, as_sql=False, starting_rev=None,
                                               destination_rev=destination, tag=None):
        script.run_env()


def migrate(config, direction: str = "upgrade", destination: str = "head", *,
            settings: SafetySettings | None = None, listener: Listener | None = None,
            dsn: str | None = None, target_name: str | None = None, before=None) -> RunResult:
    """Upgrade (or downgrade) ``config``'s project to ``destination`` under the migration lock.

    ``before(conn)``, when given, runs first under the same lock, on the lock's own (autocommit)
    psycopg connection: ``init`` creates the extensions there, so two inits cannot race.
    """
    from alembic.script import ScriptDirectory

    from apexdb.db.connection import connect

    settings = settings or SafetySettings.from_config()
    listener = listener or Listener()
    check_revision(ScriptDirectory.from_config(config), destination)
    target = prepare_target(config, dsn, target_name)
    config.attributes["apexdb_runner"] = True
    result = RunResult(direction, destination, None, [])
    lock_conn = connect(target, application_name="apexdb migrate (lock)")
    watcher = _StepWatcher(listener, result)

    def waiting(pid):
        result.waited_for_lock = True
        listener.waiting(pid)

    def retrying(r):
        running = watcher.abandon()
        result.retries += 1
        where = f"revision {running}: " if running else ""
        listener.retrying(r.retry, r.retries, r.reason, where + _first_line(r.error), r.wait_s)

    try:
        with migration_lock(lock_conn, lock_key(), on_wait=waiting):
            if before is not None:
                before(lock_conn)
            with settings_on_every_connection(settings):
                retry_on_lock(lambda _n: _run_alembic(config, direction, destination, watcher),
                              retries=settings.retries, on_retry=retrying)
    except KeyboardInterrupt:
        running = watcher.abandon()
        raise Interrupted(_interrupted_message(config, running)) from None
    except ApexdbError:
        raise
    except Exception as exc:
        running = watcher.abandon()
        if _caused_by_interrupt(exc):  # cleanup after Ctrl-C failed on the dead connection
            raise Interrupted(_interrupted_message(config, running)) from None
        raise _as_error(exc, running, settings) from None
    finally:
        lock_conn.close()
    return result



def _interrupted_message(config, running: str | None) -> str:
    try:
        now = ", ".join(current_heads(config)) or "base"
    except BaseException:
        now = "unknown (the database did not answer)"
    during = f" during revision {running} (rolled back)" if running else ""
    return f"interrupted{during}; the database is at {now}: rerun `apexdb migrate` to finish"


def _caused_by_interrupt(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _as_error(exc: Exception, running: str | None, settings: SafetySettings) -> ApexdbError:
    from alembic.util import CommandError

    where = f"revision {running}: " if running else ""
    if isinstance(exc, CommandError):
        hint = ("alembic_version names a revision this project does not have: is this the right project "
                "(--config) and database?") if "locate revision" in str(exc) else None
        return BadInput(f"{where}{exc}", hint=hint)
    state = sqlstate_of(exc)
    if state is None:
        return DatabaseError(f"{where}{type(exc).__name__}: {_first_line(exc)}")
    hint = None
    if state in RETRYABLE:
        hint = (f"still blocked after {settings.retries} retries with lock_timeout {settings.lock_timeout}; "
                "find the blocker with `apexdb stats activity`")
    return DatabaseError(f"{where}{_first_line(exc)}", sqlstate=state, hint=hint)


def stamp(config, revision: str, *, dsn: str | None = None, target_name: str | None = None) -> list[str]:
    """Record ``revision`` in alembic_version without running anything; returns the new heads."""
    from alembic import command
    from alembic.script import ScriptDirectory

    check_revision(ScriptDirectory.from_config(config), revision)
    prepare_target(config, dsn, target_name)
    config.attributes["apexdb_runner"] = True
    try:
        with project_logging():
            command.stamp(config, revision)
    except Exception as exc:
        raise _as_error(exc, None, SafetySettings()) from None
    return current_heads(config)

