"""Text files are parsed block by block on worker threads (ops/load/readers.in_order): results
and errors still arrive in the file's order, so rows are numbered as in the file and the table is
left as it was."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from apexdb.ops.load.readers import in_order


def test_results_come_in_order_even_when_a_later_item_finishes_first():
    second_done = threading.Event()

    def convert(i):
        if i == 0:  # waits for item 1: only another worker can finish it
            assert second_done.wait(60), "item 1 was not converted beside item 0"
        if i == 1:
            second_done.set()
        return i * 10

    assert list(in_order(convert, iter(range(6)), workers=2)) == [0, 10, 20, 30, 40, 50]


def test_an_error_is_raised_in_its_turn_after_the_results_before_it():
    def convert(i):
        if i == 3:
            raise ValueError("bad item 3")
        return i

    got = []
    with pytest.raises(ValueError, match="bad item 3"):
        for value in in_order(convert, iter(range(8)), workers=2):
            got.append(value)
    assert got == [0, 1, 2]


def test_a_reader_that_fails_still_hands_over_what_it_read_before():
    def items():
        yield from range(3)
        raise OSError("stream ended early")

    got = []
    with pytest.raises(OSError, match="ended early"):
        for value in in_order(lambda i: i + 100, items(), workers=2):
            got.append(value)
    assert got == [100, 101, 102]


def test_a_consumer_that_stops_early_leaves_no_worker_behind():
    before = {t.name for t in threading.enumerate()}
    results = in_order(lambda i: i, iter(range(1000)), workers=2)
    assert next(results) == 0
    results.close()
    left = {t.name for t in threading.enumerate()} - before
    assert not [name for name in left if name.startswith("apexdb-load-parse")]


def test_a_bad_number_deep_in_a_csv_of_many_blocks_is_named_by_its_row(apex, db, tmp_path):
    """About 7 MiB of CSV: pyarrow reads it in 2 MiB blocks, parsed side by side; the row named is
    the file's, and nothing is loaded."""
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(384))")
    path = tmp_path / "many.csv"
    values = ",".join(["0.123456789"] * 384)
    with open(path, "w") as f:
        f.write("id,embedding\n")
        for i in range(1500):
            f.write(f'{i},"[{values.replace("0.123456789", "0.12x", 1) if i == 1234 else values}]"\n')
    r = apex("load", "items", path)
    assert r.exit_code == 2, r
    assert "many.csv row 1235: '0.12x' is not a number" in r.stderr and "Traceback" not in r.stderr
    assert db.scalar("SELECT count(*) FROM items") == 0


def test_every_row_of_a_many_block_jsonl_arrives_in_order(apex, db, tmp_path):
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, note text, embedding vector(96))")
    rng = np.random.default_rng(9)
    vectors = rng.standard_normal((12000, 96)).astype(np.float32)
    path = tmp_path / "many.jsonl"
    with open(path, "w") as f:
        for i, v in enumerate(vectors):
            f.write('{"id": %d, "note": "n%d", "embedding": [%s]}\n' % (i, i, ",".join(repr(float(x)) for x in v)))
    assert path.stat().st_size > 2 * (8 << 20)  # three 8 MiB blocks
    r = apex("load", "items", path)
    assert r.exit_code == 0, r
    rows = db.sql("SELECT id, note, embedding::text FROM items WHERE id % 3989 = 0 ORDER BY id")
    assert [(i, n) for i, n, _ in rows] == [(i, f"n{i}") for i in range(0, 12000, 3989)]
    for i, _, text in rows:
        assert np.array_equal(np.array(text.strip("[]").split(","), dtype=np.float32), vectors[i])
    assert db.scalar("SELECT count(*) FROM items") == 12000
