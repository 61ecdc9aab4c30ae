"""A JSONL block's vector arrays cut out of the text and parsed as numbers in bulk.

pyarrow's JSON reader spends most of a vector file's time on the 384 numbers of each row
(a JSON value each). Here the vector field's arrays (``"embedding": [0.1, -2e-3, ...]``) are
found with one regular-expression scan of the block, the rest of each line (with ``null`` in
their place) goes to pyarrow's JSON reader, and the arrays' text is split and cast to float32
by Arrow's kernels, the way CSV vectors are. Every number is checked to be a JSON number
(``.5``, ``5.``, ``01``, ``+1`` are not; Arrow's cast would take them). Whenever a block is
anything but plain — a line without the field or with it twice, an array that is not all
numbers, NaN, an odd space — ``cut_block`` returns None and the block is read whole by
pyarrow's JSON reader, which names the row and the reason as before.
"""
from __future__ import annotations

import json
from typing import Any

def cut_block(block: bytes, field: str, schema, unexpected: str = "error") -> tuple[Any, bytes] | None:
    """(the block as an Arrow table of ``schema``, ``field`` a list<float32>; the block's text
    with each vector array replaced by ``null``), or None when it is not plain enough to be read
    this way (the caller then reads it whole). The text is what the caller reads object fields
    from: a few hundred bytes a line instead of thousands. ``unexpected``: pyarrow's behaviour
    for fields not in ``schema``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.json as pj

    key = json.dumps(field).encode()
    if b"\\" in key:
        return None
    spans = _arrays(block, key)
    if not spans:
        return None
    mv = memoryview(block)
    rest, inner, lengths, after = [], [], [], 0
    for start, end in spans:
        rest.append(mv[after:start])
        rest.append(b"null")
        inner.append(mv[start + 1:end])
        lengths.append(end - start - 1)
        after = end + 1
    rest.append(mv[after:])
    offsets = np.zeros(len(spans) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] >= 2**31:
        return None
    vectors = _numbers(b"".join(inner), offsets.astype(np.int32))
    if vectors is None:
        return None
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior=unexpected)
    text = b"".join(rest)
    try:
        table = pj.read_json(pa.BufferReader(text), read_options=pj.ReadOptions(block_size=1 << 20),
                             parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(spans):
        return None  # a row without the field
    i = table.schema.get_field_index(field)
    return table.set_column(i, table.schema.field(i), pa.chunked_array([vectors])), text


def _arrays(block: bytes, key: bytes) -> list[tuple[int, int]] | None:
    """Each line's ``key: [...]`` array as (its '[', its ']'), found with bytes.find (memchr)
    line by line; None when a line is not plain: the key not opening a member (after '{' or
    ',', a space between allowed, so not text inside a string, where a quote is escaped), no
    '[' after it, an array over two lines, or the key twice in a line. Numbers hold no brackets:
    anything else in the array fails the cast later."""
    find, size, spans, pos = block.find, len(block), [], 0
    while True:
        k = find(key, pos)
        if k < 0:
            return spans
        before = block[k - 1] if k else 0
        if before == 32 and k > 1:
            before = block[k - 2]
        if before != 123 and before != 44:  # '{' or ','
            return None
        j = k + len(key)
        while j < size and block[j] in (32, 9):
            j += 1
        if j >= size or block[j] != 58:  # ':'
            return None
        j += 1
        while j < size and block[j] in (32, 9):
            j += 1
        if j >= size or block[j] != 91:  # '['
            return None
        end = find(b"]", j)
        if end < 0 or find(b"\n", j, end) >= 0:
            return None
        eol = find(b"\n", end)
        if eol < 0:
            eol = size
        if find(key, end, eol) >= 0:
            return None
        spans.append((j, end))
        pos = eol + 1


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
    try:
        numbers = pc.cast(values, pa.float32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not _json_numbers(values, inner):
        return None
    if numbers.null_count or not np.isfinite(numbers.to_numpy(zero_copy_only=False)).all():
        return None  # NaN/Infinity: the JSON reader's own handling names the row
    return pa.ListArray.from_arrays(parts.offsets, numbers)


def _json_numbers(values, inner: bytes) -> bool:
    """Every value is a JSON number, given that Arrow's cast takes it (so none is empty or a
    lone '-') and there is no '+': a digit (after an optional '-') first, a digit last, no
    leading zero, a digit before each 'e' (so ``.5``, ``-.5``, ``5.``, ``01`` and ``1.e5`` go
    to the JSON reader, which refuses them). A few numpy passes over the values' first and last
    bytes, not over the text."""
    import numpy as np

    if not len(values) or values.buffers()[2] is None:
        return False
    bounds = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)
    lead = bounds[:-1].astype(np.intp)  # where the first digit must be
    lead += data[lead] == ord("-")
    head = data[lead]
    head -= ord("0")  # uint8: a digit is < 10
    if (head >= 10).any():
        return False
    last = bounds[1:].astype(np.intp)
    last -= 1
    tail = data[last]
    tail -= ord("0")
    if (tail >= 10).any():
        return False
    second = lead + 1  # a digit after a leading 0 (01, -007); a one-digit value looks at itself
    np.minimum(second, last, out=second)
    second = data[second]
    second -= ord("0")
    if ((head == 0) & (second < 10) & (lead < last)).any():
        return False
    text = np.frombuffer(inner, dtype=np.uint8)
    for mark in b"eE":  # checked in the text the values came from: the same byte is before each
        marks = _positions(inner, text, mark)
        if marks.size and (marks.min() < 1 or ((text[marks - 1] - ord("0")) >= 10).any()):
            return False
    return True


def _positions(inner: bytes, text, byte: int, few: int = 4096):
    """Where ``byte`` is in ``inner``: found one by one (memchr) while they are few, as exponents
    in embeddings are, else in one numpy pass over ``text`` (the same bytes)."""
    import numpy as np

    found, at, mark = [], 0, bytes([byte])
    while len(found) < few:
        at = inner.find(mark, at)
        if at < 0:
            return np.array(found, dtype=np.intp)
        found.append(at)
        at += 1
    return np.flatnonzero(text == byte)
