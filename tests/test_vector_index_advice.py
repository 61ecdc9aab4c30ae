"""One "why was the vector index not used?" diagnosis and one CREATE INDEX suggestion, seen
through explain, search, audit and index create on real tables: every cause, the same
words from every command, and suggested statements that run."""
from __future__ import annotations

import psycopg
import pytest

QV = "'[0.5, 0.5, 0.5]'"
DIAGNOSED = "did not use a vector index: "


@pytest.fixture
def vec(db):
    db.sql("CREATE TABLE vec (id bigint PRIMARY KEY, category text, embedding vector(3))")
    db.sql("INSERT INTO vec SELECT g, 'c' || (g % 10), ARRAY[sin(g), cos(g), sin(g * 0.3)]::vector "
           "FROM generate_series(1, 3000) g")
    db.sql("ANALYZE vec")
    return db


@pytest.fixture
def small(db):
    """40 rows: the planner sorts them rather than use any index."""
    db.sql("CREATE TABLE small (id int PRIMARY KEY, embedding vector(3))")
    db.sql("INSERT INTO small SELECT g, ARRAY[sin(g), cos(g), g]::vector FROM generate_series(1, 40) g")
    return db


def explained(apex, statement: str) -> dict | None:
    """explain's vector finding for ``statement`` (None when the vector index was used)."""
    r = apex("explain", statement, "--format", "json")
    assert r.exit_code == 0, r
    found = [f for f in r.json["findings"] if DIAGNOSED in f["message"]]
    assert len(found) <= 1, found
    return found[0] if found else None


def searched(apex, table: str, *args: str) -> dict:
    """search --explain's verdict for row 1's vector."""
    r = apex("search", table, "--like", "1", "--k", "5", "--explain", "--format", "json", *args)
    assert r.exit_code == 0, r
    return r.json["explain"]


def same_words(finding: dict, verdict: dict) -> None:
    """explain's reason and fix are search's reason, word for word."""
    reason = finding["message"].split(DIAGNOSED, 1)[1]
    assert verdict["index_used"] is False
    assert verdict["reason"] == f"{reason}; {finding['fix']}"


def test_no_index_both_commands_suggest_the_same_statement_and_it_works(apex, vec):
    statement = ('CREATE INDEX CONCURRENTLY "vec_embedding_hnsw_cosine_idx" ON "public"."vec" '
                 'USING hnsw ("embedding" vector_cosine_ops);')
    f = explained(apex, f"SELECT id FROM vec ORDER BY embedding <=> {QV} LIMIT 5")
    assert f["severity"] == "warning" and f["message"].endswith("there is no HNSW or IVFFlat index on embedding")
    assert f["fix"] == statement
    v = searched(apex, "vec", "--metric", "cosine")
    same_words(f, v)
    vec.sql(statement)  # the suggestion runs as written (CONCURRENTLY, outside a transaction)
    assert explained(apex, f"SELECT id FROM vec ORDER BY embedding <=> {QV} LIMIT 5") is None
    v = searched(apex, "vec")
    assert v["index_used"] is True and v["index"] == "vec_embedding_hnsw_cosine_idx" and v["reason"] is None


def test_operator_that_no_opclass_serves(apex, vec):
    vec.sql("CREATE INDEX vec_cos ON vec USING hnsw (embedding vector_cosine_ops)")
    f = explained(apex, f"SELECT id FROM vec ORDER BY embedding <-> {QV} LIMIT 5")
    assert "orders by <-> (l2) but the index serves another operator: vec_cos (vector_cosine_ops, operator <=>)" \
        in f["message"]
    assert f["fix"] == ('ORDER BY embedding <=> ... to use vec_cos (apexdb search --metric cosine), or CREATE INDEX '
                        'CONCURRENTLY "vec_embedding_hnsw_l2_idx" ON "public"."vec" USING hnsw ("embedding" '
                        'vector_l2_ops);')
    same_words(f, searched(apex, "vec", "--metric", "l2"))


def test_invalid_index_is_critical_in_explain_and_named_by_search(apex, vec):
    vec.sql("INSERT INTO vec VALUES (0, 'c0', '[1e10, 0, 0]')")  # beyond halfvec's range: the build fails
    with pytest.raises(psycopg.errors.NumericValueOutOfRange):
        vec.sql("CREATE INDEX CONCURRENTLY vec_half ON vec USING hnsw ((embedding::halfvec(3)) halfvec_cosine_ops)")
    assert vec.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'vec_half'::regclass") is False
    f = explained(apex, f"SELECT id FROM vec ORDER BY embedding::halfvec(3) <=> {QV} LIMIT 5")
    assert f["severity"] == "critical"
    assert "index vec_half is INVALID (a failed or interrupted concurrent build)" in f["message"]
    assert f["fix"] == 'REINDEX INDEX CONCURRENTLY "public"."vec_half";'
    v = searched(apex, "vec", "--metric", "cosine")
    assert v["index"] == "vec_half"
    same_words(f, v)


def test_partial_index_whose_predicate_the_query_does_not_imply(apex, vec):
    vec.sql("CREATE INDEX vec_c1 ON vec USING hnsw (embedding vector_cosine_ops) WHERE category = 'c1'")
    f = explained(apex, f"SELECT id FROM vec WHERE category = 'c2' ORDER BY embedding <=> {QV} LIMIT 5")
    assert f["severity"] == "warning"
    assert "vec_c1 is a partial index (WHERE category = 'c1'::text) and this query's conditions do not imply its " \
           "predicate" in f["message"]
    assert f["fix"].startswith("add the index's condition (category = 'c1'::text) to the query's WHERE clause, or "
                               'build a full index: CREATE INDEX CONCURRENTLY "vec_embedding_hnsw_cosine_idx"')
    same_words(f, searched(apex, "vec", "--filter", "category=c2"))
    # the predicate implied: the partial index is not what stands in the way
    f = explained(apex, f"SELECT id FROM vec WHERE category = 'c1' ORDER BY embedding <=> {QV} LIMIT 5")
    assert f is None or "partial index" not in f["message"], f


def test_small_table_the_planner_prefers_to_sort(apex, small):
    small.sql("CREATE INDEX small_cos ON small USING hnsw (embedding vector_cosine_ops)")
    small.sql("ANALYZE small")
    f = explained(apex, f"SELECT id FROM small ORDER BY embedding <=> {QV} LIMIT 5")
    assert f["severity"] == "info"
    assert "the planner chose Limit > Sort > Seq Scan on small (cost " in f["message"]
    assert "over small_cos (cost " in f["message"] and f["message"].endswith("the table is small")
    assert f["fix"] == "run ANALYZE public.small if the table changed a lot"
    v = searched(apex, "small")
    assert v["index"] == "small_cos" and "the table is small" in v["reason"]


def test_ivfflat_probes_not_below_lists(apex, small):
    small.sql("CREATE INDEX small_ivf ON small USING ivfflat (embedding vector_l2_ops) WITH (lists = 1)")
    small.sql("ANALYZE small")
    f = explained(apex, f"SELECT id FROM small ORDER BY embedding <-> {QV} LIMIT 5")
    assert "ivfflat.probes (1) is not below lists (1): every list is scanned" in f["message"]
    assert f["fix"].startswith("SET ivfflat.probes = 1 (sqrt(lists) as a start")
    same_words(f, searched(apex, "small"))


def test_descending_distance_cannot_use_the_index(apex, vec):
    vec.sql("CREATE INDEX vec_cos ON vec USING hnsw (embedding vector_cosine_ops)")
    f = explained(apex, f"SELECT id FROM vec ORDER BY embedding <=> {QV} DESC LIMIT 5")
    assert f["severity"] == "warning"
    assert "the planner cannot use vec_cos for this query: it needs ORDER BY embedding <=> value" in f["message"]
    assert f["fix"].startswith("ORDER BY the distance alone, ascending")


def test_index_scans_off_is_the_reason_under_exact(apex, vec):
    vec.sql("CREATE INDEX vec_cos ON vec USING hnsw (embedding vector_cosine_ops)")
    v = searched(apex, "vec", "--exact")
    assert v["index_used"] is False and v["reason"].startswith("index scans are turned off for this query")


def test_names_that_need_quoting_one_statement_for_explain_search_audit_and_index_create(apex, db):
    db.sql('CREATE TABLE "Order Items" (id int PRIMARY KEY, "Embedding" vector(3))')
    db.sql('INSERT INTO "Order Items" SELECT g, ARRAY[g, 1, 1]::vector FROM generate_series(1, 50) g')
    db.sql('ANALYZE "Order Items"')
    statement = ('CREATE INDEX CONCURRENTLY "Order Items_Embedding_hnsw_cosine_idx" ON "public"."Order Items" '
                 'USING hnsw ("Embedding" vector_cosine_ops);')
    f = explained(apex, f'SELECT id FROM "Order Items" ORDER BY "Embedding" <=> {QV} LIMIT 5')
    assert f["fix"] == statement
    assert statement in searched(apex, "Order Items", "--metric", "cosine")["reason"]
    r = apex("audit", "indexes", "--only", "vector_column_without_index", "--vector-min-rows", "10",
             "--format", "json")
    assert r.json["findings"][0]["fix"].startswith(statement), r.json
    r = apex("index", "create", "Order Items", "Embedding", "--metric", "cosine")
    assert r.exit_code == 0, r
    made = db.sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'Order Items' "
                  "AND indexname <> 'Order Items_pkey'")
    assert made == [("Order Items_Embedding_hnsw_cosine_idx",
                     'CREATE INDEX "Order Items_Embedding_hnsw_cosine_idx" ON public."Order Items" USING hnsw '
                     '("Embedding" vector_cosine_ops) WITH (m=\'16\', ef_construction=\'64\')')]


def test_suggestions_by_type_and_width_run_on_the_server(db):
    from apexdb.ops.catalog import resolve_table, suggest_index, vector_column

    db.sql("CREATE TABLE wide (id int, e vector(3000), b bit(64), n vector, huge vector(5000), s sparsevec(100))")
    with db.connect() as conn:
        wide = resolve_table(conn, "wide")
        column = {name: vector_column(conn, wide, name) for name in ("e", "b", "n", "huge", "s")}
    half = suggest_index(column["e"], "l2")
    assert half.statement == ('CREATE INDEX CONCURRENTLY "wide_e_hnsw_l2_half_idx" ON "public"."wide" USING hnsw '
                              '(("e"::halfvec(3000)) halfvec_l2_ops);')
    assert half.note == "indexed as halfvec(3000): vector indexes stop at 2,000 dimensions"
    bits = suggest_index(column["b"])
    assert bits.metric == "hamming" and bits.statement.endswith('USING hnsw ("b" bit_hamming_ops);')
    sparse = suggest_index(column["s"], "ip")
    assert sparse.statement.endswith('USING hnsw ("s" sparsevec_ip_ops);')
    for suggestion in (half, bits, sparse):
        db.sql(suggestion.statement)
    made = dict(db.sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'wide'"))
    assert set(made) == {"wide_e_hnsw_l2_half_idx", "wide_b_hnsw_hamming_idx", "wide_s_hnsw_ip_idx"}
    assert suggest_index(column["n"]).statement is None
    assert "without dimensions" in suggest_index(column["n"]).note
    assert suggest_index(column["huge"]).note == "vector(5000) is wider than any ANN index accepts; reduce dimensions first"
    jaccard = suggest_index(column["e"], "jaccard")
    assert jaccard.statement is None and "no hnsw opclass for jaccard on halfvec" in jaccard.note
    ivf_l1 = suggest_index(column["e"], "l1", method="ivfflat")
    assert ivf_l1.statement is None and "no ivfflat opclass for l1" in ivf_l1.note
