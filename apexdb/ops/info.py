"""``apexdb info``: what the resolved database is and how it is set up for vectors."""
from __future__ import annotations

from typing import Any

from apexdb.db.connection import Target, read_only
from apexdb.db.queries import fetch, fetch_one
from apexdb.ops.settings import read_settings

# The settings that matter for vector workloads, in the order info shows them.
INFO_SETTINGS = ("shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size",
                 "max_parallel_maintenance_workers", "max_parallel_workers", "max_worker_processes",
                 "max_connections", "hnsw.ef_search", "hnsw.iterative_scan", "hnsw.max_scan_tuples",
                 "ivfflat.probes", "ivfflat.iterative_scan", "jit", "random_page_cost")


def gather_info(conn, target: Target) -> dict[str, Any]:
    """Server, extensions, vector-relevant settings and pg_stat_statements access."""
    with read_only(conn):
        server = fetch_one(conn, "info_server")
        extensions = fetch(conn, "info_extensions")
        settings = list(read_settings(conn, INFO_SETTINGS).values())
        pgss = fetch_one(conn, "stats_statements_access")
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
