"""The one mapping from an exception to the line a user sees and the exit code."""
from __future__ import annotations

import os
import traceback

from apexdb.errors import (EXIT_BAD_INPUT, EXIT_DATABASE, EXIT_INTERRUPTED, EXIT_NOT_CONNECTED, EXIT_OK,
                           ApexdbError, DatabaseError, one_line, redact)

# SQLSTATE classes/codes that mean the connection itself is gone or refused.
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03")


def debug_enabled() -> bool:
    from apexdb.cli.common import CURRENT

    return bool(CURRENT.get("debug")) or os.environ.get("APEXDB_DEBUG", "").lower() in ("1", "true", "yes", "on")


def describe(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) for any exception that reaches the top."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted; the statement running on the server was cancelled"
    if isinstance(exc, DatabaseError) and _connection_lost(exc):
        state = f" [SQLSTATE {exc.sqlstate}]" if exc.sqlstate else ""
        return EXIT_NOT_CONNECTED, one_line(f"lost the connection to the database: {exc.message}{state}")
    if isinstance(exc, DatabaseError):
        state = f" [SQLSTATE {exc.sqlstate}]" if exc.sqlstate else ""
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        return exc.exit_code, one_line(f"{exc.message}{state}{hint}")
    if isinstance(exc, ApexdbError):
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        return exc.exit_code, one_line(f"{exc.message}{hint}")
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        psycopg = None
    if psycopg is not None and isinstance(exc, psycopg.Error):
        return describe_psycopg(exc)
    if isinstance(exc, BrokenPipeError):
        return EXIT_OK, ""
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
        return EXIT_BAD_INPUT, one_line(f"{exc.strerror}: {exc.filename}")
    return EXIT_DATABASE, one_line(f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)")


def _connection_lost(exc: DatabaseError) -> bool:
    """A DatabaseError an operation raised because the server went away under it.

    Ops wrap psycopg errors (``raise DatabaseError(...) from None``); the original stays in
    ``__context__``, so the mapping is decided here, once, for every command."""
    if exc.sqlstate:
        return exc.sqlstate.startswith(_CONNECTION_STATES)
    original = exc.__cause__ or exc.__context__
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(original, psycopg.OperationalError) and (
        original.sqlstate is None or original.sqlstate.startswith(_CONNECTION_STATES))


def describe_psycopg(exc) -> tuple[int, str]:
    state = getattr(exc, "sqlstate", None)
    diag = getattr(exc, "diag", None)
    primary = (diag.message_primary if diag is not None else None) or str(exc)
    if state is None or state.startswith(_CONNECTION_STATES):
        return EXIT_NOT_CONNECTED, one_line(f"lost the connection to the database: {primary}")
    message = f"database error: {primary} [SQLSTATE {state}]"
    hint = diag.message_hint if diag is not None else None
    if state == "57014":
        message = f"statement cancelled: {primary} [SQLSTATE {state}]"
    elif state == "55P03":
        message = f"could not get a lock in time: {primary} [SQLSTATE {state}]"
    if hint:
        message += f" (hint: {hint})"
    return EXIT_DATABASE, one_line(message)


def report(exc: BaseException, renderer=None) -> int:
    """Print the one line (and the traceback under --debug); return the exit code."""
    from apexdb.render import Renderer

    from apexdb.cli.common import CURRENT

    code, message = describe(exc)
    CURRENT["error_message"] = message  # for a monitoring status line (audit --exit-codes nagios)
    out = renderer or Renderer()
    if debug_enabled():
        out.stderr.write(redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))
    if message:
        out.error(message)
    return code
