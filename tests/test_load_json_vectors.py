"""JSONL vector arrays cut out of the text and parsed in bulk (ops/load/json_vectors.py): a plain
block is read that way, and gives exactly what pyarrow's JSON reader gives; anything else is
left to the JSON reader (None), so its rows load, or are refused, as they always were."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from apexdb.ops.load.json_vectors import cut_block
from apexdb.ops.load.text_files import _parse_block

SCHEMA = pa.schema([("id", pa.int64()), ("text", pa.string()), ("embedding", pa.list_(pa.float32()))])


def cut_vectors(block: bytes, field: str, schema):
    cut = cut_block(block, field, schema)
    return None if cut is None else cut[0]


def whole(block: bytes):
    return _parse_block(Path("x.jsonl"), block, SCHEMA, 0)


def lines(vectors, sep=", ", text="a, [b] {c}"):
    return "".join('{"id": %d, "text": %s, "embedding": [%s]}\n' % (i, json.dumps(text), sep.join(v))
                   for i, v in enumerate(vectors)).encode()


@pytest.mark.parametrize("block", [
    lines([["0.5", "-1.25e-05", "3"], ["1E5", "-0", "0.0"]]),  # json.dumps' own spacing
    lines([["1", "2"], ["3", "4"]], sep=","),
    "".join(json.dumps({"text": "x", "embedding": v.tolist(), "id": i}) + "\n"
            for i, v in enumerate(np.random.default_rng(3).standard_normal((50, 8)))).encode(),
    b'{"id":1,"text":"q","embedding":[1,2]}\n\n{"id":2,"text":"r","embedding":[3,4]}\n',  # a blank line
    lines([["1", "2", "3"], ["4", "5"]]),  # ragged: the vector check names the row later
    b'{"id": 1, "text": "say \\"embedding\\": [1, 2]", "embedding": [3, 4]}\n',  # the key inside text
])
def test_plain_blocks_are_cut_and_read_exactly_as_the_json_reader_does(block):
    cut = cut_vectors(block, "embedding", SCHEMA)
    assert cut is not None
    assert cut.equals(whole(block))


@pytest.mark.parametrize("block", [
    lines([["1", "2"], [".5", "2"]]),
    lines([["1", "2"], ["5.", "2"]]),
    lines([["-.5", "2"]]),
    lines([["01", "2"]]),
    lines([["-007", "2"]]),
    lines([["1.e5", "2"]]),
    lines([["+1", "2"]]),
    lines([["1e+5", "2"]]),  # valid JSON, left to the JSON reader all the same
    lines([["NaN", "2"]]),
    lines([["Infinity", "2"]]),
    lines([["1e40", "2"]]),  # beyond float32
    lines([["1", "", "2"]], sep=","),
    lines([[]]),
    lines([["1 ", "2"]], sep=","),
    lines([["1", "2"]], sep=" ,"),
    lines([["1", "2"]], sep=",\t"),
    lines([['"1"', "2"]]),
    lines([["[1]", "2"]]),
    lines([["null", "2"]]),
    b'{"id": 1, "text": "t", "embedding": null}\n',
    b'{"id": 1, "text": "t"}\n{"id": 2, "text": "t", "embedding": [1, 2]}\n',  # a row without it
    b'{"id": 1, "text": "t", "embedding": [1], "embedding": [2]}\n',  # twice in a row
    b'{"id": 1, "text \\"embedding": [1, 2]}\n',  # a key that only ends like it
    b'{"id": 1, "text": "t", "embedding": [1,\n2]}\n',
])
def test_anything_but_plain_is_left_to_the_json_reader(block):
    assert cut_vectors(block, "embedding", SCHEMA) is None


def test_a_large_jsonl_load_mixes_cut_and_whole_blocks_and_counts_rows_across_them(apex, db, tmp_path):
    """Blocks of 8 MiB: the first is cut, the second holds a 1e+5 (row 1,501) and is read whole; every row
    arrives, and a bad row after both is still named by its row in the file."""
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(384))")
    rng = np.random.default_rng(5)
    rows = [rng.standard_normal(384).astype(np.float32) for _ in range(2000)]
    path = tmp_path / "v.jsonl"

    def write(bad_row=None):
        with open(path, "w") as f:
            for i, v in enumerate(rows):
                values = [repr(float(x)) for x in v]
                if i == 1500:
                    values[0] = "1e+5"
                if i == bad_row:
                    values[1] = "NaN"
                f.write('{"id": %d, "embedding": [%s]}\n' % (i, ", ".join(values)))

    write()
    r = apex("load", "items", path)
    assert r.exit_code == 0, r
    got = db.sql("SELECT id, embedding::text FROM items WHERE id IN (0, 1500, 1999) ORDER BY id")
    expected = [rows[0], rows[1500].copy(), rows[1999]]
    expected[1][0] = 1e5
    assert [i for i, _ in got] == [0, 1500, 1999]
    assert all(np.array_equal(np.array(json.loads(t), dtype=np.float32), e) for (_, t), e in zip(got, expected))
    db.sql("TRUNCATE items")
    write(bad_row=1800)
    r = apex("load", "items", path)
    assert r.exit_code == 2 and "v.jsonl row 1801: NaN or infinity in 'embedding'" in r.stderr, r
    assert db.scalar("SELECT count(*) FROM items") == 0
