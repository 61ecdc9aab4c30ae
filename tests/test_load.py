"""``apexdb load``: every file format, the checks before writing, and all-or-nothing loads."""
from __future__ import annotations

import json

import numpy as np
import pytest


def vectors(n=50, dims=4, seed=1):
    return np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)


def table(db, dims=4, name="items"):
    db.sql(f"CREATE TABLE {name} (id bigint PRIMARY KEY, embedding vector({dims}), note text)")


def stored(db, name="items"):
    """{id: vector} as the database holds them."""
    rows = db.sql(f"SELECT id, embedding::text FROM {name} ORDER BY id")
    return {i: np.array(json.loads(v), dtype=np.float32) for i, v in rows}


def test_npy_loads_every_row_exactly(apex, db, tmp_path):
    table(db)
    data = vectors()
    np.save(tmp_path / "v.npy", data)
    r = apex("load", "items", tmp_path / "v.npy", "--format", "json")
    assert r.exit_code == 0, r
    assert (r.json["rows"], r.json["dims"], r.json["format"]) == (50, 4, "npy")
    got = stored(db)
    assert sorted(got) == list(range(50))
    assert all(np.array_equal(got[i], data[i]) for i in range(50))


def test_npy_with_ids_file_and_small_batches(apex, db, tmp_path):
    table(db)
    data = vectors(n=7)
    np.save(tmp_path / "v.npy", data)
    np.save(tmp_path / "ids.npy", np.arange(100, 107))
    r = apex("load", "items", tmp_path / "v.npy", "--ids", tmp_path / "ids.npy", "--batch", "3")
    assert r.exit_code == 0, r
    got = stored(db)
    assert sorted(got) == list(range(100, 107)) and np.array_equal(got[103], data[3])


def test_create_makes_the_table_from_the_file(apex, db, tmp_path):
    np.save(tmp_path / "v.npy", vectors(n=10, dims=6))
    r = apex("load", "fresh", tmp_path / "v.npy")
    assert r.exit_code == 2 and "--create" in r.stderr
    r = apex("load", "fresh", tmp_path / "v.npy", "--create", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["created"] is True
    assert db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                     "WHERE attrelid = 'fresh'::regclass AND attname = 'embedding'") == "vector(6)"
    assert db.scalar("SELECT count(*) FROM fresh") == 10


@pytest.mark.parametrize("name,text", [
    ("a.csv", "id,embedding\n1,\"[1,2,3,4]\"\n2,\"[5,6,7,8]\"\n"),
    ("b.csv", "1,1,2,3,4\n2,5,6,7,8\n"),
    ("c.tsv", "id\tembedding\n1\t[1,2,3,4]\n2\t[5,6,7,8]\n"),
    ("d.jsonl", '{"id": 1, "embedding": [1,2,3,4]}\n{"id": 2, "embedding": [5,6,7,8]}\n'),
])
def test_text_formats(apex, db, tmp_path, name, text):
    table(db)
    (tmp_path / name).write_text(text)
    r = apex("load", "items", tmp_path / name)
    assert r.exit_code == 0, r
    got = stored(db)
    assert list(got) == [1, 2] and got[2].tolist() == [5, 6, 7, 8]


def test_jsonl_extra_keys_fill_their_columns(apex, db, tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": 1, "title": "a", "meta": {"k": 1}, "embedding": [1,0]}\n'
                    '{"id": 2, "title": "b", "meta": {"k": 2}, "embedding": [0,1]}\n')
    r = apex("load", "docs", path, "--create")
    assert r.exit_code == 0, r
    assert db.sql("SELECT id, title, meta FROM docs ORDER BY id") == [(1, "a", {"k": 1}), (2, "b", {"k": 2})]
    assert db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                     "WHERE attrelid = 'docs'::regclass AND attname = 'meta'") == "jsonb"


def _npy(tmp_path, data, name="v.npy"):
    np.save(tmp_path / name, data)
    return tmp_path / name


@pytest.mark.parametrize("make,message", [
    (lambda p: _npy(p, vectors(dims=5)), "has 5-dimensional vectors but public.items.embedding is vector(4)"),
    (lambda p: _npy(p, np.where(np.arange(200).reshape(50, 4) == 130, np.nan, 1.0).astype(np.float32)),
     "v.npy row 33: NaN or infinity"),
    (lambda p: (p / "inf.csv").write_text("1,[1,2,3,4]\n2,[1,inf,3,4]\n") and p / "inf.csv", "inf.csv row 2: NaN or infinity"),
    (lambda p: (p / "e.csv").write_text("") or p / "e.csv", "is empty"),
    (lambda p: _npy(p, np.zeros((0, 4), dtype=np.float32)), "is empty"),
    (lambda p: p / "missing.npy", "does not exist"),
    (lambda p: (p / "r.csv").write_text("1,[1,2,3,4]\n2,[1,2,3]\n") and p / "r.csv", "r.csv line 2: 4 fields where the first line has 5"),
    (lambda p: (p / "x.txt").write_text("1") and p / "x.txt", "cannot load x.txt: use .parquet, .arrow/.feather, .jsonl, .csv"),
    (lambda p: (p / "bad.jsonl").write_text('{"id": 1, "embedding": [1,2,3,"a"]}\n') and p / "bad.jsonl",
     "bad.jsonl row 1: JSON parse error: Column(/embedding/[]) changed from number to string"),
    (lambda p: (p / "noid.jsonl").write_text('{"embedding": [1,2,3,4]}\n') and p / "noid.jsonl", "column id of public.items is NOT NULL without a default, and no field of the file fills it"),
    (lambda p: (p / "nan.jsonl").write_text('{"id": 1, "embedding": [1,2,3,4]}\n{"id": 2, "embedding": [1,NaN,3,4]}\n')
     and p / "nan.jsonl", "nan.jsonl row 2: NaN or infinity"),
    (lambda p: (p / "word.tsv").write_text("1\t1\t2\t3\t4\n2\t1\tx\t3\t4\n") and p / "word.tsv",
     "word.tsv row 2: 'x' is not a number"),
    (lambda p: _npy(p, np.ones((4, 4, 4), dtype=np.float32)), "holds a 3-D array"),
])
def test_bad_files_are_refused_and_nothing_is_written(apex, db, tmp_path, make, message):
    table(db)
    db.sql("INSERT INTO items VALUES (999, '[9,9,9,9]', 'kept')")
    r = apex("load", "items", make(tmp_path))
    assert r.exit_code == 2, r
    assert message in r.stderr
    assert db.sql("SELECT id, note FROM items") == [(999, "kept")]


@pytest.mark.parametrize("args,message", [
    (["nosuch"], "table 'nosuch' does not exist"),
    (["items", "--column", "nosuch"], "column 'nosuch' does not exist"),
    (["items", "--column", "note"], "is text, not a vector"),
    (["items", "--id-column", "nosuch"], "column 'nosuch' does not exist"),
    (["items", "--batch", "0"], "--batch must be at least 1"),
])
def test_bad_targets_are_refused(apex, db, tmp_path, args, message):
    table(db)
    path = _npy(tmp_path, vectors())
    r = apex("load", args[0], path, *args[1:])
    assert r.exit_code == 2, r
    assert message in r.stderr
    assert db.scalar("SELECT count(*) FROM items") == 0


def test_a_bad_row_late_in_the_file_leaves_the_table_unchanged(apex, db, tmp_path):
    table(db)
    db.sql("INSERT INTO items VALUES (-1, '[0,0,0,1]', 'before')")
    lines = [f"{i},\"[{i},1,2,3]\"" for i in range(1000)]
    lines[900] = "900,\"[1,2,3]\""  # ragged, 90% of the way in
    (tmp_path / "late.csv").write_text("\n".join(lines) + "\n")
    r = apex("load", "items", tmp_path / "late.csv", "--batch", "100")
    assert r.exit_code == 2 and "late.csv row 901: 3 values in 'embedding' where the column has 4" in r.stderr
    assert "nothing was written" in r.stderr
    assert db.sql("SELECT id FROM items") == [(-1,)]


def test_a_database_error_late_in_the_load_rolls_everything_back(apex, db, tmp_path):
    table(db)
    db.sql("INSERT INTO items VALUES (950, '[0,0,0,1]', 'before')")
    np.save(tmp_path / "v.npy", vectors(n=1000))
    r = apex("load", "items", tmp_path / "v.npy", "--batch", "100")
    assert r.exit_code == 4 and "duplicate key" in r.stderr and "nothing was written" in r.stderr
    assert db.sql("SELECT id FROM items") == [(950,)]


def test_batch_commit_keeps_the_batches_before_a_failure(apex, db, tmp_path):
    table(db)
    db.sql("INSERT INTO items VALUES (250, '[0,0,0,1]', 'before')")
    np.save(tmp_path / "v.npy", vectors(n=1000))
    r = apex("load", "items", tmp_path / "v.npy", "--batch", "100", "--batch-commit")
    assert r.exit_code == 4 and "the 200 rows of earlier batches stay committed" in r.stderr
    assert db.scalar("SELECT count(*) FROM items") == 201


def test_truncate_needs_confirmation_and_replaces_the_rows(apex, db, tmp_path):
    table(db)
    db.sql("INSERT INTO items VALUES (1, '[0,0,0,1]', 'old')")
    path = _npy(tmp_path, vectors(n=5))
    r = apex("load", "items", path, "--truncate")
    assert r.exit_code == 2 and "--yes" in r.stderr
    assert db.sql("SELECT note FROM items") == [("old",)]
    r = apex("load", "items", path, "--truncate", "--yes")
    assert r.exit_code == 0, r
    assert db.scalar("SELECT count(*) FROM items WHERE note IS NULL") == 5


def test_halfvec_column_loads_through_the_halfvec_dumper(apex, db, tmp_path):
    db.sql("CREATE TABLE half (id bigint PRIMARY KEY, embedding halfvec(4))")
    data = np.array([[0.5, 1.0, -2.0, 4.0], [1, 2, 3, 4]], dtype=np.float32)
    r = apex("load", "half", _npy(tmp_path, data))
    assert r.exit_code == 0, r
    assert db.sql("SELECT id, embedding::text FROM half ORDER BY id") == [(0, "[0.5,1,-2,4]"), (1, "[1,2,3,4]")]


def _jsonl(tmp_path, data, name="v.jsonl"):
    with open(tmp_path / name, "w") as f:
        for i, v in enumerate(data):
            f.write(json.dumps({"id": i, "note": f"n{i}", "embedding": v.tolist()}) + "\n")
    return tmp_path / name


@pytest.mark.parametrize("make", [_npy, _jsonl], ids=["npy", "jsonl parsed on worker threads"])
def test_ctrl_c_rolls_the_load_back(db, tmp_path, make):
    """SIGINT while the COPY runs (held up by a lock, so the moment is certain): exit 130, no rows,
    and no reader or parser thread keeps the process alive."""
    import os
    import signal
    import subprocess

    from support import apexdb_executable, wait_for

    table(db)
    path = make(tmp_path, vectors(n=20_000))
    blocker = db.connect()
    blocker.execute("BEGIN")
    blocker.execute("LOCK TABLE items IN SHARE MODE")  # COPY needs ROW EXCLUSIVE: it waits
    proc = subprocess.Popen([*apexdb_executable(), "load", "items", str(path)], env={**os.environ, "APEXDB_DSN": db.dsn},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: db.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%%' "
                               "AND wait_event_type = 'Lock'") or proc.poll() is not None, "the COPY to wait")
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    # the COPY is cancelled while it still waits; only then may the lock go (else it could run to the end)
    wait_for(lambda: not db.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%%' "
                                   "AND wait_event_type = 'Lock'"), "the COPY to be cancelled")
    blocker.execute("ROLLBACK")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "load interrupted: the COPY was cancelled; nothing was written" in err and "Traceback" not in err
    assert db.scalar("SELECT count(*) FROM items") == 0
    blocker.close()


def test_loading_into_a_table_with_a_vector_index_says_build_after(apex, db, tmp_path):
    table(db)
    db.sql("CREATE INDEX items_ann ON items USING hnsw (embedding vector_l2_ops)")
    r = apex("load", "items", _npy(tmp_path, vectors(n=1500)))
    assert r.exit_code == 0, r
    assert "1 vector index(es) on public.items (items_ann) are updated row by row" in r.stderr
    assert db.scalar("SELECT count(*) FROM items") == 1500


def test_ids_from_a_text_file_must_match_the_vectors(apex, db, tmp_path):
    table(db)
    path = _npy(tmp_path, vectors(n=3))
    (tmp_path / "ids.txt").write_text("10\n20\n30\n")
    (tmp_path / "short.txt").write_text("10\n20\n")
    r = apex("load", "items", path, "--ids", tmp_path / "short.txt")
    assert r.exit_code == 2 and "has 2 ids for 3 vectors" in r.stderr
    assert apex("load", "items", path, "--ids", tmp_path / "ids.txt").exit_code == 0
    assert sorted(stored(db)) == [10, 20, 30]


def test_batch_encoding_is_byte_for_byte_pgvectors_dumper():
    import struct

    from pgvector import HalfVector, Vector

    from apexdb.ops.load.binary import encode_rows

    rng = np.random.default_rng(4)
    vecs = rng.standard_normal((3, 5)).astype(np.float32)
    for kind, wrap in (("vector", Vector), ("halfvec", HalfVector)):
        data = encode_rows(range(7, 10), vecs, "bigint", kind)
        offset = 0
        for i, vec in enumerate(vecs):
            fields, id_len, row_id, vec_len = struct.unpack_from(">hiqi", data, offset)
            offset += 18
            expected = wrap(vec).to_binary()
            assert (fields, id_len, row_id, vec_len) == (2, 8, 7 + i, len(expected))
            assert data[offset:offset + vec_len] == expected
            offset += vec_len
        assert offset == len(data)


def test_int_ids_and_int_column_types_load_through_the_batch_path(apex, db, tmp_path):
    db.sql("CREATE TABLE small_ids (id integer PRIMARY KEY, embedding vector(3))")
    data = np.arange(30, dtype=np.float32).reshape(10, 3)
    path = _npy(tmp_path, data)
    ids = tmp_path / "ids.npy"
    np.save(ids, np.arange(100, 110, dtype=np.int64))
    r = apex("load", "small_ids", str(path), "--ids", str(ids), "--batch", "4")
    assert r.exit_code == 0, r
    rows = db.sql("SELECT id, embedding::text FROM small_ids ORDER BY id")
    assert rows[0] == (100, "[0,1,2]") and rows[-1] == (109, "[27,28,29]")
    np.save(ids, np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 2**40], dtype=np.int64))
    r = apex("load", "small_ids", str(path), "--ids", str(ids), "--truncate", "--yes")
    assert r.exit_code == 2 and "does not fit" in r.stderr
    assert db.scalar("SELECT count(*) FROM small_ids") == 10  # nothing changed


def test_jsonl_id_too_big_for_the_column_is_refused_not_wrapped(apex, db, tmp_path):
    db.sql("CREATE TABLE small_ids (id integer PRIMARY KEY, tag text, embedding vector(2))")
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": 1, "tag": "a", "embedding": [1, 2]}\n{"id": 1099511627777, "tag": "b", "embedding": [3, 4]}\n')
    r = apex("load", "small_ids", str(path))
    assert r.exit_code == 2 and "does not fit" in r.stderr, r
    assert db.scalar("SELECT count(*) FROM small_ids") == 0
