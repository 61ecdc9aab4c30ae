"""A JSONL block's object fields (a batch job's ``"meta": {...}``) as columns of JSON text.

pyarrow's JSON reader types an object as a struct with the keys of the first block it sees, and
would refuse a key first met later, so object fields are read here instead. The fast way is a
structural index of the block in numpy, as simdjson builds one: the quotes that are not escaped
mark the strings, the braces and brackets outside them give each byte's depth, and each row's
object value is then a span of the text, cut out whole (its text exactly as in the file; jsonb
normalises it). The keys at the top of each row are checked against the fields the first rows
had, so a new field is still refused by its row. A block that is not plain for this — a key with
an escape, a key twice in a row, an object field holding a scalar, bytes that are not UTF-8 — is
read by Python's ``json`` (one ``json.loads`` a block), which names a bad row the same way.
"""
from __future__ import annotations

import json
from pathlib import Path

from apexdb.errors import BadInput

JSON_META = {b"apexdb": b"json"}  # marks a string column that holds JSON text (into jsonb)


class RowsError(Exception):
    """A block's parse error, numbered within the block: blocks are parsed side by side, and the
    rows before one are known only when its turn comes."""

    def __init__(self, row: int | None, detail: str):
        super().__init__(detail)
        self.row, self.detail = row, detail

    def bad_input(self, path: Path, done: int) -> BadInput:
        if self.row is not None:
            return BadInput(f"{path.name} row {done + self.row + 1:,}: {self.detail}")
        return BadInput(f"{path.name} rows {done + 1:,} onwards: {self.detail}")


def is_object_type(t) -> bool:
    """An Arrow type that pyarrow gives a JSON object field: a struct or map, or a list of them."""
    import pyarrow as pa

    if pa.types.is_struct(t) or pa.types.is_map(t):
        return True
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return is_object_type(t.value_type)
    return False


def holds_object(value) -> bool:
    """The same for a value as Python's json reads it (where pyarrow cannot type the block)."""
    return isinstance(value, dict) or (isinstance(value, list) and any(holds_object(v) for v in value))


def objects_as_json(text: bytes, table, objects: list[str], known: list[str]):
    """``table`` (read by pyarrow from ``text``, which it found to be JSON lines, object fields
    skipped) with each field of ``objects`` appended as a column of JSON text, null where a row
    has null or nothing. A top-level field not in ``known`` is refused, naming its row."""
    import pyarrow as pa

    columns = _cut(text, table.num_rows, objects, known)
    if columns is None:
        columns = _parsed(text, table.num_rows, objects, known)
    for name in objects:
        table = table.append_column(pa.field(name, pa.string(), metadata=JSON_META), columns[name])
    return table


def _unknown(row: int, name: str) -> RowsError:
    return RowsError(row, f"field {name!r}, which the rows before it did not have (put every field in the first rows)")


def _cut(text: bytes, rows: int, objects: list[str], known: list[str]):
    """{field: its rows' JSON text as an Arrow string array}, cut from ``text`` by its structural
    index; None when the block is not plain enough for it."""
    import numpy as np
    import pyarrow as pa

    names = [name.encode() for name in known]
    if any(json.dumps(name, ensure_ascii=False)[1:-1] != name for name in known):
        return None  # a field name that JSON writes with an escape: not compared byte for byte
    d = np.frombuffer(text, dtype=np.uint8)
    quotes = np.flatnonzero(d == 34)
    slashes = np.flatnonzero(d == 92)
    if slashes.size:  # a quote after an odd run of backslashes is escaped: part of a string
        breaks = np.flatnonzero(np.diff(slashes) != 1)
        first = slashes[np.r_[0, breaks + 1]]
        after = slashes[np.r_[breaks, slashes.size - 1]] + 1
        quotes = np.setdiff1d(quotes, after[(after - first) % 2 == 1], assume_unique=True)
    if quotes.size % 2:
        return None
    marks = np.flatnonzero((d == 123) | (d == 125) | (d == 91) | (d == 93))
    marks = marks[np.searchsorted(quotes, marks) % 2 == 0]  # outside strings
    opening = (d[marks] == 123) | (d[marks] == 91)
    depth = np.cumsum(np.where(opening, 1, -1).astype(np.int32))  # after each mark
    row_starts = marks[opening & (depth == 1)]
    if row_starts.size != rows or (depth < 0).any():
        return None
    # the strings at the top of each row that are followed by ':' are its keys
    starts, ends = quotes[0::2], quotes[1::2]
    before = np.searchsorted(marks, starts) - 1
    if (before < 0).any():
        return None
    top = depth[before] == 1
    colon = _skip_space(d, ends + 1)
    if colon is None:
        return None
    is_key = top & (d[np.minimum(colon, d.size - 1)] == 58) & (colon < d.size)
    key_at, key_end, colon = starts[is_key], ends[is_key], colon[is_key]
    if slashes.size and (np.searchsorted(slashes, key_at) != np.searchsorted(slashes, key_end)).any():
        return None  # a key with an escape in it
    key_row = np.searchsorted(row_starts, key_at) - 1
    which = np.full(key_at.size, -1, dtype=np.int64)
    lengths = key_end - key_at - 1
    for i, name in enumerate(names):
        same = np.flatnonzero(lengths == len(name))
        if same.size and name:
            got = d[key_at[same, None] + 1 + np.arange(len(name))]
            same = same[(got == np.frombuffer(name, dtype=np.uint8)).all(axis=1)]
        which[same] = i
    if (which < 0).any():  # named as Python's json path names it: the row's first in sorted order
        row = int(key_row[np.flatnonzero(which < 0)[0]])
        extra = np.flatnonzero((which < 0) & (key_row == row))
        raise _unknown(row, sorted(json.loads(text[key_at[i]:key_end[i] + 1]) for i in extra)[0])
    pair = key_row * len(names) + which
    if np.unique(pair).size != pair.size:
        return None  # a key twice in a row: left to Python's json (the last one counts)
    value_at = _skip_space(d, colon + 1)
    if value_at is None or (value_at >= d.size).any():
        return None
    closes = np.flatnonzero(depth == 1)  # marks that bring a row back to its top
    columns = {}
    for name in objects:
        mine = which == known.index(name)
        at, row = value_at[mine], key_row[mine]
        first = d[at]
        null = first == ord("n")
        if not ((first == 123) | (first == 91) | null).all():
            return None  # a scalar where the first rows had an object
        at, row = at[~null], row[~null]
        mark = np.searchsorted(marks, at)  # the value's own '{' or '[' ...
        close = np.searchsorted(closes, mark)  # ... and the first mark after it back at depth 1
        if (close >= closes.size).any():
            return None
        column = _spans(d, at, marks[closes[close]] + 1, row, rows)
        if column is None:
            return None
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:  # not UTF-8
            return None
        columns[name] = column
    return columns


def _skip_space(d, at, most: int = 8):
    """``at`` moved past JSON white space (at most ``most`` bytes), or None."""
    import numpy as np

    at = at.copy()
    for _ in range(most):
        inside = at < d.size
        space = np.zeros(at.size, dtype=bool)
        space[inside] = np.isin(d[at[inside]], (32, 9, 13, 10))
        if not space.any():
            return at
        at[space] += 1
    return None


def _spans(d, starts, stops, rows, count: int):
    """An Arrow string array of ``count`` rows, row ``rows[i]`` holding d[starts[i]:stops[i]],
    the others null; the bytes gathered in one numpy pass. None when they are over 2 GiB."""
    import numpy as np
    import pyarrow as pa

    lengths = stops - starts
    offsets = np.zeros(count + 1, dtype=np.int64)
    sizes = np.zeros(count, dtype=np.int64)
    sizes[rows] = lengths
    np.cumsum(sizes, out=offsets[1:])
    if offsets[-1] >= 2**31:
        return None  # over a string array's offsets (never with blocks of 8 MiB)
    shift = np.repeat(starts - offsets[rows], lengths)
    data = d[np.arange(offsets[-1], dtype=np.int64) + shift]
    valid = np.zeros(count, dtype=bool)
    valid[rows] = True
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data.tobytes()),
                                       bitmap, count - int(valid.sum()))


def _parsed(text: bytes, rows: int, objects: list[str], known: list[str]):
    """The object fields read by Python's json, each value written again as JSON text (keys in
    their order). The block's lines are read by one ``json.loads`` (as one array) and the values
    written by one encoder: a call per line cost more than parsing the vectors."""
    import pyarrow as pa

    lines = [ln for ln in text.split(b"\n") if ln and not ln.isspace()]
    if len(lines) != rows:
        raise RowsError(None, "a line holds more than one JSON object")
    try:
        parsed = json.loads(b"[" + b",".join(lines) + b"]")
    except ValueError:  # pyarrow took every line: name the one Python's json does not
        for row, line in enumerate(lines):
            try:
                json.loads(line)
            except ValueError as exc:
                raise RowsError(row, f"not JSON: {exc}") from None
        raise
    fields = set(known)
    for row, obj in enumerate(parsed):
        extra = obj.keys() - fields
        if extra:
            raise _unknown(row, sorted(extra)[0])
    encode = _json_encoder()
    return {name: pa.array([None if (value := obj.get(name)) is None else encode(value) for obj in parsed], pa.string())
            for name in objects}


def _json_encoder():
    """``json.dumps(value, ensure_ascii=False)`` as one reusable function: the C encoder built
    once (``JSONEncoder.encode`` builds one per call, half its time on small objects), or the
    pure-Python encoder where the C one is missing."""
    from json import encoder

    if encoder.c_make_encoder is None:
        return json.JSONEncoder(ensure_ascii=False).encode
    make = encoder.c_make_encoder(None, None, encoder.encode_basestring, None, ": ", ", ", False, False, True)
    return lambda value: "".join(make(value, 0))
