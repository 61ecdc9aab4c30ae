"""The ``apexdb`` command: the Typer app, its command groups, and the top-level error mapping.

Each module in ``COMMAND_MODULES`` has ``register(app)``; modules import only Typer
at import time (ops, psycopg, numpy load inside the commands) so ``--help`` is fast.
"""
from __future__ import annotations

import importlib
import sys
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from apexdb import __version__
from apexdb.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED

# One line per command module, in the order --help lists them.
COMMAND_MODULES = [
    "demo",
    "server",
    "info",
    "init",
    "migrate",
    "schema",
    "migrate_lint",
    "index",
    "load",
    "search",
    "tune",
    "explain",
    "stats",
    "snapshot",
    "sessions",
    "audit",
    "report",
    "vacuum",
    "analyze",
    "reindex",
    "maintain",
]


class ApexGroup(TyperGroup):
    """Runs Typer non-standalone so every failure goes through one mapping."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from apexdb.cli.common import CURRENT
        from apexdb.cli.errors import report

        CURRENT.clear()
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
            if code == EXIT_INTERRUPTED:  # Typer, non-standalone, returns Ctrl-C as a bare 130
                code = report(KeyboardInterrupt(), CURRENT.get("renderer"))
        except typer.Exit as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):  # Typer turns Ctrl-C into a silent Exit(130)
                code = report(exc.__cause__, CURRENT.get("renderer"))
            else:
                code = exc.exit_code
        except typer.Abort:
            code = report(KeyboardInterrupt(), CURRENT.get("renderer"))
        except Exception as exc:  # click usage errors and everything apexdb raises
            if hasattr(exc, "format_message") and hasattr(exc, "exit_code") and not _is_ours(exc):
                code = _usage_error(exc)
            else:
                code = report(exc, CURRENT.get("renderer"))
        except KeyboardInterrupt as exc:
            code = report(exc, CURRENT.get("renderer"))
        from apexdb.cli.audit import monitoring_exit_code

        code = monitoring_exit_code(sys.argv[1:] if args is None else list(args), code)
        if standalone_mode:
            sys.exit(code)
        return code


def _is_ours(exc: Exception) -> bool:
    from apexdb.errors import ApexdbError

    return isinstance(exc, ApexdbError)


def _usage_error(exc) -> int:
    from apexdb.render import Renderer

    ctx = getattr(exc, "ctx", None)
    where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    from apexdb.cli.common import CURRENT

    message = " ".join(str(exc.format_message()).split())
    CURRENT["error_message"] = f"{message}{where}"
    Renderer().error(f"{message}{where}")
    code = getattr(exc, "exit_code", EXIT_BAD_INPUT)
    return EXIT_BAD_INPUT if code not in (0, EXIT_BAD_INPUT, EXIT_INTERRUPTED) else code


app = typer.Typer(
    cls=ApexGroup,
    name="apexdb",
    help="Administer and diagnose PostgreSQL databases that hold pgvector embeddings.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from apexdb.render import Renderer

        Renderer().line(f"apexdb {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = None,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show tracebacks (passwords still masked); or set APEXDB_DEBUG=1.")] = False,
) -> None:
    from apexdb.cli.common import CURRENT

    CURRENT["debug"] = debug


for _name in COMMAND_MODULES:
    importlib.import_module(f"apexdb.cli.{_name}").register(app)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
