"""COPY BINARY rows assembled a whole batch at a time with numpy.

Each column of a batch is encoded once, vectorised (columns.py), as either
:class:`Fixed` (no NULLs, one width: integers, floats, booleans, timestamps, vectors) or
:class:`Var` (lengths and one data buffer: text, jsonb, sparsevec, or a fixed column with
NULLs). Runs of fixed columns become one numpy structured array per run (its ``tobytes``
is the wire bytes), so a batch of (id, vector) is a single array; a variable column splits
the row, and rows are then joined from memoryview slices, a few per row.

The vector layout is pgvector's binary format (``Vector.to_binary``/``HalfVector.to_binary``:
uint16 dimensions, uint16 0, big-endian float32 or float16 values); tests compare the two.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# the COPY BINARY file header (signature, flags, extension length) and trailer
HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"


@dataclass
class Fixed:
    values: Any  # numpy array (n,) whose dtype is the field's wire layout (big-endian)


@dataclass
class Var:
    lens: Any  # numpy int32 (n,), -1 for NULL
    data: Any  # bytes-like: every non-NULL value, in row order
    offsets: Any  # numpy int64 (n + 1,) into data


def var_of(values, valid) -> Var:
    """A fixed-width column with NULLs (``valid`` False) as a variable one."""
    import numpy as np

    width = values.dtype.itemsize
    sizes = np.where(valid, width, 0)
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return Var(np.where(valid, width, -1).astype(np.int32), values[valid].tobytes(), offsets)


def var_from_list(values: list) -> Var:
    """Per-row bytes (or None for NULL) as a Var (for the per-value encoders)."""
    import numpy as np

    lens = np.fromiter((-1 if v is None else len(v) for v in values), dtype=np.int32, count=len(values))
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(np.maximum(lens, 0), out=offsets[1:])
    return Var(lens, b"".join(v for v in values if v is not None), offsets)


def vector_layout(dims: int, value_type: str):
    import numpy as np

    return np.dtype([("dims", ">u2"), ("unused", ">u2"), ("values", value_type, (dims,))])


def encode_batch(columns: list[Fixed | Var], n: int) -> bytes:
    """The COPY BINARY tuples (no header or trailer) of ``n`` rows of ``columns``."""
    import numpy as np

    segments: list = []
    fields: list = [("n", ">i2")]
    values: dict = {"n": len(columns)}

    def close() -> None:
        if fields:
            rows = np.empty(n, dtype=np.dtype(fields))
            for name, value in values.items():
                rows[name] = value
            segments.append(rows)

    for k, col in enumerate(columns):
        fields.append((f"l{k}", ">i4"))
        if isinstance(col, Fixed):
            fields.append((f"v{k}", col.values.dtype))
            values[f"l{k}"] = col.values.dtype.itemsize
            values[f"v{k}"] = col.values
        else:
            values[f"l{k}"] = col.lens
            close()
            segments.append(col)
            fields, values = [], {}
    close()
    if len(segments) == 1:
        return segments[0].tobytes()
    return _interleave(segments, n)


def _interleave(segments: list, n: int) -> memoryview:
    """Row i of each segment, one after the other, for every row: joined per row by Arrow's
    ``binary_join_element_wise`` (a memcpy each), not by a Python loop over rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = []
    for seg in segments:
        if isinstance(seg, Var):
            arrays.append(pa.Array.from_buffers(pa.large_binary(), n, [None, pa.py_buffer(seg.offsets),
                                                                       pa.py_buffer(seg.data)]))
        else:  # a row's fixed fields as one fixed-size binary value (no copy)
            fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(seg.dtype.itemsize), n,
                                                         [None, pa.py_buffer(seg.view(np.uint8))])
            arrays.append(fixed.cast(pa.large_binary()))
    joined = pc.binary_join_element_wise(*arrays, pa.scalar(b"", pa.large_binary()))
    bounds = np.frombuffer(joined.buffers()[1], dtype=np.int64)
    return memoryview(joined.buffers()[2])[bounds[0]:bounds[n]]


def encode_rows(ids: Any, vectors: Any, id_type: str, vector_type: str) -> bytes:
    """(bigint id, vector) rows, the common .npy load; kept for callers and the byte test."""
    import numpy as np

    vectors = np.asarray(vectors)
    ids = np.arange(ids.start, ids.stop, ids.step) if isinstance(ids, range) else np.asarray(ids)
    id_dtype = {"int8": ">i8", "bigint": ">i8", "int4": ">i4", "integer": ">i4", "int2": ">i2"}[id_type]
    layout = vector_layout(vectors.shape[1], ">f4" if vector_type == "vector" else ">f2")
    vec = np.empty(len(vectors), dtype=layout)
    vec["dims"], vec["unused"], vec["values"] = vectors.shape[1], 0, vectors
    return encode_batch([Fixed(ids.astype(id_dtype)), Fixed(vec)], len(vectors))
