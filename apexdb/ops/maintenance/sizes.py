"""Sizes for plans: exact where the table can be locked at once, else pg_class's estimate.

``pg_table_size`` takes an ACCESS SHARE lock, which waits behind a session holding an
ACCESS EXCLUSIVE lock; ``relpages`` needs no lock but is only as fresh as the last
VACUUM/ANALYZE (0 for a table never vacuumed). So each table is measured exactly
under a 100 ms lock_timeout, in its own savepoint, and falls back to the estimate.
"""
from __future__ import annotations

from typing import Any

from apexdb.db.connection import read_only
from apexdb.db.queries import fetch, fetch_one

QUICK_LOCK_TIMEOUT = "100ms"


def table_sizes(conn, oids: list[int]) -> dict[int, dict[str, Any]]:
    """oid -> {"table_bytes", "index_bytes", "exact"} for each of ``oids``."""
    import psycopg

    if not oids:
        return {}
    with read_only(conn, lock_timeout=QUICK_LOCK_TIMEOUT):
        sizes = {r["oid"]: {**r, "exact": False} for r in fetch(conn, "maint_table_approx", {"oids": list(oids)})}
        for oid in oids:
            try:
                with conn.transaction():
                    row = fetch_one(conn, "maint_table_size", {"oid": oid})
            except psycopg.errors.LockNotAvailable:
                continue
            if row:
                sizes[oid] = {**row, "exact": True}
    return sizes
