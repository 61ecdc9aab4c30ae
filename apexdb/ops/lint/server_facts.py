"""What a reachable server adds to a lint run: its PostgreSQL version (squawk's ``pg_version``)
and the vector columns it already holds (their types, for .sql files that index them).

Linting must work in CI with no database, so this never starts the embedded server: it uses
a configured database (``--dsn``, APEXDB_DSN, DATABASE_URL, a target, the libpq environment)
or the embedded one only when it is already running, and says why when there is none.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from apexdb.ops.lint.schema_model import AnnIndex, ColumnType

CONNECT_TIMEOUT_S = 3


@dataclass
class ServerFacts:
    pg_version: str | None
    note: str
    columns: dict[tuple[str, str], ColumnType] = field(default_factory=dict)
    indexes: list[AnnIndex] = field(default_factory=list)  # the HNSW/IVFFlat indexes already there
    metrics: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # what the workload orders by


def _configured_target(dsn: str | None, target: str | None):
    from apexdb.db.connection import LIBPQ_SERVER_VARS, Target, resolve_target
    from apexdb.db.embedded import EmbeddedServer

    if dsn or target or any(os.environ.get(v) for v in
                            ("APEXDB_DSN", "DATABASE_URL", "APEXDB_TARGET", *LIBPQ_SERVER_VARS)):
        return resolve_target(dsn, target)
    running = EmbeddedServer().dsn_if_running()
    return Target(running, "embedded", "embedded") if running else None


def server_facts(dsn: str | None = None, target: str | None = None, *, want_columns: bool = False) -> ServerFacts:
    from apexdb.db.connection import connect, read_only, server_versions
    from apexdb.errors import NotConnected
    from apexdb.ops.catalog import vector_columns, vector_indexes

    tgt = _configured_target(dsn, target)
    if tgt is None:
        return ServerFacts(None, "no database configured: squawk assumes its default PostgreSQL version "
                                 "(give --pg-version or --dsn)")
    try:
        conn = connect(tgt, connect_timeout=CONNECT_TIMEOUT_S, application_name="apexdb migrate lint")
    except NotConnected as exc:
        return ServerFacts(None, f"{exc.message}; linting without the server's version")
    try:
        versions = server_versions(conn)
        version = "{}.{}".format(*versions.server)
        columns: dict[tuple[str, str], ColumnType] = {}
        indexes: list[AnnIndex] = []
        if want_columns and "vector" in versions.extensions:
            with read_only(conn):
                for col in vector_columns(conn):
                    columns[(col.table, col.column)] = ColumnType(col.type, col.dims)
                for ix in vector_indexes(conn):
                    indexes.append(AnnIndex(ix.name, ix.table, ix.method, ix.column, ix.opclass))
        metrics = _workload_metrics(conn) if "vector" in versions.extensions else {}
        return ServerFacts(version, f"PostgreSQL {version} from {tgt.display}", columns, indexes, metrics)
    finally:
        conn.close()


def _workload_metrics(conn) -> dict[tuple[str, str], set[str]]:
    """(table, column) -> the metrics the live workload orders it by, from pg_stat_statements when
    it is preloaded and readable (the statements read as ``apexdb audit`` reads them); else {}."""
    import psycopg

    from apexdb.db.connection import read_only
    from apexdb.db.queries import fetch, fetch_one
    from apexdb.ops.audit.workload import operator_uses
    from apexdb.ops.catalog import OPERATOR_METRIC

    try:
        with read_only(conn):
            access = fetch_one(conn, "stats_statements_access") or {}
            if not (access.get("created") and access.get("readable")) or access.get("preloaded") is False:
                return {}
            rows = fetch(conn, "audit_vector_workload", pgss=(access["schema"], "pg_stat_statements"))
    except psycopg.Error:  # no privilege, not preloaded after all: the rule just has less to go on
        return {}
    out: dict[tuple[str, str], set[str]] = {}
    for use in operator_uses(rows):
        out.setdefault((use.table, use.column), set()).add(OPERATOR_METRIC[use.operator])
    return out
