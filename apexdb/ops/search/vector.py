"""Query vectors from the command line: a JSON array, ``@FILE`` (``.npy`` or JSON), or a
file of many (tune's ``--queries-file``), checked against the column's dimensions and
written as pgvector text (``[1,2,3]``) with a cast, so no client-side type registration
is needed and vector and halfvec columns take the same parameter.
"""
from __future__ import annotations

import json
from pathlib import Path

from apexdb.errors import BadInput


def parse_vector_arg(value: str, dims: int | None, column: str):
    """``--vector '[...]'`` or ``--vector @FILE`` as a float32 numpy array of ``dims`` values."""
    import numpy as np

    if value.startswith("@"):
        vec = read_vector_file(Path(value[1:]).expanduser())
        where = value
    else:
        vec = _from_json(value, "--vector")
        where = "--vector"
    vec = np.asarray(vec)
    if vec.ndim == 2 and vec.shape[0] == 1:
        vec = vec[0]
    if vec.ndim != 1:
        raise BadInput(f"{where}: expected one vector, got an array of shape {tuple(vec.shape)}")
    return check_vector(vec, dims, column, where)


def read_vector_file(path: Path):
    """A ``.npy`` array or a JSON file, as a numpy array (shape checked by the caller)."""
    import numpy as np

    if not path.is_file():
        raise BadInput(f"vector file {path} does not exist")
    if path.suffix.lower() == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise BadInput(f"{path} is not a readable .npy array: {exc}") from None
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc}") from None
    return _from_json(text, str(path))


def _from_json(text: str, where: str):
    import numpy as np

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadInput(f"{where}: not a JSON array of numbers ({exc.msg} at character {exc.pos + 1})") from None
    if not isinstance(data, list) or not data:
        raise BadInput(f"{where}: expected a non-empty JSON array of numbers")
    try:
        return np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise BadInput(f"{where}: every element must be a number (or, for a file of queries, an array of numbers)") from None


def check_vector(vec, dims: int | None, column: str, where: str):
    """Finite numbers with the column's dimension count, as float32."""
    import numpy as np

    try:
        vec = np.asarray(vec, dtype=np.float64)
    except (TypeError, ValueError):
        raise BadInput(f"{where}: every element must be a number") from None
    if vec.size == 0:
        raise BadInput(f"{where}: the vector is empty")
    if dims is not None and vec.shape[-1] != dims:
        raise BadInput(f"{where}: the vector has {vec.shape[-1]} dimensions; {column} has {dims}")
    if not np.isfinite(vec).all():
        raise BadInput(f"{where}: the vector holds NaN or infinity")
    return vec.astype(np.float32)


def load_query_file(path: Path, dims: int | None, column: str):
    """Many query vectors: a 2-D ``.npy``, a JSON array of arrays, or JSON lines."""
    import numpy as np

    if path.is_file() and path.suffix.lower() not in (".npy",):
        text = path.read_text()
        stripped = text.lstrip()
        if stripped and not stripped.startswith("[["):
            lines = [ln for ln in text.splitlines() if ln.strip()]
            if len(lines) > 1:  # JSON lines: one array per line
                text = "[" + ",".join(lines) + "]"
        data = _from_json(text, str(path))
    else:
        data = read_vector_file(path)
    data = np.asarray(data)
    if data.ndim == 1:
        data = data[None, :]
    if data.ndim != 2:
        raise BadInput(f"{path}: expected a list of vectors, got shape {tuple(data.shape)}")
    return check_vector(data, dims, column, str(path))


def vector_text(vec) -> str:
    """pgvector's text form; 9 significant digits give back the same float32."""
    return "[" + ",".join(format(float(x), ".9g") for x in vec) + "]"


def parse_vector_text(text: str):
    """pgvector's text output (``[1,2.5,...]``) as a float32 array."""
    import numpy as np

    return np.asarray(json.loads(text), dtype=np.float32)
