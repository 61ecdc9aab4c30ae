"""History test helpers: install the schema, take snapshots, run workloads between them, move snapshots in time."""
from __future__ import annotations

from apexdb.db.connection import Target, connect

SCHEMA = "apexdb_history"


def conn_of(db):
    """An apexdb connection (autocommit, pgvector registered) to the test database."""
    return connect(Target(db.dsn, "test", "test"))


def workload(db, statements: list[tuple[str, object]], times: int = 1) -> None:
    """Run each (statement, params) ``times`` times through psycopg (so pg_stat_statements counts them)."""
    with db.connect() as conn:
        for _ in range(times):
            for statement, params in statements:
                cur = conn.execute(statement, params)
                if cur.description:
                    cur.fetchall()


def shift_snapshot(db, snapshot_id: int, interval: str) -> None:
    """Move a snapshot back in time (``interval`` ago from its real time): yesterday, last week..."""
    db.sql(f"UPDATE {SCHEMA}.snapshot SET taken_at = taken_at - %s::interval WHERE snapshot_id = %s",
           [interval, snapshot_id])


def snapshot_ids(db, member: str = "primary") -> list[int]:
    return [r[0] for r in db.sql(f"SELECT snapshot_id FROM {SCHEMA}.snapshot WHERE member = %s ORDER BY snapshot_id",
                                 [member])]
