"""Each family of explain findings on real plans: vector ORDER BY, nested loops, estimates, spills;
planning and JIT time on a plan document (this server has no JIT to make a real one)."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

QUERY_VECTOR = "'[0.5, 0.5, 0.5]'"


@pytest.fixture
def vec(db):
    db.sql("CREATE TABLE vec (id bigint PRIMARY KEY, category text, embedding vector(3))")
    db.sql("INSERT INTO vec SELECT g, 'c' || (g % 10), ARRAY[sin(g), cos(g), sin(g * 0.3)]::vector "
           "FROM generate_series(1, 3000) g")
    db.sql("CREATE INDEX vec_embedding_cos ON vec USING hnsw (embedding vector_cosine_ops)")
    db.sql("ANALYZE vec")
    return db


def findings(apex, sql, *extra):
    r = apex("explain", sql, "--format", "json", *extra)
    assert r.exit_code == 0, r
    return r.json["findings"], r.json["plan"]


def test_vector_operator_does_not_match_the_opclass(apex, vec):
    found, _ = findings(apex, f"SELECT id FROM vec ORDER BY embedding <-> {QUERY_VECTOR} LIMIT 5")
    [f] = [f for f in found if "did not use a vector index" in f["message"]]
    assert "orders by <-> (l2) but the index serves another operator: vec_embedding_cos (vector_cosine_ops" \
        in f["message"]
    assert f["fix"].startswith("ORDER BY embedding <=> ... to use vec_embedding_cos (apexdb search --metric cosine), "
                               "or CREATE INDEX CONCURRENTLY")
    assert 'USING hnsw ("embedding" vector_l2_ops);' in f["fix"]


def test_vector_order_by_expression_and_no_limit(apex, vec):
    found, _ = findings(apex, f"SELECT id FROM vec ORDER BY 1 - (embedding <=> {QUERY_VECTOR}) LIMIT 5")
    assert any("orders by an expression around the distance" in f["message"] for f in found), found
    found, _ = findings(apex, f"SELECT id FROM vec ORDER BY embedding <=> {QUERY_VECTOR}")
    [f] = [f for f in found if "did not use a vector index" in f["message"]]
    assert "there is no LIMIT" in f["message"] and f["fix"].startswith("add LIMIT k")


def test_vector_column_without_index(apex, vec):
    vec.sql("DROP INDEX vec_embedding_cos")
    found, _ = findings(apex, f"SELECT v.id FROM vec v WHERE v.category = 'c1' "
                              f"ORDER BY v.embedding <=> {QUERY_VECTOR} LIMIT 5")
    [f] = [f for f in found if "did not use a vector index" in f["message"]]
    assert "there is no HNSW or IVFFlat index on embedding" in f["message"]
    assert f["fix"] == ('CREATE INDEX CONCURRENTLY "vec_embedding_hnsw_cosine_idx" ON "public"."vec" '
                        'USING hnsw ("embedding" vector_cosine_ops);')


def test_vector_index_on_an_expression_but_order_by_the_column(apex, vec):
    vec.sql("DROP INDEX vec_embedding_cos")
    vec.sql("CREATE INDEX vec_half ON vec USING hnsw ((embedding::halfvec(3)) halfvec_cosine_ops)")
    found, _ = findings(apex, f"SELECT id FROM vec ORDER BY embedding <=> {QUERY_VECTOR} LIMIT 5")
    [f] = [f for f in found if "did not use a vector index" in f["message"]]
    assert "index vec_half is on the expression" in f["message"]
    assert "but the query orders by the bare column embedding" in f["message"]
    assert f["fix"].startswith("ORDER BY (embedding::halfvec(3)) <=> <query vector>"), f
    # ordering by the index's expression uses it: no finding
    found, plan = findings(apex, f"SELECT id FROM vec ORDER BY embedding::halfvec(3) <=> {QUERY_VECTOR} LIMIT 5")
    assert not any("did not use a vector index" in f["message"] for f in found), found


def test_vector_index_used_with_ef_search_below_limit(apex, vec):
    found, plan = findings(apex, f"SELECT id FROM vec ORDER BY embedding <=> {QUERY_VECTOR} LIMIT 60",
                           "--analyze")
    assert plan["Plan"]["Plans"][0]["Index Name"] == "vec_embedding_cos"
    assert plan["Plan"]["Actual Rows"] == 40  # the HNSW scan stopped at ef_search
    [f] = [f for f in found if "hnsw.ef_search" in f["message"]]
    assert f["message"].startswith("LIMIT 60 is above hnsw.ef_search = 40")
    assert f["fix"].startswith("SET hnsw.ef_search = 60")
    assert not any("did not use a vector index" in f["message"] for f in found)


def test_vector_filter_after_hnsw_scan(apex, vec):
    vec.sql(f'ALTER DATABASE "{vec.name}" SET enable_seqscan = off')
    found, plan = findings(apex, f"SELECT id FROM vec WHERE category = 'c1' "
                                 f"ORDER BY embedding <=> {QUERY_VECTOR} LIMIT 10", "--analyze")
    assert plan["Plan"]["Plans"][0].get("Index Name") == "vec_embedding_cos", plan
    returned = int(plan["Plan"]["Actual Rows"])
    assert returned < 10  # ef_search 40 candidates, about one in ten passes the filter
    [f] = [f for f in found if "applied after the HNSW scan" in f["message"]]
    assert f["severity"] == "warning" and f"left {returned} of the 10 rows asked" in f["message"]
    assert "hnsw.iterative_scan = relaxed_order" in f["fix"]


@pytest.fixture
def joined(db):
    db.sql("CREATE TABLE parent (id int PRIMARY KEY, name text)")
    db.sql("CREATE TABLE child (id int, parent_id int, qty int)")
    db.sql("INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 300) g")
    db.sql("INSERT INTO child SELECT g, g % 300 + 1, g FROM generate_series(1, 3000) g")
    db.sql("ANALYZE parent")
    db.sql("ANALYZE child")
    for setting in ("enable_hashjoin", "enable_mergejoin", "enable_material", "enable_memoize"):
        db.sql(f'ALTER DATABASE "{db.name}" SET {setting} = off')
    return db


def test_nested_loop_repeating_a_seq_scan(apex, joined):
    # a LEFT JOIN keeps parent on the outer side of the nested loop
    query = "SELECT * FROM parent p LEFT JOIN child c ON c.parent_id = p.id"
    found, plan = findings(apex, query, "--analyze")
    assert plan["Plan"]["Node Type"] == "Nested Loop"
    [f] = [f for f in found if "runs a sequential scan of child" in f["message"]]
    assert f["message"].startswith("nested loop runs a sequential scan of child 300 times (once per outer row)")
    assert f["fix"].startswith("CREATE INDEX CONCURRENTLY child_parent_id_idx ON public.child (parent_id);")
    # the fix works: with that index the planner stops rescanning child
    joined.sql("CREATE INDEX child_parent_id_idx ON child (parent_id)")
    found, _ = findings(apex, query, "--analyze")
    assert not any("runs a sequential scan" in f["message"] for f in found), found


def test_correlated_columns_ask_for_extended_statistics(apex, db):
    db.sql("CREATE TABLE corr (a int, b int)")
    db.sql("INSERT INTO corr SELECT g % 100, g % 100 FROM generate_series(1, 50000) g")
    db.sql("ANALYZE corr")
    found, _ = findings(apex, "SELECT * FROM corr WHERE a = 1 AND b = 1", "--analyze")
    [f] = [f for f in found if "underestimate" in f["message"]]
    # ANALYZE samples rows, so the estimate is 5 give or take; the finding must name it and the factor
    match = re.match(r"estimated (\d+) rows, found 500 per loop \((\d+)x underestimate\)", f["message"])
    assert match and int(match.group(2)) >= 10 and abs(int(match.group(2)) - 500 / int(match.group(1))) <= 1, f
    assert f["fix"].startswith("the filter's columns are correlated: CREATE STATISTICS corr_b_a_stats "
                               "(dependencies, ndistinct, mcv) ON b, a FROM public.corr;") or \
        f["fix"].startswith("the filter's columns are correlated: CREATE STATISTICS corr_a_b_stats "
                            "(dependencies, ndistinct, mcv) ON a, b FROM public.corr;"), f
    db.sql("CREATE STATISTICS corr_ab (dependencies) ON a, b FROM corr")
    db.sql("ANALYZE corr")
    found, _ = findings(apex, "SELECT * FROM corr WHERE a = 1 AND b = 1", "--analyze")
    assert not any("estimate" in f["message"] for f in found), found


def test_never_analyzed_table_asks_for_analyze(apex, db):
    db.sql("CREATE TABLE fresh (id int, kind text) WITH (autovacuum_enabled = false)")
    db.sql("INSERT INTO fresh SELECT g, CASE WHEN g % 50 = 0 THEN 'rare' ELSE 'common' END "
           "FROM generate_series(1, 30000) g")
    found, _ = findings(apex, "SELECT * FROM fresh WHERE kind = 'common'", "--analyze")
    [f] = [f for f in found if "underestimate" in f["message"]]
    assert f["fix"] == "ANALYZE public.fresh; (the table has never been analyzed)"


def test_sort_spill_names_a_work_mem_that_fits(apex, db):
    db.sql("CREATE TABLE wide AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 60000) g")
    db.sql("ANALYZE wide")
    db.sql(f'ALTER DATABASE "{db.name}" SET work_mem = \'64kB\'')
    found, plan = findings(apex, "SELECT * FROM wide ORDER BY t", "--analyze")
    assert plan["Plan"]["Sort Space Type"] == "Disk"
    [f] = [f for f in found if "spilled to disk" in f["message"]]
    assert f["message"].startswith("sort (external merge) used ")
    setting = f["fix"].split("'")[1]
    db.sql(f'ALTER DATABASE "{db.name}" SET work_mem = \'{setting}\'')
    found, plan = findings(apex, "SELECT * FROM wide ORDER BY t", "--analyze")
    assert plan["Plan"]["Sort Space Type"] == "Memory", (setting, plan["Plan"])
    assert not any("spilled" in f["message"] for f in found)


def test_hash_spill_names_a_work_mem_that_fits(apex, db):
    db.sql("CREATE TABLE h1 AS SELECT g AS id, md5(g::text) AS t FROM generate_series(1, 60000) g")
    db.sql("CREATE TABLE h2 AS SELECT * FROM h1")
    db.sql("ANALYZE h1")
    db.sql("ANALYZE h2")
    db.sql(f'ALTER DATABASE "{db.name}" SET work_mem = \'64kB\'')
    db.sql(f'ALTER DATABASE "{db.name}" SET enable_mergejoin = off')
    query = "SELECT * FROM h1 JOIN h2 USING (id)"
    found, _ = findings(apex, query, "--analyze")
    [f] = [f for f in found if "hash table split into" in f["message"]]
    setting = f["fix"].split("'")[1]
    db.sql(f'ALTER DATABASE "{db.name}" SET work_mem = \'{setting}\'')
    found, _ = findings(apex, query, "--analyze")
    assert not any("spilled" in f["message"] for f in found), (setting, found)


def _synthetic_run(document, settings=None):
    from apexdb.ops.explain.context import Context
    from apexdb.ops.explain.plan import parse_plan
    from apexdb.ops.explain.statement import parse_statement
    from apexdb.ops.explain.runner import ExplainOptions

    return SimpleNamespace(plan=parse_plan(document), context=Context(settings or {}, {}),
                           statement=parse_statement("SELECT 1"), options=ExplainOptions(analyze=True))


def test_planning_and_jit_time_dominating():
    from apexdb.ops.explain.findings import collect_findings

    node = {"Node Type": "Result", "Plan Rows": 1, "Total Cost": 250000.0, "Actual Rows": 1, "Actual Loops": 1,
            "Actual Total Time": 40.0}
    document = {"Plan": node, "Planning Time": 120.0, "Execution Time": 45.0,
                "JIT": {"Functions": 12, "Timing": {"Total": 31.5}}}
    found = collect_findings(_synthetic_run(document, {"jit_above_cost": 100000.0}))
    messages = {f.message: f for f in found}
    planning = messages["planning took 120.0 ms, more than executing (45.0 ms)"]
    assert "prepared statement" in planning.fix
    jit = messages["JIT compilation took 31.5 ms of 45.0 ms execution (70%)"]
    assert jit.fix == ("SET jit = off for this query, or raise jit_above_cost above the plan's cost "
                       "(now 100,000; this plan costs 250,000)")
    # quick plans: nothing to say
    document = {"Plan": node, "Planning Time": 0.3, "Execution Time": 0.1}
    assert collect_findings(_synthetic_run(document)) == []


def test_planning_dominates_over_many_partitions(apex, db):
    db.sql("CREATE TABLE parted (id int, k int, v text) PARTITION BY LIST (k)")
    with db.connect() as conn, conn.transaction():
        for i in range(300):
            conn.execute(f"CREATE TABLE parted_{i} PARTITION OF parted FOR VALUES IN ({i})")
            conn.execute(f"CREATE INDEX ON parted_{i} (id)")
    found, plan = findings(apex, "SELECT * FROM parted WHERE id = 5", "--analyze")
    assert plan["Planning Time"] > plan["Execution Time"]
    [f] = [f for f in found if f["message"].startswith("planning took")]
    assert f["node"] == "query" and "prunes them" in f["fix"]
    # the estimate finding over 300 partitions names a few tables, not all of them
    assert all(len(f["fix"]) < 400 for f in found), found
