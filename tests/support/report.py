"""A database worth reporting on (``apexdb report``): a vector table with its HNSW index, a table with
a duplicate index (an audit finding), a workload of searches whose text holds ``<script>``, and
history: three snapshots an hour apart with a growing table and a stored tune result."""
from __future__ import annotations

import numpy as np

from apexdb.ops import history
from support.data import clustered, load_items, run_flushed
from support.history import conn_of, shift_snapshot, snapshot_ids

REPORT_SCRIPT_ALIAS = "<script>alert('x')</script>"
# The workload's statement: its column alias survives pg_stat_statements' normalisation as written.
REPORT_SEARCH = f'SELECT id, title AS "{REPORT_SCRIPT_ALIAS}" FROM items ORDER BY embedding <=> %s::vector LIMIT 5'
REPORT_SEARCHES = 25


def report_workload(db, vectors, searches: int = REPORT_SEARCHES) -> None:
    """Searches through psycopg, as an application runs them; statistics flushed before returning."""
    with db.connect() as conn:
        for v in vectors[:searches]:
            conn.execute(REPORT_SEARCH, ["[" + ",".join(map(str, v.tolist())) + "]"]).fetchall()
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")


def make_report_database(db) -> np.ndarray:
    """A vector table with its HNSW index (items_ann), a table with a duplicate index (an audit
    finding), and a workload of searches; the vectors loaded."""
    vectors = clustered(n=800, dims=16)
    load_items(db, vectors)
    db.sql("CREATE TABLE orders (id int PRIMARY KEY, customer int, note text)")
    db.sql("INSERT INTO orders SELECT g, g % 50, 'n' FROM generate_series(1, 5000) g")
    db.sql("CREATE INDEX orders_customer ON orders (customer)")
    db.sql("CREATE INDEX orders_customer_dup ON orders (customer)")
    db.sql("ANALYZE")
    report_workload(db, vectors)
    run_flushed(db, "SELECT count(*) FROM orders WHERE customer = 7")
    return vectors


def grow(db, start: int, rows: int) -> None:
    db.sql(f"INSERT INTO orders SELECT g, g % 50, repeat('n', 200) FROM generate_series({start}, {start + rows - 1}) g")


def with_history_database(db) -> None:
    """Three snapshots two hours, one hour and zero hours old, orders growing and the searches running
    between them (more of them later, so the second half of the window has more calls)."""
    vectors = make_report_database(db)
    conn = conn_of(db)
    history.install(conn)
    history.take_snapshot(conn)
    grow(db, 100_001, 20_000)
    report_workload(db, vectors, 10)
    history.take_snapshot(conn)
    grow(db, 200_001, 40_000)
    report_workload(db, vectors, 30)
    history.take_snapshot(conn)
    first, second, _ = snapshot_ids(db)
    shift_snapshot(db, first, "2 hours")
    shift_snapshot(db, second, "1 hour")
    conn.close()


def tune_and_store(db) -> dict:
    """`apexdb tune items --fast`, which stores its result when the history schema exists; its JSON."""
    from support import run_cli

    r = run_cli(["tune", "items", "--fast", "--sample", "200", "--target-recall", "0.9", "--format", "json"],
                env={"APEXDB_DSN": db.dsn})
    assert r.exit_code == 0, r
    assert r.json["stored_run_id"] is not None, r
    return r.json
