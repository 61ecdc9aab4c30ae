"""Finding the database, connecting to it, and the transactions apexdb runs work in.

Resolution order: ``--dsn`` > ``--target NAME`` > ``APEXDB_DSN`` > ``DATABASE_URL`` >
``APEXDB_TARGET`` (targets come from the config file) > the libpq environment when it
names a server (PGHOST, PGSERVICE, PGDATABASE) > the embedded default server. The two
flags come first because a flag typed on the command line always beats the environment.

Connections are autocommit; work happens in explicit transactions whose settings
are ``SET LOCAL`` (through ``set_config(..., true)``), and psycopg's automatic
server-side prepared statements are off, so everything works behind PgBouncer in
transaction mode.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from apexdb import sql as registry
from apexdb.config import load_config
from apexdb.errors import BadInput, NotConnected, one_line, register_secret

LIBPQ_SERVER_VARS = ("PGHOST", "PGSERVICE", "PGDATABASE")


@dataclass(frozen=True)
class Target:
    dsn: str
    source: str  # where it came from: "--dsn", "APEXDB_DSN", "target prod", "embedded", ...
    name: str  # a short label: the target name, "embedded", or the masked host/db

    @property
    def display(self) -> str:
        return mask_dsn(self.dsn) if self.dsn else "(libpq environment)"


def mask_dsn(dsn: str) -> str:
    """The DSN with its password replaced by ``***`` (URL and key=value forms)."""
    if re.match(r"^postgres(ql)?://", dsn):
        parts = urlsplit(dsn)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            if ":" in userinfo:
                user, password = userinfo.split(":", 1)
                register_secret(password)
                if password:
                    userinfo = f"{user}:***"
            netloc = f"{userinfo}@{host}"
        query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        masked = urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="/"), parts.fragment))
        if not netloc and not masked.startswith(parts.scheme + "://"):  # urlunsplit drops the empty host's "//"
            masked = parts.scheme + "://" + masked[len(parts.scheme) + 1:]
        return masked
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(dsn)
    except Exception:
        return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", dsn)
    if params.get("password"):
        register_secret(str(params["password"]))
        params["password"] = "***"
    return make_conninfo(**params)


def validate_dsn(dsn: str, source: str) -> None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except Exception as exc:
        raise BadInput(f"malformed DSN from {source}: {one_line(exc, last=2)}") from None
    if params.get("password"):
        register_secret(str(params["password"]))


def resolve_target(dsn: str | None = None, target: str | None = None) -> Target:
    """Which database a command talks to; starts the embedded server when it is the one."""
    if dsn:
        return _from_dsn(dsn, "--dsn")
    if target:  # a flag beats the environment, as with every other setting
        return _from_target(target)
    for var in ("APEXDB_DSN", "DATABASE_URL"):
        if os.environ.get(var):
            return _from_dsn(os.environ[var], var)
    if os.environ.get("APEXDB_TARGET"):
        return _from_target(os.environ["APEXDB_TARGET"])
    if any(os.environ.get(var) for var in LIBPQ_SERVER_VARS):
        return Target("", "libpq environment", os.environ.get("PGSERVICE") or os.environ.get("PGHOST") or "libpq")
    from apexdb.db.embedded import EmbeddedServer

    return Target(EmbeddedServer().ensure_running(), "embedded", "embedded")


def _from_dsn(dsn: str, source: str) -> Target:
    mask_dsn(dsn)
    validate_dsn(dsn, source)
    return Target(dsn, source, _label(dsn))


def _from_target(name: str) -> Target:
    entry = load_config().target(name)
    validate_dsn(entry["dsn"], f"target {name}")
    return Target(entry["dsn"], f"target {name}", name)


def _label(dsn: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn)
    return f"{params.get('host', 'local')}/{params.get('dbname', params.get('user', ''))}"


def connect(target: Target, *, autocommit: bool = True, application_name: str = "apexdb",
            connect_timeout: int | None = None):
    """An autocommit psycopg connection with pgvector registered when it is installed."""
    import psycopg

    cfg = load_config()
    kwargs = {"application_name": application_name, "autocommit": autocommit, "prepare_threshold": None}
    from psycopg.conninfo import conninfo_to_dict

    if "connect_timeout" not in conninfo_to_dict(target.dsn):
        kwargs["connect_timeout"] = int(connect_timeout or cfg.setting("connect_timeout"))
    try:
        conn = psycopg.connect(target.dsn, **kwargs)
    except psycopg.OperationalError as exc:
        raise NotConnected(f"cannot connect to {target.display}: {one_line(exc, last=2)}") from None
    except psycopg.ProgrammingError as exc:
        raise BadInput(f"malformed DSN from {target.source}: {one_line(exc, last=2)}") from None
    register_vector_types(conn)
    return conn


def register_vector_types(conn) -> bool:
    """Register pgvector's types on ``conn`` when the extension exists in this database."""
    row = conn.execute(registry.get("db_vector_type").text).fetchone()
    if not row:
        return False
    from pgvector.psycopg import register_vector

    try:
        register_vector(conn)
    except Exception:  # halfvec/sparsevec missing on an old pgvector
        return False
    return True


def set_local(conn, **settings: str | int | None) -> None:
    """``SET LOCAL`` each setting for the current transaction (values are bound)."""
    for name, value in settings.items():
        if value is None:
            continue
        conn.execute("SELECT set_config(%s, %s, true)", [name.replace("__", "."), str(value)])


@contextmanager
def read_only(conn, *, statement_timeout: str | None = None, lock_timeout: str | None = None) -> Iterator:
    """A READ ONLY transaction with timeouts: diagnostics and user SQL run here.

    It is always rolled back (there is nothing to commit), so inside an enclosing
    transaction (a savepoint) its ``SET LOCAL``s end with it too."""
    cfg = load_config()
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        set_local(conn, statement_timeout=statement_timeout or cfg.setting("statement_timeout"),
                  lock_timeout=lock_timeout or cfg.setting("lock_timeout"))
        yield conn


@contextmanager
def rolled_back(conn, *, statement_timeout: str | None = None, lock_timeout: str | None = None) -> Iterator:
    """A transaction that is always rolled back, whatever runs in it."""
    cfg = load_config()
    with conn.transaction(force_rollback=True):
        set_local(conn, statement_timeout=statement_timeout or cfg.setting("statement_timeout"),
                  lock_timeout=lock_timeout or cfg.setting("lock_timeout"))
        yield conn


def cancel_backend(conn, pid: int, *, terminate: bool = False, only_active: bool = True,
                   best_effort: bool = True) -> str | None:
    """Cancel what backend ``pid`` is running, or with ``terminate`` end its session: the one way apexdb
    signals a backend (Ctrl-C's server half for builds and copies, and ``apexdb cancel|terminate``).

    ``only_active`` cancels only a running statement (an idle backend is left alone). Returns "sent",
    "gone" (no such backend, or it ended before the signal) or "not active". ``best_effort`` (the
    interrupt path: psycopg cancels on Ctrl-C already, this covers an interrupt that came between two
    calls, and the connection may itself be gone) swallows every error and returns None; otherwise a
    refusal (42501) is raised for the caller to report."""
    from apexdb.db.queries import fetch_one

    try:
        row = fetch_one(conn, "db_signal_backend", {"pid": pid, "terminate": terminate, "only_active": only_active})
    except Exception:
        if best_effort:
            return None
        raise
    if row is None or row["sent"] is False:
        return "gone"
    return "sent" if row["sent"] else "not active"


def current_setting(conn, name: str, *, missing_ok: bool = False) -> str | None:
    """A setting's value as this session sees it (None for an unknown one when ``missing_ok``)."""
    return conn.execute("SELECT current_setting(%s, %s)", [name, missing_ok]).fetchone()[0]


@dataclass(frozen=True)
class ServerVersions:
    server: tuple[int, int]
    server_version: str
    extensions: dict[str, tuple[int, ...]]

    def get(self, name: str) -> tuple[int, ...] | None:
        return self.server if name == "server" else self.extensions.get(name)


def parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def server_versions(conn) -> ServerVersions:
    """The server's version and the installed extensions' versions (cached per connection)."""
    cached = getattr(conn, "_apexdb_versions", None)
    if cached is not None:
        return cached
    num, text = conn.execute(registry.get("db_server_version").text).fetchone()
    exts = {name: parse_version(ver) for name, ver in conn.execute(registry.get("db_extension_versions").text)}
    versions = ServerVersions((num // 10000, num % 10000), text, exts)
    conn._apexdb_versions = versions
    return versions


# A custom setting sent with the others: when it is there, every startup option arrived.
_MARKER = "apexdb.options_applied"


def connect_with_settings(target: Target, settings: dict[str, str], *, application_name: str = "apexdb"):
    """A dedicated autocommit connection whose whole session runs with ``settings``.

    For work that cannot run in a transaction (CREATE INDEX / REINDEX CONCURRENTLY,
    VACUUM), so ``SET LOCAL`` is impossible: the settings go as startup options
    (``-c name=value``) and hold for this connection only, with nothing to undo.
    A transaction-mode pooler refuses or drops startup options; then they are applied
    with a session ``SET`` and ``conn.apexdb_applied_via`` says "session SET" (callers
    warn, and :func:`close_settings_connection` RESETs them).

    On PostgreSQL 14+ ``client_connection_check_interval`` is set too, so that if apexdb
    dies (SIGKILL, a lost terminal) the server notices within a second and aborts the
    work instead of finishing it unattended.
    """
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    wanted = {**settings, _MARKER: "on"}
    options = " ".join(f"-c {name}={_compact(value)}" for name, value in wanted.items())
    existing = conninfo_to_dict(target.dsn).get("options") or os.environ.get("PGOPTIONS")
    with_options = Target(make_conninfo(target.dsn, options=f"{existing} {options}" if existing else options),
                          target.source, target.name)
    via = "startup options"
    try:
        conn = connect(with_options, application_name=application_name)
    except NotConnected as exc:
        if "startup parameter" not in str(exc) and "options" not in str(exc):
            raise
        conn = connect(target, application_name=application_name)
    if conn.execute("SELECT current_setting(%s, true)", [_MARKER]).fetchone()[0] != "on":
        via = "session SET"
        for name, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, false)", [name, str(value)])
    if server_versions(conn).server >= (14, 0):
        conn.execute("SELECT set_config('client_connection_check_interval', '1s', false)")
    conn.apexdb_applied_via = via
    conn.apexdb_settings = dict(settings)
    return conn


def _compact(value) -> str:
    """A setting's value with no blanks (startup options split on spaces): '5 s' -> '5s'."""
    return re.sub(r"\s+", "", str(value))


def close_settings_connection(conn) -> None:
    """Close a :func:`connect_with_settings` connection; session SETs are RESET first (best
    effort: behind a transaction-mode pooler the RESET may reach another server connection)."""
    try:
        if getattr(conn, "apexdb_applied_via", "") == "session SET" and not conn.closed:
            from psycopg import sql

            for name in getattr(conn, "apexdb_settings", {}):
                conn.execute(sql.SQL("RESET {}").format(sql.Identifier(name)))
            conn.execute("RESET client_connection_check_interval")
    except Exception:
        pass
    finally:
        conn.close()
