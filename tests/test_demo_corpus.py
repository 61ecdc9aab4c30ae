"""The demo corpus and the demo's load/index steps (which must survive a rerun)."""
from __future__ import annotations

import json

import numpy as np

from apexdb.ops.demo.corpus import CATEGORIES, corpus


def test_corpus_is_deterministic_clustered_and_readable():
    ids, titles, cats, meta, vecs = corpus(rows=400, dims=32, seed=3)
    again = corpus(rows=400, dims=32, seed=3)
    assert np.array_equal(vecs, again[4]) and titles == again[1]
    assert not np.array_equal(vecs, corpus(rows=400, dims=32, seed=4)[4])
    assert vecs.shape == (400, 32) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-5)
    assert ids.tolist() == list(range(1, 401)) and set(cats) <= set(CATEGORIES)
    assert all(t and t[0].isupper() for t in titles) and all("year" in m for m in meta)
    # clustered: a vector's nearest other vector is nearly always of the same category
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -2)
    nearest = sims.argmax(axis=1)
    same = np.mean([cats[i] == cats[j] for i, j in enumerate(nearest)])
    assert same > 0.95


def test_sample_data_writes_jsonl_and_npy(apex, tmp_path):
    r = apex("sample-data", tmp_path / "c.jsonl", "--rows", "20", "--dims", "8", "--format", "json")
    assert r.exit_code == 0, r
    lines = (tmp_path / "c.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert len(lines) == 20 and set(first) == {"id", "title", "category", "metadata", "embedding"}
    assert len(first["embedding"]) == 8
    assert apex("sample-data", tmp_path / "c.npy", "--rows", "20", "--dims", "8").exit_code == 0
    assert np.load(tmp_path / "c.npy").shape == (20, 8)
    r = apex("sample-data", tmp_path / "c.txt")
    assert r.exit_code == 2 and ".jsonl or .npy" in r.stderr


def test_demo_steps_build_demo_items_and_can_run_twice(apex, db):
    from apexdb.cli.demo import DEMO_STEPS

    mine = [argv for _, argv in DEMO_STEPS if argv[0] in ("sample-data", "load", "index")]
    assert [a[0] for a in mine] == ["sample-data", "load", "index", "index"]
    for _ in range(2):
        for argv in mine:
            r = apex(*argv)
            assert r.exit_code == 0, (argv, r)
    cols = db.sql("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                  "WHERE attrelid = 'demo_items'::regclass AND attnum > 0 ORDER BY attnum")
    assert cols == [("id", "bigint"), ("title", "text"), ("category", "text"), ("metadata", "jsonb"),
                    ("embedding", "vector(384)")]
    assert db.scalar("SELECT count(*) FROM demo_items") == 3000
    listed = apex("index", "list", "demo_items", "--vector", "--format", "json").json
    assert [(i["method"], i["metric"], i["valid"]) for i in listed] == [("hnsw", "cosine", True)]
