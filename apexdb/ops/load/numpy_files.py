"""``.npy`` and ``.npz`` files as Arrow record batches.

A 2-D ``.npy`` is memory-mapped and becomes one ``fixed_size_list`` field named after the
vector column, with ids 0..n-1 (or ``--ids``) when the table wants them; batches are views
of the map, so a file larger than memory streams. In an ``.npz`` every member is a field of
its own name: 2-D arrays are vectors, 1-D arrays scalars (a lone 2-D member is the vector
column whatever its name).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from apexdb.errors import BadInput


def _vectors(data) -> Any:
    """(rows, dims) numbers as a fixed_size_list array without copying float32/float16."""
    import numpy as np
    import pyarrow as pa

    if data.dtype.kind not in "fiu":
        raise BadInput(f"the array holds {data.dtype} values; vectors need numbers")
    chunk = np.ascontiguousarray(data)
    if chunk.dtype.kind in "iu" or chunk.dtype.itemsize > 4:
        chunk = chunk.astype(np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(chunk.reshape(-1)), chunk.shape[1])


def open_npy(path: Path, vector_name: str, id_name: str, ids_file, batch: int):
    import numpy as np
    import pyarrow as pa

    from apexdb.ops.load.readers import Source

    try:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise BadInput(f"{path.name} is not a readable .npy array: {exc}") from None
    if data.ndim != 2:
        raise BadInput(f"{path.name} holds a {data.ndim}-D array; loading needs 2-D (rows x dimensions)")
    n, dims = data.shape
    if n == 0 or dims == 0:
        raise BadInput(f"file {path.name} is empty ({n} x {dims})")
    if data.dtype.kind not in "fiu":
        raise BadInput(f"{path.name} holds {data.dtype} values; vectors need numbers")
    ids = read_ids(ids_file, n) if ids_file is not None else None
    value_type = pa.float16() if data.dtype == np.float16 else pa.float32()
    fields = [pa.field(vector_name, pa.list_(value_type, dims))]
    if ids is not None:
        fields.insert(0, pa.field(id_name, ids.type))
    schema = pa.schema(fields)

    def batches() -> Iterator[Any]:
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            columns = [_vectors(data[start:stop])]
            if ids is not None:
                columns.insert(0, ids.slice(start, stop - start))
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    source = Source(path, "npy", schema, n, batches)
    source.synthetic_ids = ids is None  # ids 0..n-1 when the table's id column needs them
    return source


def open_npz(path: Path, vector_name: str, batch: int):
    import zipfile

    import numpy as np
    import pyarrow as pa

    from apexdb.ops.load.readers import Source

    try:
        archive = np.load(path, allow_pickle=False)
        arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise BadInput(f"{path.name} is not a readable .npz archive: {exc}") from None
    if not arrays:
        raise BadInput(f"file {path.name} is empty (no arrays)")
    lengths = {name: a.shape[0] if a.ndim else 0 for name, a in arrays.items()}
    n = next(iter(lengths.values()))
    if any(v != n for v in lengths.values()):
        raise BadInput(f"{path.name}: its arrays have different lengths ({', '.join(f'{k}: {v}' for k, v in lengths.items())})")
    two_d = [k for k, a in arrays.items() if a.ndim == 2]
    if len(two_d) == 1 and vector_name not in arrays:
        arrays[vector_name] = arrays.pop(two_d[0])
    columns = {}
    for name, a in arrays.items():
        if a.ndim == 2:
            columns[name] = _vectors(a)
        elif a.ndim == 1:
            columns[name] = pa.array(a)
        else:
            raise BadInput(f"{path.name}: array {name!r} is {a.ndim}-D; members are 1-D (a column) or 2-D (vectors)")
    table = pa.table(columns)
    source = Source(path, "npz", table.schema, n, lambda: iter(table.to_batches(max_chunksize=batch)))
    source.synthetic_ids = True
    return source


def read_ids(ids_file, n: int):
    """``--ids``: a 1-D .npy or one id per line (integers when they all are)."""
    import numpy as np
    import pyarrow as pa

    path = Path(ids_file).expanduser()
    if not path.exists():
        raise BadInput(f"--ids file {str(path)!r} does not exist")
    if path.suffix.lower() == ".npy":
        ids = np.load(path, allow_pickle=False)
        if ids.ndim != 1:
            raise BadInput(f"--ids {path.name} must be a 1-D array")
        values = ids.tolist()
    else:
        values = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        if all(v.lstrip("-").isdigit() for v in values):
            values = [int(v) for v in values]
    if len(values) != n:
        raise BadInput(f"--ids {path.name} has {len(values):,} ids for {n:,} vectors")
    if len(set(values)) != len(values):
        raise BadInput(f"--ids {path.name} repeats ids")
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, OverflowError) as exc:
        raise BadInput(f"--ids {path.name}: {exc}") from None
