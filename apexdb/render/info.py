"""The view of ``apexdb info``: an overview, the extensions and the settings."""
from __future__ import annotations

from typing import Any

from apexdb.render.format import human_bytes, human_seconds
from apexdb.render.output import Section, cols


def info(out, report: dict[str, Any]) -> None:
    srv = report["server"]
    vector = report["vector_version"] or ("available, not created" if report["vector_available"]
                                          else "not available on this server")
    overview = [
        {"item": "target", "value": f"{report['target']['dsn']} ({report['target']['source']})"},
        {"item": "server", "value": f"PostgreSQL {srv['server_version']}"},
        {"item": "database", "value": f"{srv['database']} ({human_bytes(srv['database_size_bytes'])})"},
        {"item": "role", "value": srv["role"] + (" (superuser)" if srv["is_superuser"] else
                                                 " (pg_monitor)" if srv["has_pg_monitor"] else "")},
        {"item": "uptime", "value": human_seconds(srv["uptime_s"])},
        {"item": "pgvector", "value": vector},
        {"item": "pg_stat_statements", "value": _pg_stat_statements(report["pg_stat_statements"])},
    ]
    settings = [{"name": r["name"], "value": r["value"], "source": r["source"],
                 "default": human_bytes(r["default_bytes"]) if r["default_bytes"] is not None
                 else r["default_value"] or ""} for r in report["settings"]]
    out.sections([
        Section(None, overview, cols("item", "value")),
        Section("Extensions", report["extensions"], cols("name", "installed_version", "default_version", "schema")),
        Section("Settings", settings, cols("name", "value", "default", "source")),
    ], doc=report)


def _pg_stat_statements(pgss: dict[str, Any]) -> str:
    if pgss["preloaded"] is None and not pgss["created"]:
        return "unknown (this role cannot read shared_preload_libraries)"
    if pgss["preloaded"] is False:
        return "not in shared_preload_libraries"
    if not pgss["created"]:
        return "preloaded, extension not created"
    scope = "all users" if pgss["sees_all_users"] else "own queries only"
    return f"{pgss['version']} in schema {pgss['schema']}, " + (
        f"readable ({scope})" if pgss["readable"] else "not readable by this role")
