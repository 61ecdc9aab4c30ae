"""``apexdb info``: what the resolved database is and how it is set up for vectors."""
from __future__ import annotations

from typing import Any

from apexdb.db.connection import Target, read_only
from apexdb.db.queries import fetch, fetch_one


def gather_info(conn, target: Target) -> dict[str, Any]:
    """Server, extensions, vector-relevant settings and pg_stat_statements access."""
    with read_only(conn):
        server = fetch_one(conn, "info_server")
        extensions = fetch(conn, "info_extensions")
        if any(e["name"] == "vector" and e["installed"] for e in extensions):
            fetch(conn, "load_vector_library")  # makes hnsw.* / ivfflat.* visible in pg_settings
        settings = fetch(conn, "info_settings")
        pgss = fetch_one(conn, "stat_statements_access")
    vector = next((e for e in extensions if e["name"] == "vector"), None)
    return {
        "target": {"source": target.source, "name": target.name, "dsn": target.display},
        "server": server,
        "vector_version": vector["installed_version"] if vector else None,
        "vector_available": vector is not None,
        "extensions": extensions,
        "settings": settings,
        "pg_stat_statements": pgss,
    }
