"""The errors apexdb raises, each carrying the exit code design.md gives it.

One top-level handler (``apexdb.cli.errors``) turns these into one line on stderr
and the exit code; nothing else in apexdb prints an error.
"""
from __future__ import annotations

# Exit codes, the same for every command.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_CONNECTED = 3
EXIT_DATABASE = 4
EXIT_INTERRUPTED = 130


class ApexdbError(Exception):
    """Base class: a message meant for the user and an exit code."""

    exit_code = EXIT_DATABASE

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class BadInput(ApexdbError):
    """The user asked for something that cannot be: a bad option, name, file or value."""

    exit_code = EXIT_BAD_INPUT


class Unsafe(BadInput):
    """A destructive or blocking operation was asked for without confirmation."""


class NotConnected(ApexdbError):
    """No database could be reached or authenticated against."""

    exit_code = EXIT_NOT_CONNECTED


class NotEnabled(ApexdbError):
    """The database lacks something the operation needs (an extension, a preload)."""

    exit_code = EXIT_DATABASE


class DatabaseError(ApexdbError):
    """The database refused or failed a statement during the operation."""

    exit_code = EXIT_DATABASE

    def __init__(self, message: str, *, sqlstate: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.sqlstate = sqlstate


class Interrupted(ApexdbError):
    """The user pressed Ctrl-C; whatever ran on the server was cancelled."""

    exit_code = EXIT_INTERRUPTED


class FindingsReached(ApexdbError):
    """Findings at or above ``--fail-on`` were reported; the output is already printed."""

    exit_code = EXIT_FINDINGS


class StatusExit(ApexdbError):
    """A monitoring-style exit code (``audit --exit-codes nagios``); the status line is already printed."""

    def __init__(self, exit_code: int):
        super().__init__("")
        self.exit_code = exit_code


# Secrets seen in DSNs this process; every message is scrubbed of them.
_SECRETS: set[str] = set()


def register_secret(secret: str | None) -> None:
    if secret and len(secret) >= 1:
        _SECRETS.add(secret)


def redact(text: str) -> str:
    """Replace every registered secret in ``text`` with ``***``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def one_line(text: object, *, last: int | None = None) -> str:
    """``text`` as one line: its non-blank lines, stripped, joined by a space; only the last ``last``
    lines when given (libpq puts the reason last: "connection to server ... failed: FATAL: ...")."""
    lines = [part.strip() for part in str(text).splitlines() if part.strip()]
    return " ".join(lines[-last:] if last else lines)
