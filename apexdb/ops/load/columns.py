"""One Arrow column into one table column's COPY BINARY values, vectorised where it counts.

Integers, floats, booleans, timestamps, dates and vectors are numpy casts into big-endian
layouts; text and bytea reuse Arrow's own data buffer and offsets. jsonb, uuid, numeric,
bit and sparsevec are encoded per value (they are rarely the bulk of a row). A value that
cannot go into its column is BadInput naming the row and the field.
"""
from __future__ import annotations

from typing import Any

from apexdb.errors import BadInput
from apexdb.ops.load.binary import Fixed, Var, var_from_list, var_of, vector_layout

INTS = {"int2": ">i2", "int4": ">i4", "int8": ">i8"}
FLOATS = {"float4": ">f4", "float8": ">f8"}
TEXTS = ("text", "varchar", "bpchar", "name", "citext")
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970
PG_EPOCH_DAYS = 10_957
FIXED_TYPES = (*INTS, *FLOATS, "bool", "timestamp", "timestamptz", "date", "uuid", "vector", "halfvec", "bit")
SUPPORTED = (*FIXED_TYPES, *TEXTS, "json", "jsonb", "bytea", "numeric", "sparsevec", "varbit")


class Where:
    """Names a batch in messages: the file, the field, the column, the batch's first row."""

    def __init__(self, file: str, field: str, column: str, first_row: int, kind: str, json_text: bool = False):
        self.file, self.field, self.column, self.first_row = file, field, column, first_row
        self.kind, self.json_text = kind, json_text  # the file's format; the field holds JSON text

    def row(self, i: int) -> str:
        return f"{self.file} row {self.first_row + i + 1:,}"

    def wrong_type(self, arrow_type, pg_type: str) -> BadInput:
        return BadInput(f"{self.file}: field {self.field!r} holds {arrow_type} values, which do not go into "
                        f"column {self.column} ({pg_type})", hint=f"--skip {self.field} or --map {self.field}=COLUMN")


def encode_column(array, pg_type: str, dims: int | None, where: Where) -> Fixed | Var:
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pg_type in ("vector", "halfvec"):
        return _vectors(array, pg_type, dims, where)
    if pg_type in INTS or pg_type in FLOATS or pg_type in ("bool", "timestamp", "timestamptz", "date"):
        values, valid = _numbers(array, pg_type, where)
        return Fixed(values) if valid is None else var_of(values, valid)
    if pg_type in TEXTS:
        return _text(array, pg_type, where)
    if pg_type == "bytea":
        if not (pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type) or _is_string(array.type)):
            raise where.wrong_type(array.type, pg_type)
        return _buffers(array)
    if pg_type in ("json", "jsonb"):
        return _json(array, pg_type, where)
    from apexdb.ops.load.per_value import encode_per_value

    return encode_per_value(array, pg_type, dims, where)


def _is_string(t) -> bool:
    import pyarrow as pa

    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _vectors(array, pg_type: str, dims: int | None, where: Where) -> Fixed:
    import numpy as np

    from apexdb.ops.load.vectors import to_matrix

    matrix = to_matrix(array, where=where.file, field=where.field, first_row=where.first_row, dims=dims,
                       dtype="float32" if pg_type == "vector" else "float16")
    rows = np.empty(len(matrix), dtype=vector_layout(matrix.shape[1], ">f4" if pg_type == "vector" else ">f2"))
    rows["dims"], rows["unused"], rows["values"] = matrix.shape[1], 0, matrix
    return Fixed(rows)


def _cast(array, target, where: Where, pg_type: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.cast(array, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        if not _is_string(array.type):
            raise where.wrong_type(array.type, pg_type) from None
        for i, value in enumerate(array.to_pylist()):  # find the row only on the error path
            try:
                pc.cast(pa.array([value], array.type), target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise BadInput(f"{where.row(i)}: {str(value)[:40]!r} in field {where.field!r} is not a "
                               f"valid {pg_type} (column {where.column})") from None
        raise BadInput(f"{where.file}: field {where.field!r}: {exc}") from None


def _numbers(array, pg_type: str, where: Where) -> tuple[Any, Any]:
    """(big-endian values, valid mask or None) for fixed-width scalar columns."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    t = array.type
    if pg_type in INTS:
        if not (pa.types.is_integer(t) or _is_string(t)):
            raise where.wrong_type(t, pg_type)
        array = _cast(array, pa.int64(), where, pg_type) if _is_string(t) or pa.types.is_uint64(t) else array
        values = array.to_numpy(zero_copy_only=False) if not array.null_count else \
            pc.fill_null(array, 0).to_numpy(zero_copy_only=False)
        info = np.iinfo(np.dtype(INTS[pg_type]))
        bad = np.flatnonzero((values < info.min) | (values > info.max))
        if bad.size:
            raise BadInput(f"{where.row(int(bad[0]))}: {int(values[bad[0]])} in field {where.field!r} does not fit "
                           f"column {where.column} ({pg_type}, {info.min}..{info.max})")
        out = values.astype(INTS[pg_type])
    elif pg_type in FLOATS:
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or _is_string(t)):
            raise where.wrong_type(t, pg_type)
        array = _cast(array, pa.float64(), where, pg_type)
        out = pc.fill_null(array, 0.0).to_numpy(zero_copy_only=False).astype(FLOATS[pg_type])
    elif pg_type == "bool":
        if not (pa.types.is_boolean(t) or _is_string(t)):
            raise where.wrong_type(t, pg_type)
        array = _cast(array, pa.bool_(), where, pg_type)
        out = pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(np.uint8)
    elif pg_type == "date":
        if not (pa.types.is_date(t) or pa.types.is_timestamp(t) or _is_string(t)):
            raise where.wrong_type(t, pg_type)
        array = _cast(array, pa.date32(), where, pg_type)
        days = pc.fill_null(array.cast(pa.int32()), PG_EPOCH_DAYS).to_numpy(zero_copy_only=False)
        out = (days.astype(np.int64) - PG_EPOCH_DAYS).astype(">i4")
    else:
        array = _timestamps(array, pg_type, where)
        us = pc.fill_null(array.cast(pa.int64()), PG_EPOCH_US).to_numpy(zero_copy_only=False)
        out = (us - PG_EPOCH_US).astype(">i8")
    valid = None if not array.null_count else array.is_valid().to_numpy(zero_copy_only=False)
    return out, valid


def _timestamps(array, pg_type: str, where: Where):
    """Microseconds, UTC for zoned values; a naive value is taken as UTC for timestamptz."""
    import pyarrow as pa

    t = array.type
    if pa.types.is_timestamp(t):
        return array.cast(pa.timestamp("us", t.tz), safe=False)
    if pa.types.is_date(t):
        return array.cast(pa.timestamp("us"))
    if not _is_string(t):
        raise where.wrong_type(t, pg_type)
    try:
        return array.cast(pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _cast(array, pa.timestamp("us", "UTC"), where, pg_type)


def _buffers(array) -> Var:
    """A string/binary Arrow array's own data buffer and offsets as a Var, without copying values."""
    import numpy as np
    import pyarrow as pa

    large = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
    offset_type = np.int64 if large else np.int32
    n = len(array)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[array.offset:array.offset + n + 1].astype(np.int64)
    data = memoryview(buffers[2]) if buffers[2] is not None else b""
    lens = np.diff(offsets).astype(np.int32)
    if array.null_count:
        lens[~array.is_valid().to_numpy(zero_copy_only=False)] = -1
    return Var(lens, data, offsets)


def _text(array, pg_type: str, where: Where) -> Var:
    import pyarrow as pa

    t = array.type
    if not _is_string(t):
        if pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
            raise where.wrong_type(t, pg_type)
        array = _cast(array, pa.string(), where, pg_type)
    return _buffers(array)


def _json(array, pg_type: str, where: Where) -> Var:
    """JSON text as written (jsonb's binary form is a version byte, 1, then the text)."""
    import json

    import pyarrow as pa

    t = array.type
    if _is_string(t) and where.kind == "jsonl" and not where.json_text:  # a JSON string value
        texts = [None if v is None else json.dumps(v, ensure_ascii=False) for v in array.to_pylist()]
    elif _is_string(t):  # JSON text: objects kept by the JSONL reader; CSV and Parquet documents
        if pg_type == "jsonb":  # each value after jsonb's version byte, joined by Arrow, not per row
            import pyarrow.compute as pc

            array = pc.binary_join_element_wise("\x01", array, "")
        return _buffers(array)
    elif pa.types.is_nested(t) or pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        texts = [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in array.to_pylist()]
    else:
        raise where.wrong_type(t, pg_type)
    prefix = b"\x01" if pg_type == "jsonb" else b""
    return var_from_list([None if v is None else prefix + v.encode() for v in texts])
