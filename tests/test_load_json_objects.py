"""JSONL object fields (a batch job's metadata beside the vector): cut out of each line by the
structural index (apexdb.ops.load.json_objects), they must hold exactly what Python's json reads
from the file, however their strings are spelled; what the index cannot take is read by Python's
json instead, with the same result; a field the first rows did not have is refused by its row."""
from __future__ import annotations

import json
import random

import pytest

from apexdb.ops.load import json_objects

KNOWN = ["id", "text", "meta", "tags"]
OBJECTS = ["meta", "tags"]


def _rows_read(text: bytes) -> int:
    return sum(1 for line in text.split(b"\n") if line.strip())


def _values(columns) -> dict:
    return {name: [None if v is None else json.loads(v) for v in columns[name].to_pylist()] for name in OBJECTS}


def _expected(text: bytes) -> dict:
    rows = [json.loads(line) for line in text.split(b"\n") if line.strip()]
    return {name: [row.get(name) for row in rows] for name in OBJECTS}


def _nasty(rng: random.Random) -> str:
    """Strings full of what a structural scan could trip on: quotes, backslashes (runs of them
    before a quote), braces, brackets, colons, commas, newlines, non-ASCII."""
    alphabet = ['a', '"', '\\', '\\\\', '{', '}', '[', ']', ':', ',', ' ', 'é', '\n', '\t', '\u2028', '😀', 'meta']
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))


def _value(rng: random.Random, depth: int = 0):
    kind = rng.randint(0, 7 if depth < 3 else 3)
    if kind == 0:
        return _nasty(rng)
    if kind == 1:
        return rng.randint(-5, 5)
    if kind == 2:
        return None
    if kind == 3:
        return rng.random()
    if kind in (4, 5):
        return {_nasty(rng): _value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]


def _file(rng: random.Random) -> bytes:
    lines = []
    for i in range(rng.randint(1, 20)):
        row = {"id": i, "text": _nasty(rng)}
        if rng.random() < 0.85:  # else the row has no metadata at all
            row["meta"] = rng.choice([None, {_nasty(rng): _value(rng) for _ in range(rng.randint(0, 4))}])
        row["tags"] = [{"k": _nasty(rng)}, {}] if rng.random() < 0.5 else None
        if rng.random() < 0.5:
            row = dict(reversed(list(row.items())))
        separators = rng.choice([(", ", ": "), (",", ":"), (" ,  ", " :\t")])
        lines.append(json.dumps(row, separators=separators, ensure_ascii=rng.random() < 0.5))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("seed", range(4))
def test_objects_cut_from_the_text_equal_what_pythons_json_reads(seed):
    rng = random.Random(seed)
    for _ in range(100):
        text = _file(rng)
        cut = json_objects._cut(text, _rows_read(text), OBJECTS, KNOWN)
        assert cut is not None, text  # plain JSON: the fast way takes it
        assert _values(cut) == _expected(text), text
        assert _values(json_objects._parsed(text, _rows_read(text), OBJECTS, KNOWN)) == _expected(text)


def test_the_text_is_cut_exactly_as_written():
    text = b'{"id": 1, "meta": {"b":1,  "a" : "x}\\"{"}, "tags": [{"k": "]"}]}\n{"id": 2, "meta": null}\n'
    cut = json_objects._cut(text, 2, OBJECTS, KNOWN)
    assert cut["meta"].to_pylist() == ['{"b":1,  "a" : "x}\\"{"}', None]
    assert cut["tags"].to_pylist() == ['[{"k": "]"}]', None]


@pytest.mark.parametrize("text", [
    b'{"id": 1, "m\\u0065ta": {"a": 1}}\n',  # a key written with an escape
    b'{"id": 1, "meta": "a string where the first rows had an object"}\n',
    b'{"id": 1, "meta": {"a": 1}, "meta": {"b": 2}}\n',  # a key twice: the last counts
    b'{"id": 1, "meta": {"a": "\xff"}}\n',  # not UTF-8
])
def test_what_the_index_does_not_take_is_read_by_pythons_json(text):
    assert json_objects._cut(text, 1, OBJECTS, KNOWN) is None
    if b"\xff" in text:
        with pytest.raises(json_objects.RowsError, match="not JSON"):
            json_objects._parsed(text, 1, OBJECTS, KNOWN)
        return
    assert _values(json_objects._parsed(text, 1, OBJECTS, KNOWN)) == _expected(text)


@pytest.mark.parametrize("read", [json_objects._cut, json_objects._parsed])
def test_a_new_top_level_field_is_refused_by_its_row_but_not_a_nested_key(read):
    text = (b'{"id": 1, "meta": {"late": 1, "zz": {"b": 2}}}\n'
            b'{"id": 2, "zz": 3, "b": 1, "meta": {"id": 5}}\n')
    with pytest.raises(json_objects.RowsError) as caught:
        read(text, 2, ["meta"], ["id", "text", "meta"])
    assert caught.value.row == 1 and caught.value.detail.startswith("field 'b', which the rows before it did not have")
    first = text.split(b"\n")[0] + b"\n"
    assert _values({"meta": read(first, 1, ["meta"], ["id", "meta"])["meta"], "tags": _none(1)})["meta"] == [
        {"late": 1, "zz": {"b": 2}}]


def _none(n: int):
    import pyarrow as pa

    return pa.array([None] * n, pa.string())


def test_awkward_metadata_loads_into_jsonb_exactly(apex, db, tmp_path):
    """Through `apexdb load`, with vectors cut out of the same lines: every row's metadata equals
    the file's as jsonb, and the text column is untouched."""
    rng = random.Random(11)
    rows = []
    for i in range(3000):
        meta = {_nasty(rng): _value(rng) for _ in range(rng.randint(0, 3))} if i % 5 else None
        rows.append({"id": i, "text": _nasty(rng), "meta": meta, "embedding": [i % 7, 0.25, -1.5]})
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, text text, meta jsonb, embedding vector(3))")
    r = apex("load", "docs", path)
    assert r.exit_code == 0, r
    got = db.sql("SELECT id, text, meta, embedding::text FROM docs ORDER BY id")
    assert [(g[0], g[1], g[2]) for g in got] == [(row["id"], row["text"], row["meta"]) for row in rows]
    assert got[3][3] == "[3,0.25,-1.5]"


def test_metadata_whose_values_change_type_in_the_first_rows_loads(apex, db, tmp_path):
    """pyarrow cannot type {"v": 1} then {"v": "x"}: the object is JSON text all the same. A
    top-level field that changes type is still refused, by pyarrow's message, and nothing loads."""
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, meta jsonb, embedding vector(2))")
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"id": 1, "meta": {"v": 1, "w": [1]}, "embedding": [1, 2]}\n'
                    '{"id": 2, "meta": {"v": "x", "w": {"a": null}}, "embedding": [3, 4]}\n'
                    '{"id": 3, "meta": [{"v": true}], "embedding": [5, 6]}\n')
    r = apex("load", "docs", path)
    assert r.exit_code == 0, r
    assert db.sql("SELECT id, meta FROM docs ORDER BY id") == [
        (1, {"v": 1, "w": [1]}), (2, {"v": "x", "w": {"a": None}}), (3, [{"v": True}])]
    db.sql("TRUNCATE docs")
    path.write_text('{"id": 1, "meta": {"v": 1}, "embedding": [1, 2]}\n'
                    '{"id": "two", "meta": {"v": "x"}, "embedding": [3, 4]}\n')
    r = apex("load", "docs", path)
    assert r.exit_code == 2 and "mixed.jsonl row 2:" in r.stderr and "Traceback" not in r.stderr, r
    assert db.scalar("SELECT count(*) FROM docs") == 0


def test_objects_into_json_and_text_columns_keep_the_files_own_text(apex, db, tmp_path):
    """jsonb normalises; json and text columns get each object as the file spells it; a null or
    missing object is NULL in every one of them."""
    path = tmp_path / "spelled.jsonl"
    path.write_text('{"id": 1, "meta": {"b":1,  "a" : "x}\\"{"}, "embedding": [1, 2]}\n'
                    '{"id": 2, "meta": null, "embedding": [3, 4]}\n'
                    '{"id": 3, "embedding": [5, 6]}\n')
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, mb jsonb, mj json, mt text, embedding vector(2))")
    for column in ("mb", "mj", "mt"):
        db.sql("TRUNCATE docs")
        r = apex("load", "docs", path, "--map", f"meta={column}")
        assert r.exit_code == 0, r
        got = db.sql(f"SELECT id, {column}::text FROM docs ORDER BY id")
        first = '{"a": "x}\\"{", "b": 1}' if column == "mb" else '{"b":1,  "a" : "x}\\"{"}'
        assert got == [(1, first), (2, None), (3, None)], column


def test_json_documents_of_a_parquet_file_go_into_jsonb(apex, db, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    docs = ['{"k": [1, {"x": null}]}', None, '"just a string"', '{"é": "ü"}']
    vectors = [[float(i), 1.0] for i in range(4)]
    pq.write_table(pa.table({"id": range(4), "doc": docs, "embedding": vectors}), tmp_path / "d.parquet")
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, doc jsonb, embedding vector(2))")
    r = apex("load", "docs", tmp_path / "d.parquet")
    assert r.exit_code == 0, r
    assert db.sql("SELECT doc FROM docs ORDER BY id") == [({"k": [1, {"x": None}]},), (None,), ("just a string",),
                                                          ({"é": "ü"},)]
    pq.write_table(pa.table({"id": [9], "doc": ['{"broken": '], "embedding": [[1.0, 2.0]]}), tmp_path / "bad.parquet")
    r = apex("load", "docs", tmp_path / "bad.parquet")
    assert r.exit_code != 0 and "Traceback" not in r.stderr and "json" in r.stderr.lower(), r
    assert db.scalar("SELECT count(*) FROM docs") == 4
