"""``apexdb server start|stop|status|url|logs``: the embedded default server."""
from __future__ import annotations

import time
from typing import Annotated

import typer

from apexdb.cli.common import FormatOpt, Session

server_app = typer.Typer(help="The embedded PostgreSQL 18 + pgvector server apexdb uses by default.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(server_app, name="server", rich_help_panel="Server")


def _server():
    from apexdb.db.embedded import EmbeddedServer

    return EmbeddedServer()


def _status_view(s: Session, st) -> None:
    from apexdb.render import Section, cols
    from apexdb.render.format import human_bytes, human_seconds

    uptime = human_seconds(time.time() - st.started_at) if st.started_at else ""
    rows = [
        {"item": "state", "value": "running" if st.running else "stopped"},
        {"item": "version", "value": f"PostgreSQL {st.version}" if st.version else "not initialised"},
        {"item": "data directory", "value": st.data_dir},
        {"item": "socket", "value": f"{st.socket_dir}/.s.PGSQL.{st.port}"},
        {"item": "pid", "value": str(st.pid or "")},
        {"item": "uptime", "value": uptime},
        {"item": "size", "value": human_bytes(st.size_bytes)},
        {"item": "url", "value": st.dsn or ""},
        {"item": "log", "value": st.log_file},
    ]
    doc = dict(vars(st), uptime_s=(time.time() - st.started_at) if st.started_at else None)
    s.out.sections([Section(None, rows, cols("item", "value"))], doc=doc)


@server_app.command()
def start(format: FormatOpt = "table") -> None:
    """Initialise (first time) and start the embedded server; a no-op when it runs."""
    with Session(format) as s:
        server = _server()
        server.ensure_running()
        _status_view(s, server.status())


@server_app.command()
def stop(format: FormatOpt = "table") -> None:
    """Stop the embedded server (fast shutdown: running statements are cancelled)."""
    with Session(format) as s:
        server = _server()
        was_running = server.stop()
        s.out.document({"stopped": was_running, "data_dir": str(server.data_dir)},
                       lambda out: out.line("stopped" if was_running else "not running"))


@server_app.command()
def status(format: FormatOpt = "table") -> None:
    """Version, data directory, socket, uptime and size. Exit 3 when it is not running."""
    with Session(format) as s:
        st = _server().status()
        _status_view(s, st)
        if not st.running:
            raise typer.Exit(3)


@server_app.command()
def url(database: Annotated[str, typer.Option(help="Database name in the URL.")] = "apexdb") -> None:
    """Print a DSN for the embedded server that psql accepts (starts it if needed)."""
    with Session("table") as s:
        server = _server()
        server.ensure_running()
        s.out.line(server.dsn(database))


@server_app.command()
def logs(lines: Annotated[int, typer.Option("--lines", "-n", help="How many lines.")] = 50) -> None:
    """The last lines of the server log."""
    with Session("table") as s:
        for line in _server().log_tail(lines):
            s.out.line(line)
