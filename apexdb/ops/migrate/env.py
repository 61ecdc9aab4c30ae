"""The body of apexdb's ``alembic/env.py``: one code path for ``alembic`` and ``apexdb migrate``.

The database is found with :func:`apexdb.db.connection.resolve_target`, exactly as every
apexdb command finds it (``-x dsn=...`` on the alembic command line acts as ``--dsn``).
Run by plain ``alembic``, this also takes the migration lock, sets the timeouts and
retries lock timeouts and deadlocks; under ``apexdb migrate`` the runner has done that.
"""
from __future__ import annotations

import logging

from apexdb.db.retry import retry_on_lock
from apexdb.ops.migrate.safety import SafetySettings, lock_key, migration_lock, settings_on_every_connection
from apexdb.units import duration_setting

log = logging.getLogger("alembic.env")

# What every run configures (online and offline), so --sql output matches what runs.
COMMON_OPTIONS = {
    "transaction_per_migration": True,
    "compare_type": True,
    "compare_server_default": True,
}


def render_item(type_, obj, autogen_context):
    """Autogenerate writes pgvector types as ``pgvector.sqlalchemy.VECTOR(dim=1536)`` and imports them."""
    module = type(obj).__module__
    if type_ == "type" and module.startswith("pgvector.sqlalchemy"):
        autogen_context.imports.add("import pgvector.sqlalchemy")
        name = type(obj).__name__
        if name == "BIT":  # a TypeDecorator over PostgreSQL's bit(n)
            length = getattr(getattr(obj, "impl", None), "length", None)
            return f"pgvector.sqlalchemy.BIT({'' if length is None else f'length={length}'})"
        dim = getattr(obj, "dim", None)
        return f"pgvector.sqlalchemy.{name}({'' if dim is None else f'dim={dim}'})"
    return False


def include_object(obj, name, type_, reflected, compare_to):
    """Tables the models do not know (another application's, a scratch table) are not drift."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return True


TIMEOUT_ERROR = "timeout {value!r} is not a duration such as 5s, 500ms or 30min"


def sqlalchemy_engine(target):
    """A SQLAlchemy engine whose connections are apexdb's own (same DSN handling, pgvector types)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from apexdb.db.connection import connect

    def creator():
        conn = connect(target, application_name="apexdb migrate")
        conn.autocommit = False  # Alembic manages transactions itself
        return conn

    return create_engine("postgresql+psycopg://", creator=creator, poolclass=NullPool)


def run(context, target_metadata) -> None:
    """Entry point called by env.py."""
    options = dict(COMMON_OPTIONS, target_metadata=target_metadata, render_item=render_item,
                   include_object=include_object)
    if context.is_offline_mode():
        context.configure(url="postgresql+psycopg://", dialect_name="postgresql", literal_binds=True,
                          dialect_opts={"paramstyle": "named"}, **options)
        # The script says what apexdb does online: the same timeouts, for the whole session.
        settings = SafetySettings.from_config()
        context.execute(f"SET lock_timeout = '{duration_setting(settings.lock_timeout, error=TIMEOUT_ERROR)}'")
        context.execute(f"SET statement_timeout = '{duration_setting(settings.statement_timeout, error=TIMEOUT_ERROR)}'")
        with context.begin_transaction():
            context.run_migrations()
        return
    config = context.config
    target = config.attributes.get("apexdb_target")
    if target is None:
        from apexdb.db.connection import resolve_target

        x_args = context.get_x_argument(as_dictionary=True)
        target = resolve_target(x_args.get("dsn") or config.attributes.get("apexdb_dsn"),
                                x_args.get("target") or config.attributes.get("apexdb_target_name"))

    def attempt() -> None:
        engine = sqlalchemy_engine(target)
        try:
            with engine.connect() as connection:
                context.configure(connection=connection, **options)
                with context.begin_transaction():
                    context.run_migrations()
        finally:
            engine.dispose()

    if config.attributes.get("apexdb_runner"):
        attempt()  # the runner holds the lock, sets the timeouts and retries
        return
    _run_guarded(target, attempt)


def _run_guarded(target, attempt) -> None:
    """Plain ``alembic``: the same lock, timeouts and retries ``apexdb migrate`` uses."""
    from apexdb.db.connection import connect

    settings = SafetySettings.from_config()
    lock_conn = connect(target, application_name="alembic (lock)")
    try:
        def waiting(pid):
            log.warning("another migration (backend pid %s) holds the migration lock; waiting", pid)

        def retrying(r):
            log.warning("%s (%s); retry %d/%d in %.1f s", r.reason, str(r.error).splitlines()[0], r.retry,
                        r.retries, r.wait_s)

        with migration_lock(lock_conn, lock_key(), on_wait=waiting), settings_on_every_connection(settings):
            retry_on_lock(lambda _n: attempt(), retries=settings.retries, on_retry=retrying)
    finally:
        lock_conn.close()
