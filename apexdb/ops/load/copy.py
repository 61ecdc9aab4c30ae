"""One COPY ... FROM STDIN (FORMAT BINARY) of numbered record batches.

Each batch is encoded whole (columns.py, then binary.py) and handed to psycopg's queued
writer, which sends it from a thread while the next batch is read and encoded.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from apexdb.errors import BadInput
from apexdb.ops.load.binary import HEADER, TRAILER, encode_batch
from apexdb.ops.load.columns import FIXED_TYPES, Where, encode_column


SLICE_BYTES = 2 << 20  # rows encoded at once, by their size in the file


def copy_order(plan) -> list:
    """Fixed-width columns first: a batch's rows are then one numpy array up to the first text."""
    return sorted(plan.targets, key=lambda t: t.type not in FIXED_TYPES)


def copy_statement(plan):
    from psycopg import sql

    names = sql.SQL(", ").join(sql.Identifier(t.column) for t in copy_order(plan))
    return sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT BINARY)").format(sql.Identifier(*plan.table.ident), names)


def encode(plan, first_row: int, batch: Any) -> bytes:
    """The COPY BINARY tuples of one record batch, in the plan's column order."""
    import numpy as np
    import pyarrow as pa

    columns = []
    for t in copy_order(plan):
        if t.field is None:  # ids 0..n-1 of a .npy/.npz file
            array = pa.array(np.arange(first_row, first_row + batch.num_rows))
        else:
            array = batch.column(t.field)
        where = Where(plan.source.name, t.field or t.column, t.column, first_row, plan.source.kind, t.json_text)
        if t.required and array.null_count:
            row = int(np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))[0])
            raise BadInput(f"{where.row(row)}: no value for field {t.field!r} (column {t.column} is NOT NULL)")
        columns.append(encode_column(array, t.type, t.dims, where))
    return encode_batch(columns, batch.num_rows)


def bounded_writer(cur):
    """psycopg's queued writer (a thread sends while the next batch is encoded) with a queue of
    at most 64 x 128 KiB: its own 1,024 let 128 MiB pile up when the server is the slower."""
    import queue

    from psycopg.copy import QueuedLibpqWriter

    writer = QueuedLibpqWriter(cur)
    writer._queue = queue.Queue(maxsize=64)  # before the first write starts its worker
    return writer


def copy_batches(conn, plan, batches: Iterable[tuple[int, Any]], advance: Callable[[int, int], None]) -> None:
    with conn.cursor() as cur, cur.copy(copy_statement(plan), writer=bounded_writer(cur)) as copy:
        copy.write(HEADER)
        for first_row, batch in batches:
            step = max(1, SLICE_BYTES // max(1, batch.nbytes // max(1, batch.num_rows)))
            for offset in range(0, batch.num_rows, step):  # a few MiB at a time: memory stays flat
                part = batch.slice(offset, step)
                data = encode(plan, first_row + offset, part)
                copy.write(data)
                advance(part.num_rows, len(data))
        copy.write(TRAILER)
