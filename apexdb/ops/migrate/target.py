"""Which database a migration project talks to, and how its env.py is told.

apexdb's own project: the database every apexdb command would use (resolve_target),
handed to env.py as ``config.attributes["apexdb_target"]``.

Another project's env.py reads ``sqlalchemy.url``. When the user named a database to
apexdb (``--dsn``, ``APEXDB_DSN``, ``DATABASE_URL``, ``--target``/``APEXDB_TARGET``),
``sqlalchemy.url`` is set to it; otherwise the project's own ``sqlalchemy.url`` stands,
and when it has none, apexdb's resolution (the libpq environment, the embedded server).
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Iterator

from apexdb.db.connection import Target, mask_dsn, resolve_target
from apexdb.ops.migrate.project import is_apex_project

_EXPLICIT_ENV = ("APEXDB_DSN", "DATABASE_URL", "APEXDB_TARGET")


def sqlalchemy_url(dsn: str):
    """A SQLAlchemy URL (psycopg 3 driver) for a libpq DSN, URL or key=value, or '' for libpq defaults."""
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import URL

    params = {k: str(v) for k, v in conninfo_to_dict(dsn).items()} if dsn else {}
    return URL.create("postgresql+psycopg", query=params)


def libpq_dsn(url: str) -> str:
    """The libpq URL behind a SQLAlchemy URL (``postgresql+psycopg2://`` -> ``postgresql://``)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        from apexdb.errors import BadInput

        raise BadInput(f"sqlalchemy.url names a {parsed.get_backend_name()} database; apexdb drives PostgreSQL")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def prepare_target(config, dsn: str | None = None, target_name: str | None = None) -> Target:
    """Resolve the database for ``config``'s project and tell its env.py; returns the Target."""
    dsn = dsn or config.attributes.get("apexdb_dsn")
    target_name = target_name or config.attributes.get("apexdb_target_name")
    if is_apex_project(config):
        target = resolve_target(dsn, target_name)
        config.attributes["apexdb_target"] = target
        return target
    explicit = bool(dsn or target_name or any(os.environ.get(v) for v in _EXPLICIT_ENV))
    own_url = config.get_main_option("sqlalchemy.url")
    if own_url and not config.attributes.get("apexdb_url_placeholder") and not explicit:
        target_dsn = libpq_dsn(own_url)
        mask_dsn(target_dsn)  # registers the password for redaction
        target = Target(target_dsn, "sqlalchemy.url in alembic.ini", "alembic.ini")
    else:
        target = resolve_target(dsn, target_name)
        url = sqlalchemy_url(target.dsn).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["apexdb_target"] = target
    return target


@contextmanager
def project_logging() -> Iterator[None]:
    """Run a project's env.py without letting its ``logging.config.fileConfig`` outlive it.

    A stock env.py configures logging from alembic.ini: handlers bound to this process's
    stderr, and every logger it does not name disabled (apexdb's own among them). apexdb
    reports progress itself, so whatever env.py does to logging is undone afterwards.
    """
    manager = logging.Logger.manager
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved = {name: (lg.handlers[:], lg.level, lg.propagate, lg.disabled)
             for name, lg in list(manager.loggerDict.items()) if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        root.handlers[:], root.level = saved_root[0], saved_root[1]
        for name, lg in list(manager.loggerDict.items()):
            if not isinstance(lg, logging.Logger):
                continue
            if name in saved:
                lg.handlers[:], lg.level, lg.propagate, lg.disabled = saved[name]
            else:
                lg.handlers[:] = []
