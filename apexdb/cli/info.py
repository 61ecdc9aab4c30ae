"""``apexdb info``."""
from __future__ import annotations

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt


def register(app: typer.Typer) -> None:
    app.command("info", rich_help_panel="Diagnostics")(info)


def info(dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table") -> None:
    """Server version, extensions, vector settings and what this role can see."""
    from apexdb.ops.info import gather_info
    from apexdb.render import info as view

    with Session(format, dsn, target) as s:
        view.info(s.out, gather_info(s.connect(), s.target))
