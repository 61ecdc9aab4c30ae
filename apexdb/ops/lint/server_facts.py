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
    from apexdb.ops.vector_catalog import vector_columns, vector_indexes

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
        return ServerFacts(version, f"PostgreSQL {version} from {tgt.display}", columns, indexes)
    finally:
        conn.close()
