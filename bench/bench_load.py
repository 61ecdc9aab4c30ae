"""Bulk load: ``apexdb load`` of N x 384 float32 vectors from a .npy file, timed as a whole
process, against the same load done by a bare psycopg ``COPY ... FORMAT BINARY`` script and
by ``executemany`` INSERTs, each also timed as a whole process (start-up included).

Goals (issue 4): apexdb >= 0.8x the rows/s of the bare COPY script, >= 2x executemany.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

from run import Figure

DIMS = 384

COPY_SCRIPT = """
import sys, numpy as np, psycopg
from pgvector.psycopg import register_vector
dsn, path = sys.argv[1], sys.argv[2]
data = np.load(path, mmap_mode="r")
with psycopg.connect(dsn) as conn:
    register_vector(conn)
    with conn.cursor() as cur, cur.copy("COPY items (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["int8", "vector"])
        for i in range(data.shape[0]):
            copy.write_row((i, data[i]))
"""

EXECUTEMANY_SCRIPT = """
import sys, numpy as np, psycopg
from pgvector.psycopg import register_vector
dsn, path = sys.argv[1], sys.argv[2]
data = np.load(path, mmap_mode="r")
with psycopg.connect(dsn) as conn:
    register_vector(conn)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO items (id, embedding) VALUES (%s, %s)",
                        ((i, np.asarray(data[i])) for i in range(data.shape[0])))
"""


def run(ctx) -> list[Figure]:
    import numpy as np
    import psycopg

    rows = ctx.size(250_000, 20_000)
    many_rows = ctx.size(250_000, 20_000)
    reps = ctx.size(3, 1)
    work = Path(ctx.workdir)
    data_path = work / "load.npy"
    np.save(data_path, np.random.default_rng(11).standard_normal((rows, DIMS)).astype(np.float32))
    many_path = data_path
    if many_rows != rows:
        many_path = work / "load_many.npy"
        np.save(many_path, np.load(data_path, mmap_mode="r")[:many_rows])
    copy_script, many_script = work / "bare_copy.py", work / "executemany.py"
    copy_script.write_text(COPY_SCRIPT)
    many_script.write_text(EXECUTEMANY_SCRIPT)
    dsn = ctx.new_database("bench_load")

    def fresh_table() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS items")
            conn.execute(f"CREATE TABLE items (id bigint PRIMARY KEY, embedding vector({DIMS}))")
            conn.execute("CHECKPOINT")

    def count() -> int:
        with psycopg.connect(dsn) as conn:
            return conn.execute("SELECT count(*) FROM items").fetchone()[0]

    apex_argv = [*ctx.apexdb, "load", "items", str(data_path)]
    copy_argv = [sys.executable, str(copy_script), dsn, str(data_path)]
    many_argv = [sys.executable, str(many_script), dsn, str(many_path)]
    apex_times, copy_times = [], []
    for _ in range(reps):  # alternate, so drift on a shared machine hits both
        for argv, times in ((apex_argv, apex_times), (copy_argv, copy_times)):
            fresh_table()
            times.append(ctx.timed(argv, env={"APEXDB_DSN": dsn}))
            assert count() == rows, "a load did not write every row"
    fresh_table()
    many_time = ctx.timed(many_argv)
    assert count() == many_rows
    apex_rate = rows / statistics.median(apex_times)
    copy_rate = rows / statistics.median(copy_times)
    many_rate = many_rows / many_time
    sizes = {"rows": rows, "dims": DIMS, "runs": reps, "apexdb_s": apex_times, "copy_s": copy_times,
             "executemany_rows": many_rows, "executemany_s": many_time}
    return [
        Figure("load", f"apexdb load vs bare psycopg COPY BINARY ({rows:,} x {DIMS})", apex_rate, copy_rate,
               "rows/s", goal="ratio >= 0.8", met=apex_rate >= 0.8 * copy_rate, extra=sizes),
        Figure("load", f"apexdb load vs executemany INSERT ({many_rows:,} x {DIMS})", apex_rate, many_rate,
               "rows/s", goal="ratio >= 2", met=apex_rate >= 2 * many_rate, extra=sizes),
    ]
