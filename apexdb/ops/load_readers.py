"""Reading vectors to load from .npy, .csv/.tsv and .jsonl files, checked row by row.

A reader yields batches of (ids, vectors, extras); every vector has the dimension of the
first one and only finite values, every row an id. Problems are BadInput naming the row
(and line) so the user can find it. Shape, dimension and emptiness are known before a row
is written; values are checked as they stream, inside the load's one transaction, so a bad
row anywhere leaves the table unchanged.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from apexdb.errors import BadInput

FORMATS = {".npy": "npy", ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
VECTOR_KEYS = ("embedding", "vector")


@dataclass
class Batch:
    ids: list | Any  # a list or a numpy integer array
    vectors: Any  # numpy float32 array (n, dims)
    extras: list[dict] | None  # jsonl: the other keys of each row
    first_row: int  # 0-based number of the batch's first row


@dataclass
class Source:
    path: Path
    kind: str
    dims: int
    rows: int | None  # known up front for .npy (and counted for text files)
    extra_keys: list[str]  # jsonl keys besides id and vector, in first-row order
    first_extras: dict | None
    batches: Iterator[Batch]


def open_source(path: str | Path, *, column: str = "embedding", id_column: str = "id",
                ids_file: str | Path | None = None, batch: int = 10_000) -> Source:
    """Open ``path`` for loading; its dimension comes from the first row (nothing is written yet)."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"file {str(path)!r} does not exist")
    if path.is_dir():
        raise BadInput(f"{str(path)!r} is a directory, not a file")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise BadInput(f"cannot load {path.name}: use .npy, .csv, .tsv or .jsonl")
    if path.stat().st_size == 0:
        raise BadInput(f"file {path.name} is empty")
    if kind == "npy":
        return _npy(path, ids_file, batch)
    if ids_file is not None:
        raise BadInput("--ids applies to .npy files; text files carry an id on each row")
    rows = _count_lines(path)
    if kind == "jsonl":
        return _peeked(path, kind, rows, _jsonl_rows(path, column, id_column), batch)
    return _peeked(path, kind, rows, _delimited_rows(path, "\t" if kind == "tsv" else ","), batch)


def _npy(path: Path, ids_file, batch: int) -> Source:
    import numpy as np

    try:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise BadInput(f"{path.name} is not a readable .npy array: {exc}") from None
    if data.ndim != 2:
        raise BadInput(f"{path.name} holds a {data.ndim}-D array; loading needs 2-D (rows x dimensions)")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise BadInput(f"file {path.name} is empty ({data.shape[0]} x {data.shape[1]})")
    if data.dtype.kind not in "fiu":
        raise BadInput(f"{path.name} holds {data.dtype} values; vectors need numbers")
    n = data.shape[0]
    ids = _ids(ids_file, n) if ids_file is not None else None

    def batches() -> Iterator[Batch]:
        # NaN/infinity is checked batch by batch as the load streams (one pass over the file);
        # the load is one transaction, so a bad row anywhere still writes nothing
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            chunk = np.asarray(data[start:stop], dtype=np.float32)
            bad = ~np.isfinite(chunk)
            if bad.any():
                row = start + int(np.argwhere(bad)[0][0])
                raise BadInput(f"row {row} of {path.name} holds NaN or infinity; vectors must be finite")
            chunk_ids = ids[start:stop] if ids is not None else range(start, stop)
            yield Batch(chunk_ids, chunk, None, start)

    return Source(path, "npy", int(data.shape[1]), n, [], None, batches())


def _ids(ids_file, n: int):
    import numpy as np

    path = Path(ids_file)
    if not path.exists():
        raise BadInput(f"--ids file {str(path)!r} does not exist")
    if path.suffix.lower() == ".npy":
        ids = np.load(path, allow_pickle=False)
        if ids.ndim != 1:
            raise BadInput(f"--ids {path.name} must be a 1-D array")
        ids = ids.tolist()
    else:
        ids = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        ids = [int(i) if i.lstrip("-").isdigit() else i for i in ids]
    if len(ids) != n:
        raise BadInput(f"--ids {path.name} has {len(ids):,} ids for {n:,} vectors")
    if len(set(ids)) != len(ids):
        raise BadInput(f"--ids {path.name} repeats ids")
    return ids


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def _peeked(path: Path, kind: str, lines: int, rows: Iterator[tuple], batch: int) -> Source:
    """Read the first row (for the dimension) and batch the rest, checking each row against it."""
    import numpy as np

    first = next(rows, None)
    if first is None:
        raise BadInput(f"file {path.name} has no rows")
    dims = len(first[2])
    if dims == 0:
        raise BadInput(f"{path.name} line {first[0]}: the vector is empty")
    extra_keys = list(first[3]) if first[3] else []
    header_lines = first[0] - 1  # a header line before the first row

    def batches() -> Iterator[Batch]:
        ids, vecs, extras, start, n = [], [], [], 0, 0
        import itertools

        for line, row_id, values, extra in itertools.chain([first], rows):
            if len(values) != dims:
                raise BadInput(f"{path.name} line {line}: {len(values)} values where the first row has {dims} "
                               f"(ragged rows)")
            if not all(math.isfinite(v) for v in values):
                raise BadInput(f"{path.name} line {line}: NaN or infinity in the vector; vectors must be finite")
            ids.append(row_id)
            vecs.append(values)
            extras.append(extra)
            n += 1
            if len(ids) >= batch:
                yield Batch(ids, np.asarray(vecs, dtype=np.float32), extras if extra_keys else None, start)
                ids, vecs, extras, start = [], [], [], n
        if ids:
            yield Batch(ids, np.asarray(vecs, dtype=np.float32), extras if extra_keys else None, start)

    return Source(path, kind, dims, lines - header_lines, extra_keys, first[3], batches())


def _number(text: str, path_name: str, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"{path_name} line {line}: {text.strip()[:40]!r} is not a number") from None


def _id(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _delimited_rows(path: Path, delimiter: str) -> Iterator[tuple]:
    """``id,[v1,v2,...]`` or ``id,v1,v2,...`` per line; a header line is skipped."""
    with open(path, newline="") as f:
        for number, fields in enumerate(csv.reader(f, delimiter=delimiter), 1):
            if not fields or not any(x.strip() for x in fields):
                continue
            if number == 1 and not _looks_numeric(fields[0]):
                continue  # header
            if len(fields) < 2:
                raise BadInput(f"{path.name} line {number}: expected an id and a vector")
            rest = fields[1:]
            if rest[0].strip().startswith("["):  # "[1,2,3]" quoted, or split by the delimiter when not
                body = delimiter.join(rest).strip() if delimiter == "," else rest[0].strip()
                if not body.endswith("]"):
                    raise BadInput(f"{path.name} line {number}: unterminated vector {body[:40]!r}")
                rest = [x for x in body[1:-1].split(",") if x.strip()]
            yield number, _id(fields[0].strip()), [_number(x, path.name, number) for x in rest], None


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _jsonl_rows(path: Path, column: str, id_column: str) -> Iterator[tuple]:
    """One object per line: the id, the vector (``column``, or embedding/vector), and other keys."""
    keys = (column, *[k for k in VECTOR_KEYS if k != column])
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadInput(f"{path.name} line {number}: not JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise BadInput(f"{path.name} line {number}: expected an object with {id_column!r} and {column!r}")
            if id_column not in obj:
                raise BadInput(f"{path.name} line {number}: no {id_column!r} key")
            key = next((k for k in keys if k in obj), None)
            if key is None:
                raise BadInput(f"{path.name} line {number}: no {column!r} key holding the vector")
            vector = obj.pop(key)
            row_id = obj.pop(id_column)
            if not isinstance(vector, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                       for v in vector):
                raise BadInput(f"{path.name} line {number}: {key!r} must be a list of numbers")
            yield number, row_id, [float(v) for v in vector], obj
