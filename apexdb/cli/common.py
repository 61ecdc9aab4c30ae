"""What every command shares: the common options and the per-command session."""
from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import Annotated, Optional

import typer

from apexdb.errors import Unsafe

DsnOpt = Annotated[Optional[str], typer.Option(
    "--dsn", help="Connection string (URL or key=value); overrides APEXDB_DSN, DATABASE_URL and targets.",
    show_default=False)]
TargetOpt = Annotated[Optional[str], typer.Option(
    "--target", help="A named target from apexdb.toml (or APEXDB_TARGET).", show_default=False)]
ClusterOpt = Annotated[Optional[str], typer.Option(
    "--cluster", help="A cluster (clusters.NAME in apexdb.toml): its primary and replicas, seen as one.",
    show_default=False)]
FormatOpt = Annotated[str, typer.Option(
    "--format", help="Output format: table, json, csv or markdown.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking (needed when not on a terminal).")]

# The renderer of the command being run, so the top-level error handler prints in its style.
CURRENT: dict = {}


class Session:
    """One command's output, target and connections; closes what it opened."""

    def __init__(self, fmt: str = "table", dsn: str | None = None, target: str | None = None):
        from apexdb.render import Renderer

        self.out = Renderer(fmt)
        CURRENT["renderer"] = self.out
        self._dsn, self._target_name = dsn, target
        self._target = None
        self._stack = ExitStack()
        self._stack.callback(_install_log_handler(self.out))

    @property
    def target(self):
        if self._target is None:
            from apexdb.db.connection import resolve_target

            self._target = resolve_target(self._dsn, self._target_name)
        return self._target

    def connect(self, *, target=None, **kwargs):
        """A connection to the session's database, or to ``target`` (a :class:`~apexdb.db.connection.Target`,
        e.g. the one named by ``audit --target NAME --apply``); closed when the command ends."""
        from apexdb.db.connection import connect

        conn = connect(self.target if target is None else target, **kwargs)
        self._stack.callback(_close_quietly, conn)
        return conn

    def confirm(self, question: str, yes: bool, *, what: str) -> None:
        """Go on only with ``--yes`` or a 'y' at the terminal; raise Unsafe otherwise."""
        if yes:
            return
        if not (sys.stdin.isatty() and self.out.interactive):
            raise Unsafe(f"{what} needs confirmation: rerun with --yes")
        if not self.out.confirm(question):
            raise Unsafe(f"{what}: not confirmed, nothing done")

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()


def open_cluster_for(name: str, dsn: str | None, target: str | None, s: "Session"):
    """The named cluster, closed with the session; BadInput when --dsn/--target is given as well."""
    from apexdb.errors import BadInput
    from apexdb.ops.cluster import open_cluster

    if dsn or target:
        raise BadInput(f"give --cluster or {'--dsn' if dsn else '--target'}, not both")
    cluster = open_cluster(name)
    s._stack.callback(cluster.close)
    return cluster


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:
        pass


def _install_log_handler(out):
    """Route the ``apexdb`` logger through the renderer: warnings always, info on a terminal.

    Returns the function that removes the handler again (when the command ends)."""
    import logging

    logger = logging.getLogger("apexdb")
    for handler in list(logger.handlers):
        if getattr(handler, "_apexdb", False):
            logger.removeHandler(handler)

    class _ToRenderer(logging.Handler):
        _apexdb = True

        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if record.levelno >= logging.WARNING:
                out.warn(message)
            else:
                out.info(message)

    handler = _ToRenderer()
    logger.addHandler(handler)
    logger.disabled = False  # an Alembic env.py's fileConfig() disables existing loggers
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return lambda: logger.removeHandler(handler)
