"""A JSONL block's vector arrays cut out of the text and parsed as numbers in bulk.

pyarrow's JSON reader spends most of a vector file's time on the 384 numbers of each row
(a JSON value each). Here the vector field's arrays (``"embedding": [0.1, -2e-3, ...]``) are
found with one regular-expression scan of the block, the rest of each line (with ``null`` in
their place) goes to pyarrow's JSON reader, and the arrays' text is split and cast to float32
by Arrow's kernels, the way CSV vectors are. Every number is checked to be a JSON number
(``.5``, ``5.``, ``01``, ``+1`` are not; Arrow's cast would take them). Whenever a block is
anything but plain — a line without the field or with it twice, an array that is not all
numbers, NaN, an odd space — ``cut_vectors`` returns None and the block is read whole by
pyarrow's JSON reader, which names the row and the reason as before.
"""
from __future__ import annotations

import json
import re
from typing import Any

def cut_vectors(block: bytes, field: str, schema) -> Any:
    """The block as an Arrow table of ``schema`` (``field`` a list<float32>), or None when it is
    not plain enough to be read this way (the caller then reads it whole)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.json as pj

    key = json.dumps(field).encode()
    if b"\\" in key:
        return None
    found = [(m.start(), m.end() - 1) for m in re.finditer(re.escape(key) + rb"[ \t]*:[ \t]*\[", block)]
    if not found:
        return None
    u = np.frombuffer(block, dtype=np.uint8)
    quotes, starts = np.array(found, dtype=np.int64).T  # each key's opening quote, its array's '['
    closes = np.flatnonzero(u == ord("]"))
    at = np.searchsorted(closes, starts)
    if at[-1] >= len(closes):
        return None
    ends = closes[at]  # its ']' (numbers hold no brackets; anything else fails the cast below)
    newlines = np.flatnonzero(u == ord("\n"))
    line = np.searchsorted(newlines, starts)
    if (line != np.searchsorted(newlines, ends)).any() or (np.diff(line) <= 0).any():
        return None  # an array over two lines, or two in one line
    if not _keys_open_members(u, quotes):
        return None
    mv = memoryview(block)
    s, e = starts.tolist(), ends.tolist()
    rest = [mv[0:s[0]]]
    for i in range(len(s)):
        rest.append(b"null")
        rest.append(mv[e[i] + 1:s[i + 1] if i + 1 < len(s) else len(block)])
    inner = b"".join([mv[a + 1:b] for a, b in zip(s, e)])
    lengths = ends - starts - 1
    offsets = np.zeros(len(s) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] >= 2**31:
        return None
    vectors = _numbers(inner, offsets.astype(np.int32))
    if vectors is None:
        return None
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    try:
        table = pj.read_json(pa.BufferReader(b"".join(rest)), read_options=pj.ReadOptions(block_size=1 << 20),
                             parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(s):
        return None
    i = table.schema.get_field_index(field)
    return table.set_column(i, table.schema.field(i), pa.chunked_array([vectors]))


def _keys_open_members(u, quotes) -> bool:
    """Each match is a member's key: its opening quote follows '{' or ',' (a space between
    allowed), so it is not text inside a string (where a quote is escaped)."""
    if (quotes < 1).any():
        return False
    before = u[quotes - 1]
    spaced = before == ord(" ")
    if spaced.any():
        if (quotes[spaced] < 2).any():
            return False
        before = before.copy()
        before[spaced] = u[quotes[spaced] - 2]
    return bool(((before == ord("{")) | (before == ord(","))).all())


def _numbers(inner: bytes, offsets) -> Any:
    """Rows of comma-separated JSON numbers as list<float32>, or None if any is not one."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if b"+" in inner:  # valid only in an exponent; rare enough to leave to the JSON reader
        return None
    text = pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(inner))
    parts = pc.split_pattern(text, ", " if b" " in inner else ",")
    values = parts.flatten()
    if not _json_numbers(values, [c for c in b"eE" if bytes([c]) in inner]):
        return None
    try:
        numbers = pc.cast(values, pa.float32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if numbers.null_count or not np.isfinite(numbers.to_numpy(zero_copy_only=False)).all():
        return None  # NaN/Infinity: the JSON reader's own handling names the row
    return pa.ListArray.from_arrays(parts.offsets, numbers)


def _json_numbers(values, exponents: list[int]) -> bool:
    """Every value is a JSON number, given that Arrow's cast takes it and there is no '+': a
    digit (after an optional '-') first, a digit last, no leading zero, a digit before each
    'e' (so ``.5``, ``-.5``, ``5.``, ``01`` and ``1.e5`` go to the JSON reader, which refuses
    them). A few numpy passes over the values' first and last bytes, not over the text."""
    import numpy as np

    if not len(values) or values.buffers()[2] is None:
        return False
    bounds = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)
    first, last = bounds[:-1], bounds[1:] - 1
    if (last < first).any():
        return False  # an empty value: [1,,2] or []
    lead = first + (np.take(data, first) == ord("-"))  # where the first digit must be
    if (lead > last).any():
        return False
    head, tail = np.take(data, lead) - ord("0"), np.take(data, last) - ord("0")  # uint8: a digit is < 10
    if not ((head < 10).all() and (tail < 10).all()):
        return False
    zero = (head == 0) & (lead < last)
    if zero.any() and (np.take(data, lead[zero] + 1) - ord("0") < 10).any():
        return False  # 01, -007
    lo, hi = int(bounds[0]), int(bounds[-1])
    for mark in exponents:
        marks = np.flatnonzero(data[lo:hi] == mark) + lo
        if (np.take(data, marks - 1) - ord("0") >= 10).any():
            return False
    return True
