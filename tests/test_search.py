"""apexdb search on generated clustered vectors whose exact neighbours numpy knows."""
from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest

from support import clustered, load_items, true_neighbours


N, DIMS = 2000, 32


@pytest.fixture
def items(db):
    vectors = clustered()
    load_items(db, vectors)
    return vectors


def ids(result) -> list:
    return [row["id"] for row in result.json]


def test_exact_like_returns_the_true_neighbours_without_the_row_itself(apex, items):
    r = apex("search", "items", "--like", "7", "--k", "10", "--exact", "--format", "json")
    assert r.exit_code == 0, r
    assert ids(r) == true_neighbours(items, items[6], 10, exclude=7)
    assert 7 not in ids(r)
    rows = r.json
    assert [row["rank"] for row in rows] == list(range(1, 11))
    assert all(abs(row["similarity"] - (1 - row["distance"])) < 1e-9 for row in rows)
    assert rows[0]["title"] == f"item {rows[0]['id']}" and "category" in rows[0]


def test_exact_vector_by_l2_matches_numpy(apex, items):
    query = items[100] + 0.01
    literal = json.dumps([float(x) for x in query])
    r = apex("search", "items", "--vector", literal, "--metric", "l2", "--exact", "--k", "15", "--format", "json")
    assert r.exit_code == 0, r
    assert ids(r) == true_neighbours(items, query, 15, metric="l2")
    expected = np.linalg.norm(items[ids(r)[0] - 1].astype(np.float64) - query, axis=0)
    assert r.json[0]["distance"] == pytest.approx(expected, rel=1e-4)
    assert "similarity" not in r.json[0]  # l2 has no similarity


def test_index_at_high_ef_search_matches_the_exact_answer(apex, items):
    for row_id in (3, 500, 1999):
        r = apex("search", "items", "--like", str(row_id), "--k", "10", "--ef-search", "400", "--format", "json")
        assert r.exit_code == 0, r
        assert set(ids(r)) == set(true_neighbours(items, items[row_id - 1], 10, exclude=row_id))


def test_compare_reports_recall_and_marks_rows(apex, items):
    r = apex("search", "items", "--like", "42", "--compare", "--ef-search", "400", "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    assert doc["compare"]["recall"] == 1.0 and doc["compare"]["missed"] == []
    assert [row["id"] for row in doc["compare"]["exact"]] == true_neighbours(items, items[41], 10, exclude=42)
    assert all(row["in_exact"] for row in doc["results"])
    assert doc["compare"]["optimistic"] is True and "row of the index" in doc["compare"]["query"]
    r = apex("search", "items", "--like", "42", "--compare")
    assert r.exit_code == 0 and "recall@10" in r.stdout and "1.000" in r.stdout
    assert "optimistic: the query is a row of the index" in r.stdout


def test_compare_of_an_outside_vector_is_not_labelled_optimistic(apex, items):
    vector = "[" + ",".join(str(float(x) + 0.01) for x in items[41]) + "]"
    r = apex("search", "items", "--vector", vector, "--compare", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["compare"]["optimistic"] is False
    assert r.json["compare"]["query"] == "the query is not a row of the table"


def test_explain_says_the_index_is_used_and_why_not_on_a_metric_mismatch(apex, items):
    r = apex("search", "items", "--like", "1", "--explain", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["explain"]["index_used"] is True and r.json["explain"]["index"] == "items_ann"
    r = apex("search", "items", "--like", "1", "--metric", "l2", "--explain", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["explain"]["index_used"] is False
    assert "vector_cosine_ops" in r.json["explain"]["reason"] and "--metric cosine" in r.json["explain"]["reason"]
    assert "scans the whole table" in r.stderr
    r = apex("search", "items", "--like", "1", "--exact", "--explain")
    assert r.exit_code == 0 and "--exact" in r.stdout and "vector index used" in r.stdout


def test_explain_without_any_index_says_how_to_create_one(apex, db):
    load_items(db, clustered(300), table="plain", index=None)
    r = apex("search", "plain", "--like", "1", "--explain", "--format", "json")
    assert r.exit_code == 0, r
    reason = r.json["explain"]["reason"]
    assert "no HNSW or IVFFlat index on embedding" in reason and "CREATE INDEX" in reason


def test_filters_are_bound_and_jsonb_keys_use_containment(apex, items, db):
    r = apex("search", "items", "--like", "1", "--filter", "category=b", "--iterative-scan", "strict",
             "--show", "category", "--format", "json")
    assert r.exit_code == 0, r
    assert len(r.json) == 10 and {row["category"] for row in r.json} == {"b"}
    mask = np.array([i % 3 == 1 for i in range(1, N + 1)])
    r = apex("search", "items", "--like", "1", "--exact", "--filter", "category=b", "--format", "json")
    assert ids(r) == true_neighbours(items, items[0], 10, exclude=1, mask=mask)
    r = apex("search", "items", "--like", "1", "--filter", "metadata.lang=fr", "--filter", "metadata.n=0",
             "--exact", "--show", "metadata", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json and all(row["metadata"]["lang"] == "fr" and row["metadata"]["n"] == 0 for row in r.json)
    hostile = "b'; DROP TABLE items; --"
    r = apex("search", "items", "--like", "1", "--filter", f"category={hostile}", "--format", "json")
    assert r.exit_code == 0 and r.json == []
    assert db.scalar("SELECT count(*) FROM items") == N


def test_short_answer_under_a_filter_is_explained_and_iterative_scan_fixes_it(apex, items):
    args = ("search", "items", "--like", "5", "--filter", "metadata.lang=fr", "--k", "10", "--ef-search", "10")
    r = apex(*args, "--format", "json")
    assert r.exit_code == 0, r
    assert len(r.json) < 10
    assert "--iterative-scan" in r.stderr and "larger --ef-search" in r.stderr
    r = apex(*args, "--iterative-scan", "relaxed", "--format", "json")
    assert r.exit_code == 0 and len(r.json) == 10
    assert all(row["id"] % 10 == 0 for row in r.json)


def test_where_runs_read_only(apex, items):
    r = apex("search", "items", "--like", "1", "--where", "id <= 300 AND title LIKE 'item %'", "--exact",
             "--format", "json")
    assert r.exit_code == 0, r
    mask = np.arange(1, N + 1) <= 300
    assert ids(r) == true_neighbours(items, items[0], 10, exclude=1, mask=mask)


def test_vector_from_npy_and_json_files(apex, items, tmp_path):
    npy, js = tmp_path / "q.npy", tmp_path / "q.json"
    np.save(npy, items[9])
    js.write_text(json.dumps(items[9].tolist()))
    expected = true_neighbours(items, items[9], 5)
    for path in (npy, js):
        r = apex("search", "items", "--vector", f"@{path}", "--k", "5", "--exact", "--format", "json")
        assert r.exit_code == 0, r
        assert ids(r) == expected and ids(r)[0] == 10  # the row itself is the nearest to its own vector


def test_table_output_shows_readable_columns(apex, items):
    r = apex("search", "items", "--like", "1", "--k", "3")
    assert r.exit_code == 0, r
    header = r.stdout.splitlines()[0]
    for word in ("rank", "id", "distance", "similarity", "title", "category"):
        assert word in header
    r = apex("search", "items", "--like", "1", "--k", "3", "--show", "metadata", "--format", "markdown")
    assert r.exit_code == 0 and "| metadata" in r.stdout and "title" not in r.stdout.splitlines()[0]


class FakeEmbedder:
    """A stand-in model: the text names a row; its vector is that row's."""

    def __init__(self, vectors):
        self.vectors = vectors

    def embed(self, text):
        return self.vectors[int(text.split()[-1]) - 1].tolist()


def test_text_goes_through_a_registered_embedder(apex, items):
    from apexdb.ops.search import embedders

    embedders.register_embedder("fake", lambda model: FakeEmbedder(items))
    try:
        r = apex("search", "items", "--text", "like item 12", "--embedder", "fake:any", "--k", "5", "--exact",
                 "--format", "json")
        assert r.exit_code == 0, r
        assert ids(r) == true_neighbours(items, items[11], 5)
        r = apex("search", "items", "--text", "like item 12", "--k", "3", env={"APEXDB_EMBEDDER": "fake:any"})
        assert r.exit_code == 0, r
    finally:
        embedders._PROVIDERS.pop("fake", None)


def test_text_without_an_embedder_is_a_clear_error(apex, items):
    r = apex("search", "items", "--text", "hello")
    assert r.exit_code == 2
    assert "--embedder openai:MODEL" in r.stderr and "sentence-transformers" in r.stderr
    r = apex("search", "items", "--text", "hello", "--embedder", "nope:x")
    assert r.exit_code == 2 and "unknown provider 'nope'" in r.stderr
    r = apex("search", "items", "--text", "hello", "--embedder", "openai")
    assert r.exit_code == 2 and "PROVIDER:MODEL" in r.stderr


def test_optional_extras_missing_or_misconfigured(apex, items, monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # "not installed"
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    r = apex("search", "items", "--text", "hi", "--embedder", "openai:text-embedding-3-small")
    assert r.exit_code == 2 and "apexdb[openai]" in r.stderr
    r = apex("search", "items", "--text", "hi", "--embedder", "sentence-transformers:all-MiniLM-L6-v2")
    assert r.exit_code == 2 and "apexdb[sentence-transformers]" in r.stderr

    calls = []

    class Client:
        class embeddings:
            @staticmethod
            def create(model, input):
                calls.append((model, input))
                data = types.SimpleNamespace(embedding=items[3].tolist())
                return types.SimpleNamespace(data=[data])

    fake = types.ModuleType("openai")
    fake.OpenAI = Client
    monkeypatch.setitem(sys.modules, "openai", fake)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    r = apex("search", "items", "--text", "hi", "--embedder", "openai:m1")
    assert r.exit_code == 2 and "OPENAI_API_KEY" in r.stderr
    r = apex("search", "items", "--text", "hi", "--embedder", "openai:m1", "--k", "3", "--exact",
             "--format", "json", env={"OPENAI_API_KEY": "sk-test"})
    assert r.exit_code == 0, r
    assert calls == [("m1", ["hi"])] and ids(r) == true_neighbours(items, items[3], 3)

    model = types.SimpleNamespace(encode=lambda text: np.zeros(7))
    fake_st = types.ModuleType("sentence_transformers")
    fake_st.SentenceTransformer = lambda name: model
    monkeypatch.setitem(sys.modules, "sentence_transformers", fake_st)
    r = apex("search", "items", "--text", "hi", "--embedder", "sentence-transformers:/models/mini")
    assert r.exit_code == 2 and "7 dimensions" in r.stderr and "32" in r.stderr


def test_an_index_on_a_halfvec_expression_is_used(apex, db):
    vectors = clustered(1000)
    load_items(db, vectors, index=None)
    db.sql(f"CREATE INDEX items_half ON items USING hnsw ((embedding::halfvec({DIMS})) halfvec_cosine_ops)")
    db.sql("ANALYZE items")
    r = apex("search", "items", "--like", "9", "--k", "5", "--explain", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["explain"]["index_used"] is True and r.json["explain"]["index"] == "items_half", r.json["explain"]
    assert "::halfvec" in r.json["explain"]["plan"]
    assert [row["id"] for row in r.json["results"]] == true_neighbours(vectors, vectors[8], 5, exclude=9)
    r = apex("search", "items", "--like", "9", "--metric", "l2", "--explain", "--format", "json")
    assert r.exit_code == 0 and "halfvec_cosine_ops" in r.json["explain"]["reason"]


def test_probes_equal_to_lists_is_pointed_out(apex, db):
    load_items(db, clustered(1000), index="ivfflat", with_options="WITH (lists = 4)")
    r = apex("search", "items", "--like", "1", "--probes", "4", "--explain", "--format", "json")
    assert r.exit_code == 0, r
    assert "--probes 4 is not below lists (4)" in r.stderr
    if not r.json["explain"]["index_used"]:  # pgvector 0.8 costs it like a full scan; small tables may differ
        assert "ivfflat.probes (4) is not below lists (4)" in r.json["explain"]["reason"]
    r = apex("search", "items", "--like", "1", "--probes", "2", "--ef-search", "50", "--format", "json")
    assert r.exit_code == 0 and "--ef-search only affects HNSW" in r.stderr


def test_rows_without_a_vector_are_never_neighbours(apex, db):
    vectors = clustered(1500)
    load_items(db, vectors)
    db.sql("UPDATE items SET embedding = NULL WHERE id > 1495")
    r = apex("search", "items", "--like", "1", "--k", "20", "--exact", "--where", "id > 1480", "--format", "json")
    assert r.exit_code == 0, r
    assert sorted(ids(r)) == list(range(1481, 1496))  # 15 rows have a vector; the 4 NULL ones are left out
    r = apex("search", "items", "--like", "1496")
    assert r.exit_code == 2 and "is NULL" in r.stderr
    r = apex("tune", "items", "--sample", "20", "--target-recall", "0.5", "--format", "json")
    assert r.exit_code == 0, r


def test_k_above_ef_search_says_how_far_to_raise_it(apex, items):
    r = apex("search", "items", "--like", "3", "--k", "30", "--ef-search", "20", "--format", "json")
    assert r.exit_code == 0, r
    assert len(r.json) < 30
    assert "ef_search (20)" in r.stderr and "at least 31" in r.stderr
    r = apex("search", "items", "--like", "3", "--k", "30", "--ef-search", "31", "--format", "json")
    assert r.exit_code == 0 and len(r.json) == 30 and "warning" not in r.stderr
