"""The one reader of server settings (pg_settings), with sizes in bytes."""
from __future__ import annotations

from typing import Any, Iterable

from apexdb.db.connection import server_versions
from apexdb.db.queries import fetch


def read_settings(conn, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``name -> row`` for the settings among ``names`` this server has, in the order asked.

    A row: ``name``, ``value`` (as SHOW prints it), ``setting`` and ``unit`` (pg_settings'),
    ``bytes`` (sizes only), ``default_value`` and ``default_bytes``, ``at_default``, ``source``.
    pgvector's settings (``hnsw.*``, ``ivfflat.*``) exist only once its library is loaded in
    the session, so it is loaded first where the extension is installed.
    """
    if server_versions(conn).get("vector") is not None:
        fetch(conn, "settings_load_vector_library")
    return {row["name"]: row for row in fetch(conn, "settings_read", {"names": list(names)})}
