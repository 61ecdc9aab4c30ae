"""JSONL and CSV/TSV (plain or .gz) as Arrow record batches, parsed by pyarrow.

JSONL is cut into blocks of whole lines and each block parsed by ``pyarrow.json`` with the
schema of the first block (a vector of integers there is read as floats everywhere), so a
parse error names its row in the file. JSON objects and arrays of objects are kept as JSON
text (field metadata ``json``): Arrow would turn them into structs with every key of every
row, adding nulls the row never had; they go into json/jsonb columns exactly as written.

CSV/TSV stream through ``pyarrow.csv.open_csv``; once the target table is known the file is
read again with each field parsed straight into its column's type. A file whose first line
is data (``1,[1,2,3]`` or ``1,1,2,3``) has no header: the fields are the id, then the vector
(in pgvector text, or one number per field).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from apexdb.errors import BadInput
from apexdb.ops.load.json_objects import JSON_META, RowsError, holds_object, is_object_type, objects_as_json
from apexdb.ops.load.json_vectors import cut_block
from apexdb.ops.load.readers import BLOCK, CSV_BLOCK, Source, count_lines, in_order


def _stream(path: Path, compressed: bool):
    import pyarrow as pa

    return pa.input_stream(str(path), compression="gzip" if compressed else None)


def _line_blocks(path: Path, compressed: bool) -> Iterator[bytes]:
    """Blocks of about BLOCK bytes ending at a newline, read 1 MiB at a time so that a stream
    that breaks off (a gzip that ends early) is reported close to where it did. Lines are
    counted only in a compressed stream, for that report: a plain file is not counted twice."""
    lines, rest, pieces, size = 0, b"", [], 0
    with _stream(path, compressed) as f:
        while True:
            try:
                piece = f.read(1 << 20)
            except OSError as exc:
                done = lines + rest.count(b"\n") + sum(p.count(b"\n") for p in pieces)
                raise BadInput(f"{path.name}: reading stopped after line {done:,}: {' '.join(str(exc).split())}") from None
            if piece:
                pieces.append(piece)
                size += len(piece)
                if size < BLOCK:
                    continue
            data, pieces, size = b"".join([rest, *pieces]), [], 0
            if not piece:
                if data.strip():
                    yield data
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            block, rest = data[:cut + 1], data[cut + 1:]
            yield block
            if compressed:
                lines += block.count(b"\n")


def _widen(t):
    """The type later blocks are read with: lists of integers become lists of floats."""
    import pyarrow as pa

    if (pa.types.is_list(t) or pa.types.is_large_list(t)) and pa.types.is_integer(t.value_type):
        return pa.list_(pa.float64())
    return t


def _vector_field(schema, vector_name: str) -> str | None:
    """The field read as float32 vectors: the one named like the vector column, else the only
    list of numbers."""
    from apexdb.ops.load.vectors import is_vector_type

    listed = [f.name for f in schema if is_vector_type(f.type)]
    if vector_name in listed:
        return vector_name
    return listed[0] if len(listed) == 1 else None


def open_jsonl(path: Path, compressed: bool, vector_name: str = "embedding") -> Source:
    import pyarrow as pa

    first_block = next(_line_blocks(path, compressed), None)
    if first_block is None:
        raise BadInput(f"file {path.name} has no rows")
    first, objects = _first_rows(path, first_block)
    if first.num_rows == 0:
        raise BadInput(f"file {path.name} has no rows")
    # the vector's numbers parsed straight to float32, as pgvector parses its text and the CSV
    # reader does (a third less work for pyarrow's JSON reader than doubles)
    vector = _vector_field(first.schema, vector_name)
    read_schema = pa.schema([pa.field(f.name, pa.list_(pa.float32()) if f.name == vector else _widen(f.type))
                             for f in first.schema])
    out_schema = pa.schema([pa.field(f.name, pa.string(), metadata=JSON_META) if f.name in objects else f
                            for f in read_schema])

    # objects are cut from each line as JSON text (json_objects, after the vectors are cut out),
    # so pyarrow skips them: a struct read with the first block's keys would refuse a key first met later
    parse_schema = pa.schema([f for f in read_schema if f.name not in objects])
    unexpected = "ignore" if objects else "error"

    def convert(block: bytes):
        cut = cut_block(block, vector, parse_schema, unexpected) if vector else None
        if cut is None:  # not plain: read whole, errors named by row
            table, text = _parse_rows(block, parse_schema, unexpected), block
        else:
            table, text = cut
        if objects:
            table = objects_as_json(text, table, objects, read_schema.names)
        return table.select(out_schema.names).cast(out_schema)

    def batches() -> Iterator[Any]:
        done, tables = 0, in_order(convert, _line_blocks(path, compressed))
        while True:
            try:
                table = next(tables, None)
            except RowsError as exc:
                raise exc.bad_input(path, done) from None
            if table is None:
                return
            done += table.num_rows
            yield from table.to_batches()

    return Source(path, "jsonl", out_schema, None, batches,
                  count_rows=None if compressed else lambda: count_lines(path), sample=first.slice(0, 16))


def _first_rows(path: Path, block: bytes):
    """The first block as pyarrow types it, and the fields that hold objects. Objects whose inner
    values change type from row to row (``{"v": 1}`` then ``{"v": "x"}``) are more than pyarrow can
    type; they are loaded as JSON text anyway, so then Python's json says which fields hold objects
    and pyarrow types the block with those fields nulled."""
    try:
        first = _parse_block(path, block, None, 0)
        return first, [f.name for f in first.schema if is_object_type(f.type)]
    except BadInput as refused:
        try:
            rows = [json.loads(line) for line in block.split(b"\n") if line.strip()]
        except ValueError:
            raise refused from None
        objects = [name for name in dict.fromkeys(k for row in rows if isinstance(row, dict) for k in row)
                   if any(holds_object(row.get(name)) for row in rows if isinstance(row, dict))]
        if not objects:
            raise
        text = "\n".join(json.dumps({k: None if k in objects else v for k, v in row.items()}) for row in rows)
        return _parse_block(path, text.encode(), None, 0), objects


def _parse_block(path: Path, block: bytes, schema, done: int):
    """The block read whole by pyarrow's JSON reader; errors name the row in the file."""
    try:
        return _parse_rows(block, schema)
    except RowsError as exc:
        raise exc.bad_input(path, done) from None


def _parse_rows(block: bytes, schema, unexpected: str = "error", block_size: int = 1 << 20):
    import pyarrow as pa
    import pyarrow.json as pj

    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior=unexpected) if schema else None
    try:
        # blocks of 1 MiB inside the chunk: pyarrow parses them on several threads
        return pj.read_json(pa.BufferReader(block), read_options=pj.ReadOptions(block_size=block_size),
                            parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        if block_size <= len(block):  # its row numbers count within one block: parse again as one
            return _parse_rows(block, schema, unexpected, len(block) + 1)
        message = " ".join(str(exc).split())
        found = re.search(r" in row (\d+)$", message)
        if found:
            raise RowsError(int(found.group(1)), message[:found.start()]) from None
        if "unexpected field" in message:
            message = "a field that rows before it did not have (put every field in the first rows)"
        raise RowsError(None, message) from None


def _first_lines(path: Path, compressed: bool, n: int = 4) -> list[str]:
    import gzip

    opener = gzip.open if compressed else open
    try:
        with opener(path, "rt", errors="replace") as f:
            return [line for line in (f.readline() for _ in range(n)) if line]
    except (OSError, EOFError) as exc:
        raise BadInput(f"cannot read {path.name}: {exc}") from None


def csv_block(lines: list[str]) -> int:
    """Bytes pyarrow's CSV reader parses at a time: about 2 MiB (it reads dozens of blocks
    ahead, so 8 MiB blocks held 300 MiB), and never less than 16 of the first rows, as a row
    must fit in one block."""
    longest = max((len(line.encode()) for line in lines), default=0)
    return min(max(CSV_BLOCK, 16 * longest), 256 << 20)


def _numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def open_delimited(path: Path, kind: str, compressed: bool, vector_name: str, id_name: str) -> Source:
    """Every field is read as text and cast into its column's type by the encoder (which names
    the row of a bad value); the schema pyarrow infers from the first block types --create."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    delimiter = "\t" if kind == "tsv" else ","
    lines = _first_lines(path, compressed)
    line = lines[0].rstrip("\r\n") if lines else ""
    cells = [c.strip() for c in _cells(line, delimiter, kind)]
    headerless = len(cells) > 1 and _numeric(cells[0]) and (_numeric(cells[1]) or cells[1].startswith("["))
    spread = 0  # headerless id,v1,v2,... (or id,[v1,v2,...] unquoted): the vector spread over fields
    if headerless and (len(cells) == 2 or (cells[1].startswith("[") and cells[1].endswith("]"))):
        names = [id_name, vector_name]
    elif headerless:
        spread = len(cells) - 1
        names = [id_name, *[f"_v{i}" for i in range(spread)]]
    else:
        names = [c.strip() for c in _cells(line, delimiter, kind)]
    bad_rows: list = []

    def on_invalid(row) -> str:
        bad_rows.append(row)
        return "error"

    read = pcsv.ReadOptions(block_size=csv_block(lines), column_names=names if headerless else None)
    parse = pcsv.ParseOptions(delimiter=delimiter, quote_char=False if kind == "tsv" else '"',
                              invalid_row_handler=on_invalid)

    def reader(as_text: bool):
        convert = pcsv.ConvertOptions(column_types={n: pa.string() for n in names} if as_text else None,
                                      strings_can_be_null=True, quoted_strings_can_be_null=False)
        return pcsv.open_csv(_stream(path, compressed), read_options=read, parse_options=parse,
                             convert_options=convert)

    try:
        schema = reader(False).schema
    except (pa.ArrowInvalid, OSError) as exc:
        raise _parse_error(path, exc, bad_rows, headerless, 0) from None
    if spread:
        schema = pa.schema([schema.field(0), pa.field(vector_name, pa.list_(pa.float32(), spread))])

    def numbered() -> Iterator[tuple[int, Any]]:
        done = 0
        stream = reader(True)
        while True:
            try:
                batch = stream.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError) as exc:
                raise _parse_error(path, exc, bad_rows, headerless, done) from None
            yield done, batch
            done += batch.num_rows

    def convert(item: tuple[int, Any]):
        first_row, batch = item
        if spread:
            return _gather(batch, spread, schema, path, first_row)
        return _vectors_parsed(batch, source.text_vectors, path, first_row)

    def batches() -> Iterator[Any]:
        return in_order(convert, numbered())

    source = Source(path, kind, schema, None, batches,
                    count_rows=None if compressed else lambda: count_lines(path) - (0 if headerless else 1))
    return source


def _vectors_parsed(batch, field: str | None, path: Path, first_row: int):
    """The vector field's pgvector text parsed on a reader thread (batches side by side), so
    that parsing overlaps reading, encoding and sending."""
    import pyarrow as pa

    from apexdb.ops.load.vectors import looks_like_vector_text, parse_text_vectors

    if field is None or field not in batch.schema.names:
        return batch
    i = batch.schema.get_field_index(field)
    column = batch.column(i)
    if not looks_like_vector_text(column) or column.null_count:
        return batch
    parsed = parse_text_vectors(column, path.name, first_row)
    return batch.set_column(i, pa.field(field, parsed.type), parsed)


def _cells(line: str, delimiter: str, kind: str) -> list[str]:
    import csv

    quoting = csv.QUOTE_NONE if kind == "tsv" else csv.QUOTE_MINIMAL
    return next(csv.reader([line], delimiter=delimiter, quoting=quoting), [])


def _parse_error(path: Path, exc: BaseException, bad_rows: list, headerless: bool, done: int) -> BadInput:
    if bad_rows:
        row = bad_rows[-1]
        number = row.number if row.number is not None else _line_of(path, row.text)
        where = f"line {number:,}" if number is not None else f"after row {done:,}"
        return BadInput(f"{path.name} {where}: {row.actual_columns} fields where the "
                        f"{'first line' if headerless else 'header'} has {row.expected_columns} "
                        f"(a ragged row or an unbalanced quote): {row.text[:60]!r}")
    message = " ".join(str(exc).split())[:300]
    return BadInput(f"{path.name}: reading stopped after row {done:,}: {message}")


def _line_of(path: Path, text: str) -> int | None:
    """The line a bad row is on, looked up only on the error path (plain files)."""
    if path.suffix.lower() == ".gz":
        return None
    with open(path, errors="replace") as f:
        for number, line in enumerate(f, 1):
            if line.rstrip("\r\n") == text:
                return number
    return None


def _gather(batch, spread: int, schema, path: Path, first_row: int):
    """id,v1,v2,... rows: the numbers become one fixed_size_list vector."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from apexdb.ops.load.vectors import parse_text_vectors

    parts = [batch.column(i + 1) for i in range(spread)]
    joined = pc.binary_join_element_wise(*parts, ",")
    vectors = parse_text_vectors(pc.binary_join_element_wise("[", pc.utf8_trim(joined, "[]"), "]", ""),
                                 path.name, first_row)
    values = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    fixed = pa.FixedSizeListArray.from_arrays(pa.array(values), spread)
    return pa.RecordBatch.from_arrays([batch.column(0), fixed], schema=schema)
