"""``apexdb tune --apply``: make the recommendation the default of new sessions.

``ALTER DATABASE ... SET`` (or ``ALTER ROLE ... SET``) writes a per-database or per-role
default into pg_db_role_setting; sessions that are already open keep their value, and
``ALTER DATABASE db RESET hnsw.ef_search`` undoes it. The statement takes no heavy lock,
but runs with a lock timeout all the same. Confirmation is the CLI's job (Session.confirm).
"""
from __future__ import annotations

from apexdb.db.connection import set_local
from apexdb.db.queries import fetch_one
from apexdb.errors import BadInput

SCOPES = ("database", "role")
# Only settings tune itself recommends may be written (their names go into the SQL text).
TUNABLE = ("hnsw.ef_search", "hnsw.iterative_scan", "hnsw.max_scan_tuples", "ivfflat.probes",
           "ivfflat.iterative_scan")


def planned_statements(conn, settings: dict[str, str], scope: str) -> list:
    """The ``ALTER DATABASE|ROLE ... SET`` statements ``--apply`` runs (composed, not run)."""
    from psycopg import sql

    if scope not in SCOPES:
        raise BadInput(f"--apply must be database or role (got {scope!r})")
    unknown = [name for name in settings if name not in TUNABLE]
    if unknown:
        raise BadInput(f"--apply writes only the settings tune tunes, not {', '.join(unknown)}")
    name = fetch_one(conn, "tune_apply_owner")[scope]
    return [sql.SQL("ALTER {} {} SET {} = {}").format(sql.SQL(scope.upper()), sql.Identifier(name), sql.SQL(setting),
                                                     sql.Literal(value)) for setting, value in settings.items()]


def describe(conn, statements: list) -> list[str]:
    return [statement.as_string(conn) for statement in statements]


def apply_settings(conn, settings: dict[str, str], scope: str) -> list[str]:
    """``ALTER DATABASE|ROLE ... SET`` each setting (new sessions pick them up); the statements run."""
    statements = planned_statements(conn, settings, scope)
    with conn.transaction():
        set_local(conn, lock_timeout="5s")
        for statement in statements:
            conn.execute(statement)
    return describe(conn, statements)
