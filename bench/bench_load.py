"""Bulk load, every load timed as a whole process (start-up included):

1. ``apexdb load`` of N x 384 float32 from ``.npy`` against a bare psycopg ``COPY ... FORMAT
   BINARY`` script and against ``executemany`` INSERTs (issue 4: >= 0.8x COPY, >= 2x executemany).
2. The same vectors with an id and a short text column as Parquet, Arrow, JSONL and CSV (vector
   in pgvector text), each loaded by ``apexdb load`` into (id bigint, text text, embedding
   vector(384)), against ``apexdb load`` of the ``.npy`` (issue 19: Parquet >= 0.8x, JSONL and
   CSV >= 0.3x, aim 0.5x); and JSONL with a metadata object beside the vector (into jsonb), as
   batch embedding jobs write it (no goal of its own). Each format is loaded three times, each load followed by one of the
   ``.npy``, and the medians are compared.
3. Peak memory (max RSS) of ``apexdb load`` of a Parquet file three times larger than the
   memory it is allowed: it must stream.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
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


def write_formats(work: Path, vectors, prefix: str = "docs",
                  formats=("parquet", "arrow", "jsonl", "csv", "jsonl+meta")) -> dict:
    """The same rows (id, short text, vector) in each format; text files written with Arrow's
    float formatting (shortest round-trip), so every format holds exactly the same values."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    n = len(vectors)
    ids = pa.array(range(n), pa.int64())
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    text = pa.array([f"doc {i}: {words[i % 8]} {words[(i * 7) % 8]} notes" for i in range(n)])
    emb = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])
    table = pa.table({"id": ids, "text": text, "embedding": emb})
    paths = {}
    if "parquet" in formats:
        paths["parquet"] = work / f"{prefix}.parquet"
        pq.write_table(table, paths["parquet"], row_group_size=50_000)
    if "arrow" in formats:
        paths["arrow"] = work / f"{prefix}.arrow"
        feather.write_feather(table, paths["arrow"], chunksize=50_000)
    for kind in ("jsonl", "csv", "jsonl+meta"):
        if kind not in formats:
            continue
        paths[kind] = work / f"{prefix}.{'meta.jsonl' if kind == 'jsonl+meta' else kind}"
        with open(paths[kind], "wb") as f:
            if kind == "csv":
                f.write(b"id,text,embedding\n")
            for start in range(0, n, 20_000):
                part = table.slice(start, 20_000)
                values = pc.cast(part["embedding"].combine_chunks().flatten(), pa.string())
                lists = pa.FixedSizeListArray.from_arrays(values, vectors.shape[1]).cast(pa.list_(pa.string()))
                vec = pc.binary_join_element_wise("[", pc.binary_join(lists, ","), "]", "")
                sid = pc.cast(part["id"], pa.string())
                if kind == "jsonl":
                    line = pc.binary_join_element_wise('{"id": ', sid, ', "text": "', part["text"], '", "embedding": ',
                                                       vec, "}\n", "")
                elif kind == "jsonl+meta":  # a batch job's output: a metadata object beside the vector
                    line = pc.binary_join_element_wise('{"id": ', sid, ', "text": "', part["text"],
                                                       '", "meta": {"source": "bench", "n": ', sid,
                                                       ', "tags": ["a", "b"]}, "embedding": ', vec, "}\n", "")
                else:
                    line = pc.binary_join_element_wise(sid, ',"', part["text"], '","', vec, '"\n', "")
                line = line.combine_chunks() if isinstance(line, pa.ChunkedArray) else line
                bounds = np.frombuffer(line.buffers()[1], dtype=np.int32)
                f.write(memoryview(line.buffers()[2])[bounds[line.offset]:bounds[line.offset + len(line)]])
    return paths


# Started through this small process: Linux carries the parent's peak RSS over fork and exec
# into the child's ru_maxrss, so the bench's own arrays would count against the load.
RSS_SCRIPT = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024)
"""


def timed_rss(argv: list[str], env: dict) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes) of one process."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RSS_SCRIPT, *argv], env={**os.environ, **env},
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    code, peak = (int(x) for x in proc.stdout.split())
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {proc.stderr.strip()[-500:]}")
    return elapsed, peak


def run(ctx) -> list[Figure]:
    import numpy as np
    import psycopg

    rows = ctx.size(250_000, 20_000)
    many_rows = ctx.size(250_000, 20_000)
    reps = ctx.size(3, 1)
    work = Path(ctx.workdir)
    data_path = work / "load.npy"
    vectors = np.random.default_rng(11).standard_normal((rows, DIMS)).astype(np.float32)
    np.save(data_path, vectors)
    copy_script, many_script = work / "bare_copy.py", work / "executemany.py"
    copy_script.write_text(COPY_SCRIPT)
    many_script.write_text(EXECUTEMANY_SCRIPT)
    dsn = ctx.new_database("bench_load")
    env = {"APEXDB_DSN": dsn}

    def fresh_table(text: bool = False, meta: bool = False) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS items")
            extra = ("text text, " if text else "") + ("meta jsonb, " if meta else "")
            conn.execute(f"CREATE TABLE items (id bigint PRIMARY KEY, {extra}embedding vector({DIMS}))")
            conn.execute("CHECKPOINT")

    def count() -> int:
        with psycopg.connect(dsn) as conn:
            return conn.execute("SELECT count(*) FROM items").fetchone()[0]

    def apex_load(path: Path, text: bool, *flags: str, meta: bool = False) -> float:
        fresh_table(text, meta)
        seconds = ctx.timed([*ctx.apexdb, "load", "items", str(path), *flags], env=env)
        assert count() == rows, f"loading {path.name} did not write every row"
        return seconds

    # 1. .npy against a bare COPY script, alternating so drift on a shared machine hits both
    copy_argv = [sys.executable, str(copy_script), dsn, str(data_path)]
    npy_times, npy_times_bare, copy_times = [], [], []
    for _ in range(reps):
        npy_times_bare.append(apex_load(data_path, False, "--no-analyze"))  # the bare script does not analyze
        fresh_table()
        copy_times.append(ctx.timed(copy_argv, env=env))
        assert count() == rows
    fresh_table()
    many_path = data_path
    if many_rows != rows:
        many_path = work / "load_many.npy"
        np.save(many_path, vectors[:many_rows])
    many_time = ctx.timed([sys.executable, str(many_script), dsn, str(many_path)])
    assert count() == many_rows

    # 2. each format, its loads alternating with .npy loads of the same run (a shared machine's
    # drift hits both); the medians are compared
    paths = write_formats(work, vectors)
    format_times, format_runs = {}, {}
    for kind, path in paths.items():
        format_runs[kind] = []
        for _ in range(reps):
            format_runs[kind].append(apex_load(path, True, meta=kind == "jsonl+meta"))
            npy_times.append(apex_load(data_path, False))
        format_times[kind] = statistics.median(format_runs[kind])
        path.unlink()  # disk: the text files are GBs
    npy_rate = rows / statistics.median(npy_times)
    bare_rate = rows / statistics.median(npy_times_bare)
    copy_rate = rows / statistics.median(copy_times)
    many_rate = many_rows / many_time
    sizes = {"rows": rows, "dims": DIMS, "apexdb_npy_s": npy_times, "apexdb_npy_no_analyze_s": npy_times_bare,
             "copy_s": copy_times,
             "executemany_rows": many_rows, "executemany_s": many_time, "format_s": format_times,
             "format_runs_s": format_runs}
    figures = [
        Figure("load", f"apexdb load .npy --no-analyze vs bare psycopg COPY BINARY ({rows:,} x {DIMS})", bare_rate,
               copy_rate, "rows/s", goal="ratio >= 0.8", met=bare_rate >= 0.8 * copy_rate, extra=sizes),
        Figure("load", f"apexdb load .npy --no-analyze vs executemany INSERT ({many_rows:,} x {DIMS})", bare_rate,
               many_rate, "rows/s", goal="ratio >= 2", met=bare_rate >= 2 * many_rate, extra=sizes),
    ]
    goals = {"parquet": 0.8, "arrow": 0.8, "jsonl": 0.3, "csv": 0.3}
    for kind, seconds in format_times.items():
        rate = rows / seconds
        if kind == "jsonl+meta":  # no goal of its own: what a batch job's file costs beside plain JSONL
            figures.append(Figure("load", f"apexdb load .jsonl (id, text, metadata object, vector) vs .npy "
                                          f"({rows:,} x {DIMS})", rate, npy_rate, "rows/s", extra=sizes))
            continue
        figures.append(Figure("load", f"apexdb load .{kind} (id, text, vector) vs .npy ({rows:,} x {DIMS})", rate,
                              npy_rate, "rows/s", goal=f"ratio >= {goals[kind]}", met=rate >= goals[kind] * npy_rate,
                              extra=sizes))

    # 3. streaming: a Parquet file 3x the memory the process is allowed
    allowed = ctx.size(256, 64) << 20
    big_rows = int(3 * allowed / (DIMS * 4)) + 1
    big = np.random.default_rng(12).standard_normal((big_rows, DIMS)).astype(np.float32)
    big_path = write_formats(work, big, prefix="big", formats=("parquet",))["parquet"]
    del big
    size = big_path.stat().st_size
    fresh_table(True)
    seconds, peak = timed_rss([*ctx.apexdb, "load", "items", str(big_path)], env)
    assert count() == big_rows
    figures.append(Figure("load", f"peak RSS loading a {size / 2**20:,.0f} MiB Parquet file ({big_rows:,} rows) "
                                  f"vs the {allowed >> 20} MiB allowed", peak / 2**20, allowed / 2**20, "MiB",
                          higher_is_better=False, goal="file >= 3x allowed, peak <= allowed",
                          met=size >= 3 * allowed and peak <= allowed,
                          extra={"file_bytes": size, "peak_rss_bytes": peak, "seconds": seconds}))
    return figures
