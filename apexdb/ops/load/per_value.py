"""Column types encoded one value at a time: sparsevec, bit, uuid, numeric.

sparsevec comes as pgvector's text ``{1:0.5,7:2}/10`` (1-based), as a struct of
``indices`` (0-based, as pgvector's Python ``SparseVector``) and ``values``, or as a dense
list of numbers (its non-zeros are kept). bit comes as a string of 0s and 1s or a list of
booleans/0/1. The binary forms are pgvector's (``SparseVector.to_binary``: int32 dim,
int32 nnz, int32 0, int32 indices, float32 values) and PostgreSQL's varbit (int32 bit
count, then the bits packed high bit first).
"""
from __future__ import annotations

import math
import re
import struct
from typing import Any

from apexdb.errors import BadInput
from apexdb.ops.load.binary import Var, var_from_list

SPARSE_TEXT = re.compile(r"^\{(.*)\}/(\d+)$")


def encode_per_value(array, pg_type: str, dims: int | None, where) -> Var:
    from apexdb.ops.load.columns import SUPPORTED

    encoders = {"sparsevec": _sparsevec, "bit": _bit, "varbit": _bit, "uuid": _uuid, "numeric": _numeric}
    encode = encoders.get(pg_type)
    if encode is None:
        raise BadInput(f"column {where.column} is {pg_type}; load writes {', '.join(sorted(set(SUPPORTED)))}",
                       hint=f"--skip {where.field}")
    out = []
    for i, value in enumerate(array.to_pylist()):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(encode(value, dims))
        except (ValueError, TypeError, KeyError, struct.error) as exc:
            raise BadInput(f"{where.row(i)}: field {where.field!r} is not a {pg_type} for column "
                           f"{where.column}: {exc}") from None
    return var_from_list(out)


def _sparsevec(value: Any, dims: int | None) -> bytes:
    if isinstance(value, str):
        found = SPARSE_TEXT.match(value.replace(" ", ""))
        if not found:
            raise ValueError(f"{value[:40]!r} is not {{index:value,...}}/dimensions")
        dim = int(found.group(2))
        pairs = [p.split(":") for p in found.group(1).split(",") if p]
        indices = [int(i) - 1 for i, _ in pairs]
        values = [float(v) for _, v in pairs]
    elif isinstance(value, dict):
        indices, values = [int(i) for i in value["indices"]], [float(v) for v in value["values"]]
        dim = int(value.get("dim") or dims or 0)
        if len(indices) != len(values):
            raise ValueError(f"{len(indices)} indices but {len(values)} values")
    elif isinstance(value, list):
        dim = len(value)
        indices = [i for i, v in enumerate(value) if v]
        values = [float(value[i]) for i in indices]
    else:
        raise ValueError(f"a {type(value).__name__}")
    if dims is not None and dim != dims:
        raise ValueError(f"{dim} dimensions where the column has {dims}")
    if not dim or any(i < 0 or i >= dim for i in indices):
        raise ValueError(f"an index outside 1..{dim}")
    if any(b <= a for a, b in zip(indices, indices[1:])):
        raise ValueError("indices must increase")
    if not all(math.isfinite(v) for v in values):
        raise ValueError("NaN or infinity")
    nnz = len(indices)
    return struct.pack(f">iii{nnz}i{nnz}f", dim, nnz, 0, *indices, *values)


def _bit(value: Any, dims: int | None) -> bytes:
    import numpy as np

    if isinstance(value, str):
        if set(value) - {"0", "1"}:
            raise ValueError(f"{value[:40]!r} is not a string of 0s and 1s")
        bits = np.frombuffer(value.encode(), dtype=np.uint8) - ord("0")
    else:
        bits = np.asarray([int(bool(v)) for v in value], dtype=np.uint8)
    if dims is not None and len(bits) != dims:
        raise ValueError(f"{len(bits)} bits where the column has {dims}")
    return struct.pack(">i", len(bits)) + np.packbits(bits).tobytes()


def _uuid(value: Any, dims: int | None) -> bytes:
    import uuid

    return value if isinstance(value, bytes) and len(value) == 16 else uuid.UUID(str(value)).bytes


def _numeric(value: Any, dims: int | None) -> bytes:
    from decimal import Decimal, InvalidOperation

    from psycopg.types.numeric import DecimalBinaryDumper

    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{str(value)[:40]!r} is not a number") from None
    return bytes(DecimalBinaryDumper(Decimal).dump(number))
