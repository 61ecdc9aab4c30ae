"""``apexdb load`` of Parquet, Arrow/Feather, JSONL, CSV/TSV (and .gz), .npz: every column
arrives exactly, --map/--skip/--create, pgvector's other types, ANALYZE afterwards."""
from __future__ import annotations

import datetime as dt
import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

UTC = dt.timezone.utc


def vectors(n=30, dims=4, seed=2):
    return np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)


def fixed(v):
    return pa.FixedSizeListArray.from_arrays(pa.array(v.reshape(-1)), v.shape[1])


def stored_vectors(db, table="docs", column="embedding"):
    rows = db.sql(f"SELECT id, {column}::text FROM {table} ORDER BY id")
    return np.array([json.loads(v) for _, v in rows], dtype=np.float32)


def rich_table(n=30):
    v = vectors(n)
    return v, pa.table({
        "id": pa.array(range(n), pa.int64()),
        "title": [f"title {i}, with \"quotes\" and é" for i in range(n)],
        "score": pa.array([i / 3 for i in range(n)], pa.float64()),
        "flag": [i % 2 == 0 for i in range(n)],
        "seen": pa.array([dt.datetime(2024, 1, 1, 12, tzinfo=UTC) + dt.timedelta(minutes=i) for i in range(n)],
                         pa.timestamp("us", "UTC")),
        "embedding": fixed(v),
    })


def test_parquet_create_types_every_column_from_the_schema_and_loads_it_exactly(apex, db, tmp_path):
    v, table = rich_table()
    pq.write_table(table, tmp_path / "docs.parquet", row_group_size=7)  # several row groups
    r = apex("load", "docs", tmp_path / "docs.parquet", "--create", "--batch", "8", "--format", "json")
    assert r.exit_code == 0, r
    assert "creating docs (id bigint primary key, title text, score double precision, flag boolean, " \
           "seen timestamp with time zone, embedding vector(4))" in r.stderr
    assert (r.json["rows"], r.json["format"], r.json["dims"], r.json["analyzed"]) == (30, "parquet", 4, True)
    assert r.json["bytes"] > 30 * 16 and r.json["rows_per_s"] > 0
    rows = db.sql("SELECT id, title, score, flag, seen FROM docs ORDER BY id")
    assert rows == [(i, f"title {i}, with \"quotes\" and é", i / 3, i % 2 == 0,
                     dt.datetime(2024, 1, 1, 12, tzinfo=UTC) + dt.timedelta(minutes=i)) for i in range(30)]
    assert np.array_equal(stored_vectors(db), v)
    assert db.scalar("SELECT count(*) FROM pg_stats WHERE tablename = 'docs'") >= 5  # the planner has statistics


def test_no_analyze_leaves_the_table_without_statistics(apex, db, tmp_path):
    _, table = rich_table()
    pq.write_table(table, tmp_path / "docs.parquet")
    r = apex("load", "docs", tmp_path / "docs.parquet", "--create", "--no-analyze", "--format", "json")
    assert r.exit_code == 0 and r.json["analyzed"] is False, r
    assert db.scalar("SELECT count(*) FROM pg_stats WHERE tablename = 'docs'") == 0


def test_arrow_file_with_map_and_skip_into_an_existing_table(apex, db, tmp_path):
    v, table = rich_table(12)
    feather.write_feather(table.rename_columns(["doc_id", "title", "score", "flag", "seen", "vec"]), tmp_path / "d.arrow")
    db.sql("CREATE TABLE docs (id integer PRIMARY KEY, headline varchar(80), score real, embedding vector(4), "
           "added timestamptz DEFAULT '2000-01-01')")
    r = apex("load", "docs", tmp_path / "d.arrow", "--map", "doc_id=id", "--map", "title=headline",
             "--map", "vec=embedding", "--skip", "flag", "--skip", "seen", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["fields"] == {"doc_id": "id", "title": "headline", "score": "score", "vec": "embedding"}
    assert db.sql("SELECT id, headline, score, added FROM docs WHERE id = 3") == [
        (3, 'title 3, with "quotes" and é', pytest.approx(1.0), dt.datetime(2000, 1, 1, tzinfo=UTC))]
    assert np.array_equal(stored_vectors(db), v)


def test_parquet_list_vectors_into_halfvec(apex, db, tmp_path):
    v = np.array([[0.5, 1, -2], [1, 2, 3]], dtype=np.float32)
    pq.write_table(pa.table({"id": [1, 2], "embedding": pa.array(v.tolist(), pa.list_(pa.float64()))}), tmp_path / "h.parquet")
    db.sql("CREATE TABLE half (id bigint PRIMARY KEY, embedding halfvec(3))")
    r = apex("load", "half", tmp_path / "h.parquet")
    assert r.exit_code == 0, r
    assert db.sql("SELECT embedding::text FROM half ORDER BY id") == [("[0.5,1,-2]",), ("[1,2,3]",)]


def test_jsonl_objects_go_into_jsonb_exactly_as_written(apex, db, tmp_path):
    rows = [{"id": 1, "text": "a", "meta": {"k": 1}, "tags": ["x"], "at": "2024-05-01T10:00:00+02:00", "embedding": [1, 0]},
            {"id": 2, "text": None, "meta": {"other": {"deep": [1, 2]}}, "tags": [], "at": "2024-05-01T10:00:00Z",
             "embedding": [0.5, 1.5]}]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, text text, meta jsonb, tags jsonb, at timestamptz, embedding vector(2))")
    r = apex("load", "docs", tmp_path / "d.jsonl")
    assert r.exit_code == 0, r
    assert db.sql("SELECT id, text, meta, tags, at FROM docs ORDER BY id") == [
        (1, "a", {"k": 1}, ["x"], dt.datetime(2024, 5, 1, 8, tzinfo=UTC)),
        (2, None, {"other": {"deep": [1, 2]}}, [], dt.datetime(2024, 5, 1, 10, tzinfo=UTC))]
    assert stored_vectors(db).tolist() == [[1, 0], [0.5, 1.5]]



def test_jsonl_metadata_whose_keys_change_after_the_first_block_loads_every_row(apex, db, tmp_path):
    """A batch job's metadata gains a key deep in the file (past the first 8 MiB block, from which
    the schema is read): every row loads with its own object; a new top-level field there is still
    refused, named by its row, and nothing is written."""
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, meta jsonb, embedding vector(64))")
    path = tmp_path / "meta.jsonl"

    def write(extra_top_level: bool) -> None:
        with open(path, "w") as f:
            for i in range(40000):
                meta = {"a": i} if i % 2 else {"b": "x", "c": [1, 2]}
                row = {"id": i, "meta": meta, "embedding": [0.5 + j for j in range(64)]}
                if i == 39000:
                    row["meta"] = {"zzz": {"deep": True}}
                    if extra_top_level:
                        row["late"] = 1
                f.write(json.dumps(row) + "\n")

    write(False)
    assert path.stat().st_size > (8 << 20)
    r = apex("load", "docs", path)
    assert r.exit_code == 0, r
    assert db.scalar("SELECT count(*) FROM docs") == 40000
    assert db.sql("SELECT id, meta FROM docs WHERE id IN (0, 1, 39000) ORDER BY id") == [
        (0, {"b": "x", "c": [1, 2]}), (1, {"a": 1}), (39000, {"zzz": {"deep": True}})]
    db.sql("TRUNCATE docs")
    write(True)
    r = apex("load", "docs", path)
    assert r.exit_code == 2, r
    assert "meta.jsonl row 39,001: field 'late', which the rows before it did not have" in r.stderr, r
    assert db.scalar("SELECT count(*) FROM docs") == 0


@pytest.mark.parametrize("vectors", [
    ["[1.5, 2, 3]", "[4, 5, -0.006]"],  # json.dumps and Python's list spacing
    ["[1.5,2,3]", "[ 4 , 5, -0.006 ]"],  # spaced unlike the first row
    ["[ 1.5 ,2,3]", "[4,5,-0.006]"],
])
def test_pgvector_text_with_spaces_loads_exactly(apex, db, tmp_path, vectors):
    (tmp_path / "s.csv").write_text("id,embedding\n" + "".join(f'{i},"{v}"\n' for i, v in enumerate(vectors)))
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, embedding vector(3))")
    r = apex("load", "docs", tmp_path / "s.csv")
    assert r.exit_code == 0, r
    assert db.sql("SELECT id, embedding::text FROM docs ORDER BY id") == [(0, "[1.5,2,3]"), (1, "[4,5,-0.006]")]


@pytest.mark.parametrize("name,write", [
    ("d.csv", lambda p, text: p.write_text(text)),
    ("d.csv.gz", lambda p, text: p.write_bytes(gzip.compress(text.encode()))),
    ("d.tsv", lambda p, text: p.write_text(text.replace(',"', "\t").replace('",', "\t").replace('"', ""))),
])
def test_csv_with_text_columns_and_pgvector_text(apex, db, tmp_path, name, write):
    text = 'id,"title",embedding\n1,"Real-time strategy, ancient warfare",[1.5,2,3]\n2,"plain",[4,5,-6e-3]\n'
    if name.endswith("tsv"):
        text = "id\ttitle\tembedding\n1\tReal-time strategy, ancient warfare\t[1.5,2,3]\n2\tplain\t[4,5,-6e-3]\n"
        (tmp_path / name).write_text(text)
    else:
        write(tmp_path / name, text.replace(",[", ',"[').replace("]\n", ']"\n'))
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, title text, embedding vector(3))")
    r = apex("load", "docs", tmp_path / name)
    assert r.exit_code == 0, r
    assert db.sql("SELECT id, title, embedding::text FROM docs ORDER BY id") == [
        (1, "Real-time strategy, ancient warfare", "[1.5,2,3]"), (2, "plain", "[4,5,-0.006]")]


def test_npz_members_are_columns(apex, db, tmp_path):
    v = vectors(5)
    np.savez(tmp_path / "d.npz", id=np.arange(10, 15), embedding=v, score=np.linspace(0, 1, 5))
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, score float8, embedding vector(4))")
    r = apex("load", "docs", tmp_path / "d.npz")
    assert r.exit_code == 0, r
    assert db.sql("SELECT id, score FROM docs ORDER BY id")[-1] == (14, 1.0)
    assert np.array_equal(stored_vectors(db), v)


def test_sparsevec_and_bit_columns(apex, db, tmp_path):
    table = pa.table({"id": [1, 2], "sparse": ["{1:0.5,3:2}/4", "{}/4"], "bits": ["1010", "0111"],
                      "embedding": pa.array([[1.0, 2.0], [3.0, 4.0]])})
    pq.write_table(table, tmp_path / "s.parquet")
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, sparse sparsevec(4), bits bit(4), embedding vector(2))")
    r = apex("load", "docs", tmp_path / "s.parquet")
    assert r.exit_code == 0, r
    assert db.sql("SELECT sparse::text, bits::text FROM docs ORDER BY id") == [("{1:0.5,3:2}/4", "1010"), ("{}/4", "0111")]
    structs = pa.table({"id": [1], "embedding": pa.array([{"indices": [0, 2], "values": [0.25, 4.0]}])})
    pq.write_table(structs, tmp_path / "st.parquet")
    db.sql("CREATE TABLE sp (id bigint PRIMARY KEY, embedding sparsevec(5))")
    r = apex("load", "sp", tmp_path / "st.parquet")
    assert r.exit_code == 0, r
    assert db.scalar("SELECT embedding::text FROM sp") == "{1:0.25,3:4}/5"


def _parquet(tmp_path, columns, name="bad.parquet"):
    pq.write_table(pa.table(columns), tmp_path / name)
    return tmp_path / name


def _truncated_parquet(tmp_path):
    path = _parquet(tmp_path, {"id": list(range(2000)), "embedding": fixed(vectors(2000))}, "whole.parquet")
    data = path.read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    return tmp_path / "cut.parquet"


def _short_gzip(tmp_path):
    lines = "".join(f'{{"id": {i}, "note": "n", "embedding": [{i}, 1, 2, 3]}}\n' for i in range(20000))
    data = gzip.compress(lines.encode())
    (tmp_path / "short.jsonl.gz").write_bytes(data[: len(data) * 2 // 3])
    return tmp_path / "short.jsonl.gz"


BAD = [
    ("ragged", lambda p: _parquet(p, {"id": [1, 2, 3], "embedding": [[1.0, 2, 3, 4], [1.0, 2, 3, 4], [1.0, 2, 3]]}),
     [], "bad.parquet row 3: 3 values in 'embedding' where the column has 4 (ragged vectors)"),
    ("nan", lambda p: _parquet(p, {"id": [1, 2], "embedding": [[1.0, 2, 3, 4], [1.0, float("nan"), 3, 4]]}),
     [], "bad.parquet row 2: NaN or infinity in 'embedding'"),
    ("infinity", lambda p: _parquet(p, {"id": [1], "embedding": [[1.0, float("inf"), 3, 4]]}),
     [], "bad.parquet row 1: NaN or infinity in 'embedding'"),
    ("missing field", lambda p: (p / "m.jsonl").write_text(
        '{"id": 1, "embedding": [1,2,3,4]}\n{"embedding": [1,2,3,4]}\n') and p / "m.jsonl",
     [], "m.jsonl row 2: no value for field 'id' (column id is NOT NULL)"),
    ("wrong type", lambda p: _parquet(p, {"id": [1, 2], "note": [1.5, 2.5], "embedding": fixed(vectors(2))}),
     [], "field 'note' holds double values, which do not go into column note (int4)"),
    ("wrong value", lambda p: (p / "w.csv").write_text('id,note,embedding\n1,7,"[1,2,3,4]"\n2,seven,"[1,2,3,4]"\n') and p / "w.csv",
     [], "w.csv row 2: 'seven' in field 'note' is not a valid int4"),
    ("other dimension", lambda p: _parquet(p, {"id": [1], "embedding": fixed(vectors(1, dims=6))}),
     [], "bad.parquet has 6-dimensional vectors but public.items.embedding is vector(4)"),
    ("unknown map field", lambda p: _parquet(p, {"id": [1], "embedding": fixed(vectors(1))}),
     ["--map", "nosuch=note"], "unknown --map field 'nosuch': the file's fields are id, embedding"),
    ("truncated parquet", _truncated_parquet, [], "cannot read cut.parquet as parquet"),
    ("gzip ends early", _short_gzip, [], "short.jsonl.gz: reading stopped after line "),
    ("unbalanced quote", lambda p: (p / "q.csv").write_text(
        'id,note,embedding\n1,"ok","[1,2,3,4]"\n2,"unbalanced,"[1,2,3,4]"\n3,x,"[1,2,3,4]"\n') and p / "q.csv",
     [], "q.csv line 3: 5 fields where the header has 3 (a ragged row or an unbalanced quote)"),
]


@pytest.mark.parametrize("make,args,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_names_the_row_and_leaves_the_table_as_it_was(apex, db, tmp_path, make, args, message):
    db.sql("CREATE TABLE items (id integer PRIMARY KEY, note integer, embedding vector(4))")
    db.sql("INSERT INTO items VALUES (999, 9, '[9,9,9,9]')")
    r = apex("load", "items", make(tmp_path), *args)
    assert r.exit_code == 2, r
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert db.sql("SELECT id, note FROM items") == [(999, 9)]


def test_a_field_without_a_column_is_refused_with_the_way_out(apex, db, tmp_path):
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(4))")
    path = _parquet(tmp_path, {"id": [1], "extra": ["x"], "embedding": fixed(vectors(1))})
    r = apex("load", "items", path)
    assert r.exit_code == 2 and "field 'extra' has no column in public.items" in r.stderr and "--skip extra" in r.stderr
    assert apex("load", "items", path, "--skip", "extra").exit_code == 0
    assert db.scalar("SELECT count(*) FROM items") == 1


def test_batch_commit_over_parquet_row_groups(apex, db, tmp_path):
    v = vectors(25)
    pq.write_table(pa.table({"id": list(range(25)), "embedding": fixed(v)}), tmp_path / "v.parquet", row_group_size=10)
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(4))")
    r = apex("load", "items", tmp_path / "v.parquet", "--batch", "4", "--batch-commit", "--format", "json")
    assert r.exit_code == 0 and r.json["commits"] == 7, r
    assert np.array_equal(stored_vectors(db, "items"), v)


def test_read_query_vectors_reads_every_format_the_same(tmp_path):
    from apexdb.errors import BadInput
    from apexdb.ops.load import read_query_vectors

    v = vectors(6, dims=3)
    np.save(tmp_path / "q.npy", v)
    np.savez(tmp_path / "q.npz", embedding=v)
    pq.write_table(pa.table({"id": range(6), "embedding": fixed(v)}), tmp_path / "q.parquet")
    feather.write_feather(pa.table({"vector": fixed(v)}), tmp_path / "q.feather")
    (tmp_path / "q.jsonl").write_text("".join(json.dumps({"embedding": r.tolist()}) + "\n" for r in v))
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r.tolist()) + "\n" for r in v))
    (tmp_path / "q.csv").write_text("id,embedding\n" + "".join(f'{i},"{json.dumps(r.tolist())}"\n' for i, r in enumerate(v)))
    (tmp_path / "q.json").write_text(json.dumps(v.tolist()))
    for name in ("q.npy", "q.npz", "q.parquet", "q.feather", "q.jsonl", "a.jsonl", "q.csv", "q.json"):
        got = read_query_vectors(tmp_path / name, 3)
        assert got.dtype == np.float32 and np.array_equal(got, v), name
    with pytest.raises(BadInput, match="vectors of 3 dimensions where the column has 4"):
        read_query_vectors(tmp_path / "q.parquet", 4)
    (tmp_path / "r.json").write_text("[[1, 2], [1]]")
    with pytest.raises(BadInput, match="vector 2: 1 values where vector 1 has 2"):
        read_query_vectors(tmp_path / "r.json", None)
    (tmp_path / "n.jsonl").write_text('{"embedding": [1, 2]}\n{"embedding": [NaN, 2]}\n')
    with pytest.raises(BadInput, match="n.jsonl row 2: NaN or infinity"):
        read_query_vectors(tmp_path / "n.jsonl", 2)


def test_search_vector_file_uses_the_same_reader(apex, db, tmp_path):
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(3))")
    db.sql("INSERT INTO items VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0,0,1]')")
    pq.write_table(pa.table({"embedding": fixed(np.array([[0, 0.9, 0.1]], dtype=np.float32))}), tmp_path / "q.parquet")
    r = apex("search", "items", "--vector", f"@{tmp_path / 'q.parquet'}", "--k", "1", "--exact", "--format", "json")
    assert r.exit_code == 0, r
    assert [(row["rank"], row["id"]) for row in r.json] == [(1, 2)]


def test_a_broken_json_line_deep_in_a_large_file_is_named_by_its_row(apex, db, tmp_path):
    """Past the first 8 MiB chunk and many 1 MiB parse blocks, the row number is still the file's."""
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(384))")
    path = tmp_path / "big.jsonl"
    with open(path, "w") as f:
        for i in range(3000):
            line = json.dumps({"id": i, "embedding": [0.123456789] * 384})
            f.write((line[:-5] if i == 2500 else line) + "\n")
    r = apex("load", "items", path)
    assert r.exit_code == 2 and "big.jsonl row 2,501: JSON parse error" in r.stderr, r
    assert db.scalar("SELECT count(*) FROM items") == 0
