"""``apexdb info``."""
from __future__ import annotations

import typer

from apexdb.cli.common import ClusterOpt, DsnOpt, FormatOpt, Session, TargetOpt, open_cluster_for


def register(app: typer.Typer) -> None:
    app.command("info", rich_help_panel="Diagnostics")(info)


def info(dsn: DsnOpt = None, target: TargetOpt = None, cluster: ClusterOpt = None,
         format: FormatOpt = "table") -> None:
    """Server version, extensions, vector settings and what this role can see (--cluster: every member's role and lag)."""
    from apexdb.ops.info import gather_info
    from apexdb.render import info as view

    with Session(format, dsn, target) as s:
        if cluster:
            from apexdb.ops.cluster.overview import cluster_overview
            from apexdb.render.cluster import show_overview

            show_overview(s.out, cluster_overview(open_cluster_for(cluster, dsn, target, s)))
            return
        view.info(s.out, gather_info(s.connect(), s.target))
