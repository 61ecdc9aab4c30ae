"""COPY BINARY rows of (integer id, vector), encoded a whole batch at a time with numpy.

Row by row, ``copy.write_row`` costs a Python call and a dumper call per row; for the common
load (a .npy file into an integer id and a vector or halfvec column) this module lays the
rows out in one structured array instead. The bytes of each vector field are exactly what
pgvector's own binary dumpers write (``Vector.to_binary``/``HalfVector.to_binary``: uint16
dimensions, uint16 0, then big-endian float32 or float16 values); tests compare the two.
"""
from __future__ import annotations

from typing import Any

# the COPY BINARY file header (signature, flags, extension length) and trailer
HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"

# pg_type names (as the catalog gives them) and SQL spellings (as --create writes them)
ID_TYPES = {"int8": ">i8", "bigint": ">i8", "int4": ">i4", "integer": ">i4", "int2": ">i2", "smallint": ">i2"}
VALUE_TYPES = {"vector": ">f4", "halfvec": ">f2"}


def can_encode(id_type: str, vector_type: str, ids: Any, extra_keys: list) -> bool:
    """Whether a batch fits the fast path: no extra columns, integer ids, an integer id column."""
    import numpy as np

    if extra_keys or id_type not in ID_TYPES or vector_type not in VALUE_TYPES:
        return False
    if isinstance(ids, range):
        return True
    return np.asarray(ids).dtype.kind in "iu"


def encode_rows(ids: Any, vectors: Any, id_type: str, vector_type: str) -> bytes:
    """The COPY BINARY tuples (no header or trailer) of ``ids`` and the rows of ``vectors``."""
    import numpy as np

    vectors = np.asarray(vectors)
    n, dims = vectors.shape
    id_dtype, value_dtype = np.dtype(ID_TYPES[id_type]), np.dtype(VALUE_TYPES[vector_type])
    layout = np.dtype([("fields", ">i2"), ("id_len", ">i4"), ("id", id_dtype), ("vec_len", ">i4"),
                       ("dims", ">u2"), ("unused", ">u2"), ("values", value_dtype, (dims,))])
    rows = np.empty(n, dtype=layout)
    rows["fields"] = 2
    rows["id_len"] = id_dtype.itemsize
    ids = np.arange(ids.start, ids.stop, ids.step) if isinstance(ids, range) else np.asarray(ids)
    check_id_range(ids, id_type)
    rows["id"] = ids
    rows["vec_len"] = 4 + dims * value_dtype.itemsize
    rows["dims"] = dims
    rows["unused"] = 0
    rows["values"] = vectors
    return rows.tobytes()


def check_id_range(ids: Any, id_type: str) -> None:
    """BadInput when an id does not fit an integer id column. psycopg's binary int dumpers
    wrap silently (2**40 into an int4 column arrives as 0), so this is checked here."""
    import numpy as np

    if id_type not in ID_TYPES:
        return
    info = np.iinfo(np.dtype(ID_TYPES[id_type]))
    values = [i for i in np.asarray(ids).ravel().tolist() if isinstance(i, int)]
    if values and (min(values) < info.min or max(values) > info.max):
        from apexdb.errors import BadInput

        raise BadInput(f"an id does not fit the {id_type} id column (range {info.min}..{info.max})")
