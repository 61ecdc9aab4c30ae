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
    from apexdb.render import Section, cols
    from apexdb.render.format import human_bytes, human_seconds

    with Session(format, dsn, target) as s:
        if cluster:
            from apexdb.ops.cluster.overview import cluster_overview
            from apexdb.render.cluster import show_overview

            show_overview(s.out, cluster_overview(open_cluster_for(cluster, dsn, target, s)))
            return
        report = gather_info(s.connect(), s.target)
        srv, pgss = report["server"], report["pg_stat_statements"]
        vector = report["vector_version"] or ("available, not created" if report["vector_available"]
                                              else "not available on this server")
        if pgss["preloaded"] is None and not pgss["created"]:
            pgss_state = "unknown (this role cannot read shared_preload_libraries)"
        elif pgss["preloaded"] is False:
            pgss_state = "not in shared_preload_libraries"
        elif not pgss["created"]:
            pgss_state = "preloaded, extension not created"
        else:
            scope = "all users" if pgss["sees_all_users"] else "own queries only"
            pgss_state = f"{pgss['version']} in schema {pgss['schema']}, " + (
                f"readable ({scope})" if pgss["readable"] else "not readable by this role")
        overview = [
            {"item": "target", "value": f"{report['target']['dsn']} ({report['target']['source']})"},
            {"item": "server", "value": f"PostgreSQL {srv['server_version']}"},
            {"item": "database", "value": f"{srv['database']} ({human_bytes(srv['database_size_bytes'])})"},
            {"item": "role", "value": srv["role"] + (" (superuser)" if srv["is_superuser"] else
                                                     " (pg_monitor)" if srv["has_pg_monitor"] else "")},
            {"item": "uptime", "value": human_seconds(srv["uptime_s"])},
            {"item": "pgvector", "value": vector},
            {"item": "pg_stat_statements", "value": pgss_state},
        ]
        settings = [{"name": r["name"], "value": r["value"], "default": _default(r), "source": r["source"]}
                    for r in report["settings"]]
        s.out.sections([
            Section(None, overview, cols("item", "value")),
            Section("Extensions", report["extensions"],
                    cols("name", "installed_version", "default_version", "schema")),
            Section("Settings", settings, cols("name", "value", "default", "source")),
        ], doc=report)


def _default(row) -> str:
    if row["unit"] and row["default_value"] is not None and row["unit"].endswith("B"):
        from apexdb.render.format import human_bytes

        factor = {"8kB": 8192, "kB": 1024, "MB": 1024 * 1024, "B": 1}.get(row["unit"], 1)
        try:
            return human_bytes(int(row["default_value"]) * factor)
        except ValueError:
            return row["default_value"]
    return row["default_value"] or ""
