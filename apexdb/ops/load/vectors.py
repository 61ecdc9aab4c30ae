"""Vectors out of Arrow columns, and query vectors out of any file load reads.

A vector column arrives as ``list<float>``, ``fixed_size_list``, a JSON array (parsed by the
reader into a list) or pgvector's text ``[0.1,0.2,...]`` (a string column: CSV, TSV, a
Parquet string). Each becomes one float32 numpy array (rows x dims) with vectorised Arrow
kernels, never a Python loop per value. Ragged rows, non-numbers, NULLs and NaN/infinity
are BadInput naming the first bad row (1-based over the whole file).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from apexdb.errors import BadInput


def is_vector_type(arrow_type) -> bool:
    """A list of numbers (any list layout), the shape a vector field has once read."""
    import pyarrow as pa

    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        inner = arrow_type.value_type
        return pa.types.is_floating(inner) or pa.types.is_integer(inner) or pa.types.is_decimal(inner)
    return False


def looks_like_vector_text(array) -> bool:
    """A string column whose first non-null value is ``[number,...]``."""
    import pyarrow as pa

    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return False
    value = first_value(array)
    return value is not None and value.lstrip().startswith("[")


def first_value(array):
    """The first non-null value as Python, or None: without copying the column (``drop_null``
    copies every value, a cost per batch as large as parsing a fifth of them)."""
    import pyarrow.compute as pc

    if not len(array):
        return None
    at = 0 if not array.null_count else pc.index(array.is_valid(), True).as_py()
    return None if at < 0 else array[at].as_py()


def parse_text_vectors(array, where: str, first_row: int):
    """pgvector's text form (``[1,2,3]``, spaces allowed) as ``list<float32>``, vectorised, in
    slices on several threads (readers.in_order; Arrow's kernels run without the GIL)."""
    import os

    import pyarrow as pa

    from apexdb.ops.load.readers import in_order

    workers = min(os.cpu_count() or 1, 8, len(array) // 512)
    if workers < 2:
        return _parse_text_slice(array, where, first_row)
    step = -(-len(array) // workers)
    parts = in_order(lambda start: _parse_text_slice(array.slice(start, step), where, first_row + start),
                     iter(range(0, len(array), step)), workers)
    return pa.concat_arrays(list(parts))


def _parse_text_slice(array, where: str, first_row: int, spaced: bool = False):
    """One slice, split as its first value is written: at ``,`` (``[1,2,3]``, as pgvector prints
    it) or ``, `` (``[1, 2, 3]``, as json.dumps and Python print lists). Only when that fails
    are the values' spaces removed: scanning every value for a space first cost a fifth of the
    parse, and a cast that fails on every value is slower still."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.replace_substring(array, " ", "") if spaced else array
    separator = ", " if not spaced and ", " in (first_value(array) or "") else ","
    starts, ends = pc.starts_with(text, "["), pc.ends_with(text, "]")
    bad = pc.invert(pc.and_(starts, ends))
    if pc.any(bad).as_py():
        if not spaced and _has_byte(array, b" "):
            return _parse_text_slice(array, where, first_row, spaced=True)
        row = _first_true(bad)
        value = str(array[row].as_py())
        quote = "; an unbalanced quote?" if '"' in value else ""
        raise BadInput(f"{where} row {first_row + row + 1}: {value[:40]!r} is not a vector "
                       f"(expected [v1,v2,...]{quote})")
    parts = pc.split_pattern(pc.utf8_slice_codeunits(text, 1, -1), separator)
    try:
        return pc.cast(parts, pa.list_(pa.float32()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if not spaced and _has_byte(array, b" "):
            return _parse_text_slice(array, where, first_row, spaced=True)
        for i, value in enumerate(parts.to_pylist()):  # find the row only on the error path
            for item in value or []:
                try:
                    float(item)
                except ValueError:
                    raise BadInput(f"{where} row {first_row + i + 1}: {item[:40]!r} is not a number") from None
        raise


def _has_byte(array, byte: bytes) -> bool:
    """Whether any value of a string array (``string`` or ``large_string``) holds ``byte``: one
    scan of its data buffer (a kernel that matches per value costs as much as parsing the
    numbers)."""
    import numpy as np
    import pyarrow as pa

    if not len(array):
        return False
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    bounds = np.frombuffer(array.buffers()[1], dtype=width)[array.offset:array.offset + len(array) + 1]
    lo, hi = int(bounds[0]), int(bounds[-1])
    if hi <= lo:
        return False
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8, count=hi - lo, offset=lo)
    return bool((data == byte[0]).any())


def to_matrix(array, *, where: str, field: str, first_row: int = 0, dims: int | None = None,
              dtype: str = "float32"):
    """An Arrow vector column (or pgvector text) as a numpy (rows, dims) array of ``dtype``;
    BadInput for a NULL, a ragged row, a non-number, NaN/infinity or another dimension."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.null_count:
        row = _first_true(array.is_null())
        raise BadInput(f"{where} row {first_row + row + 1}: no value for {field!r} (the vector is missing)")
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        array = parse_text_vectors(array, where, first_row)
    if not is_vector_type(array.type):
        raise BadInput(f"{where}: field {field!r} holds {array.type}, not vectors (a list of numbers or "
                       f"pgvector text [v1,v2,...])")
    n = len(array)
    if pa.types.is_fixed_size_list(array.type):
        width = array.type.list_size
        values = array.flatten()
    else:
        lengths = pc.list_value_length(array).to_numpy(zero_copy_only=False)
        width = dims if dims is not None else int(lengths[0]) if n else 0
        ragged = np.flatnonzero(lengths != width)
        if ragged.size:
            row = int(ragged[0])
            against = f"the column has {dims}" if dims is not None else f"row {first_row + 1} has {width}"
            raise BadInput(f"{where} row {first_row + row + 1}: {int(lengths[row])} values in {field!r} where "
                           f"{against} (ragged vectors)")
        values = array.flatten()
    if values.null_count:
        row = _first_true(values.is_null()) // max(width, 1)
        raise BadInput(f"{where} row {first_row + row + 1}: a null inside the vector {field!r}")
    if dims is not None and width != dims:
        raise BadInput(f"{where}: {field!r} holds vectors of {width} dimensions where the column has {dims}")
    if width == 0:
        raise BadInput(f"{where} row {first_row + 1}: the vector {field!r} is empty")
    flat = values.to_numpy(zero_copy_only=False)
    if flat.dtype.kind == "f" and not np.isfinite(flat).all():
        row = int(np.flatnonzero(~np.isfinite(flat))[0]) // width
        raise BadInput(f"{where} row {first_row + row + 1}: NaN or infinity in {field!r}; vectors must be finite")
    matrix = flat.reshape(n, width).astype(dtype, copy=False)
    if dtype != "float32" or flat.dtype.itemsize > 4:  # narrowing may overflow to infinity (float16: > 65504)
        if not np.isfinite(matrix).all():
            row = int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])
            raise BadInput(f"{where} row {first_row + row + 1}: a value in {field!r} is too large for {dtype}")
    return matrix


def _first_true(mask) -> int:
    import numpy as np

    return int(np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0])


def read_query_vectors(path: Path, dims: int | None) -> Any:
    """Every vector of a file load can read (.npy, .npz, .parquet, .arrow/.feather, .jsonl,
    .csv/.tsv, a JSON array of arrays) as float32 (n, dims). The vector is the file's one
    list-of-numbers (or pgvector text) field, else a field called embedding or vector."""
    import numpy as np

    from apexdb.ops.load.readers import open_source

    from apexdb.ops.load.readers import FORMATS

    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _npy(path, dims)
    if suffix not in FORMATS and suffix != ".gz" or (suffix in (".jsonl", ".ndjson") and _starts_with(path, b"[")):
        return _json_array(path, dims)  # .json, or any other name holding a JSON array
    source = open_source(path, batch=65_536)
    field = vector_field(source)
    parts = [to_matrix(batch.column(field), where=source.name, field=field, first_row=start, dims=dims)
             for start, batch in source.numbered()]
    if not parts:
        raise BadInput(f"{source.name} holds no vectors")
    return np.concatenate(parts)


def vector_field(source) -> str:
    """Which field of a file holds the query vectors."""
    names = source.schema.names
    listed = [f.name for f in source.schema if is_vector_type(f.type)]
    for name in ("embedding", "vector", *listed, *[n for n in names if n not in ("id",)]):
        if name in names:
            return name
    raise BadInput(f"{source.name}: no field holds vectors (fields: {', '.join(names)})")


def _npy(path: Path, dims: int | None):
    """A 2-D array of vectors, or one vector (1-D)."""
    import numpy as np
    import pyarrow as pa

    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise BadInput(f"{path} is not a readable .npy array: {exc}") from None
    if data.ndim == 1:
        data = data[None, :]
    if data.ndim != 2 or data.dtype.kind not in "fiu" or not data.size:
        raise BadInput(f"{path.name}: expected numbers, one vector or rows x dimensions (got {data.dtype} "
                       f"{tuple(data.shape)})")
    flat = pa.FixedSizeListArray.from_arrays(pa.array(data.astype(np.float32).reshape(-1)), data.shape[1])
    return to_matrix(flat, where=path.name, field="vectors", dims=dims)


def _starts_with(path: Path, prefix: bytes) -> bool:
    with open(path, "rb") as f:
        return f.read(4096).lstrip().startswith(prefix)


def _json_array(path: Path, dims: int | None):
    """A JSON array of vectors (or one vector), or JSON lines of one array each."""
    import json

    import numpy as np

    try:
        text = path.read_text()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and path.suffix.lower() != ".json":
            text = "[" + ",".join(lines) + "]"
        data = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc}") from None
    except ValueError as exc:
        raise BadInput(f"{path.name}: not JSON ({exc.msg} at character {exc.pos + 1})") from None
    if not isinstance(data, list) or not data:
        raise BadInput(f"{path.name}: expected a non-empty JSON array of vectors")
    if not isinstance(data[0], list):
        data = [data]
    widths = [len(v) if isinstance(v, list) else -1 for v in data]
    for i, width in enumerate(widths):
        if width != widths[0]:
            raise BadInput(f"{path.name} vector {i + 1}: {max(width, 0)} values where vector 1 has {widths[0]} "
                           f"(ragged vectors)")
    try:
        matrix = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise BadInput(f"{path.name}: every element must be a number") from None
    if dims is not None and matrix.shape[1] != dims:
        raise BadInput(f"{path.name}: the vectors have {matrix.shape[1]} dimensions; the column has {dims}")
    if not np.isfinite(matrix).all():
        row = int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])
        raise BadInput(f"{path.name} vector {row + 1}: NaN or infinity; vectors must be finite")
    return matrix.astype(np.float32)
