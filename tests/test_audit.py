"""``apexdb audit``: each problem made for real in a database, and the audit finds exactly those.

Thresholds for "unused" and "large table" come from flags so the data stays small.
"""
from __future__ import annotations

import psycopg

from support import AUDIT_SMALL, clean_schema, findings, run_flushed, use_indexes


def test_clean_schema_gives_no_warnings(apex, db):
    clean_schema(db)
    # ram_bytes: the RAM-based guidance must not depend on the machine the tests run on
    r = apex("audit", "all", *AUDIT_SMALL, "--threshold", "ram_bytes=64GB", "--format", "json", "--fail-on", "warning")
    assert r.exit_code == 0, r
    doc = r.json
    assert [f for f in doc["findings"] if f["severity"] != "info"] == []
    assert doc["summary"]["warning"] == 0 and doc["summary"]["critical"] == 0
    assert set(doc) == {"findings", "summary", "target"}


def test_index_problems_are_found_exactly(apex, db):
    clean_schema(db)
    run_flushed(db, """
        CREATE INDEX child_b_idx ON child (b);                      -- unused
        CREATE INDEX child_a_copy ON child (a);                     -- duplicate of child_a_idx
        CREATE TABLE orders (id int PRIMARY KEY, parent_id int REFERENCES parent);  -- FK without index
        INSERT INTO orders SELECT g, 1 + g % 200 FROM generate_series(1, 500) g;
        CREATE TABLE docs (id int PRIMARY KEY, embedding vector(3));   -- large, no ANN index
        INSERT INTO docs SELECT g, ARRAY[random(), random(), random()]::vector FROM generate_series(1, 2000) g;
        CREATE TABLE clusters (id int PRIMARY KEY, embedding vector(3));
        INSERT INTO clusters SELECT g, ARRAY[random(), random(), random()]::vector FROM generate_series(1, 2000) g;
        CREATE INDEX clusters_ivf ON clusters USING ivfflat (embedding vector_l2_ops) WITH (lists = 100);
        CREATE TABLE codes (code int);
        INSERT INTO codes VALUES (1), (1), (2);
    """)
    with db.connect() as conn:  # a failed concurrent unique build leaves an INVALID index behind
        try:
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY codes_code_key ON codes (code)")
        except psycopg.errors.UniqueViolation:
            pass
    db.sql("ANALYZE")
    # (child's indexes were used by clean_schema, before the duplicate existed for the planner to pick)
    use_indexes(db, "SELECT id FROM clusters ORDER BY embedding <-> '[1,1,1]' LIMIT 5")
    r = apex("audit", "indexes", *AUDIT_SMALL, "--format", "json")
    assert r.exit_code == 0, r  # warnings only; the default --fail-on is critical
    assert findings(r) == {
        ("unused_index", "public.child_b_idx"),
        ("duplicate_index", "public.child_a_copy"),
        ("invalid_index", "public.codes_code_key"),
        ("fk_without_index", "public.orders.orders_parent_id_fkey"),
        ("vector_column_without_index", "public.docs.embedding"),
        ("ivfflat_lists", "public.clusters_ivf"),
    }
    by_check = {f["check"]: f for f in r.json["findings"]}
    assert all(f["severity"] == "warning" for f in by_check.values())
    assert by_check["unused_index"]["fix"].startswith("DROP INDEX CONCURRENTLY public.child_b_idx;")
    assert "never reset" in by_check["unused_index"]["detail"]  # the age of the statistics is shown
    assert "public.child_a_idx" in by_check["duplicate_index"]["detail"]
    assert by_check["duplicate_index"]["fix"].startswith("DROP INDEX CONCURRENTLY public.child_a_copy;")
    assert "no build is running now" in by_check["invalid_index"]["detail"]
    assert "DROP INDEX CONCURRENTLY public.codes_code_key;" in by_check["invalid_index"]["fix"]
    assert by_check["fk_without_index"]["fix"] == "CREATE INDEX CONCURRENTLY ON public.orders (parent_id);"
    assert 'USING hnsw ("embedding" vector_cosine_ops)' in by_check["vector_column_without_index"]["fix"]
    lists = by_check["ivfflat_lists"]
    assert "lists = 100" in lists["detail"] and "gives 2" in lists["detail"]
    assert "WITH (lists = 2)" in lists["fix"] and "DROP INDEX CONCURRENTLY public.clusters_ivf;" in lists["fix"]


def test_below_the_flag_thresholds_small_tables_are_not_findings(apex, db):
    clean_schema(db)
    run_flushed(db, "CREATE INDEX child_b_idx ON child (b); CREATE TABLE docs (id int, embedding vector(3));"
           "INSERT INTO docs SELECT g, '[1,2,3]' FROM generate_series(1, 2000) g; ANALYZE docs")
    r = apex("audit", "indexes", "--format", "json")  # defaults: 1 MB unused, 10,000 rows for vectors
    assert r.exit_code == 0, r
    assert findings(r) == set()


def test_a_fresh_statistics_reset_is_not_taken_for_disuse(apex, db):
    clean_schema(db)
    db.sql("CREATE INDEX child_b_idx ON child (b)")
    db.sql("SELECT pg_stat_reset()")
    r = apex("audit", "indexes", "--only", "unused_index", "--unused-min-bytes", "0", "--format", "json")
    assert r.exit_code == 0, r
    unused = [f for f in r.json["findings"] if f["object"] == "public.child_b_idx"]
    assert len(unused) == 1 and unused[0]["severity"] == "info"
    assert "since the statistics reset" in unused[0]["detail"] and "may not be disuse" in unused[0]["detail"]
    assert r.json["summary"]["stats_reset"] is not None


def test_redundant_prefix_index_but_not_a_unique_one(apex, db):
    run_flushed(db, """
        CREATE TABLE t (a int, b int, c int);
        CREATE INDEX t_a ON t (a);
        CREATE INDEX t_a_b ON t (a, b);
        CREATE UNIQUE INDEX t_b ON t (b);
        CREATE INDEX t_b_c ON t (b, c);
        CREATE INDEX t_c_partial ON t (c) WHERE c > 0;
        CREATE INDEX t_c ON t (c);
        CREATE INDEX t_lower ON t ((a + 1));
        CREATE INDEX t_hash ON t USING hash (a);
    """)
    r = apex("audit", "indexes", "--only", "duplicate_index", "--only", "redundant_index", "--format", "json")
    assert r.exit_code == 0, r
    assert findings(r) == {("redundant_index", "public.t_a")}


def test_bloated_table_is_found_exactly(apex, db):
    clean_schema(db)
    run_flushed(db, """
        CREATE TABLE events (id int, payload text) WITH (autovacuum_enabled = false);
        INSERT INTO events SELECT g, repeat('x', 50) FROM generate_series(1, 5000) g;
        DELETE FROM events WHERE id > 500;
    """)
    db.sql("ANALYZE events")
    r = apex("audit", "vacuum", "--format", "json")
    assert r.exit_code == 0, r
    assert findings(r) == {("dead_tuples", "public.events")}
    f = r.json["findings"][0]
    assert f["severity"] == "warning" and "autovacuum is disabled" in f["detail"]
    assert f["fix"].startswith("VACUUM (ANALYZE) public.events;")


def test_vacuum_overdue_never_analyzed_and_wraparound_levels(apex, db):
    run_flushed(db, """
        CREATE TABLE quiet (id int) WITH (autovacuum_enabled = false);
        INSERT INTO quiet SELECT g FROM generate_series(1, 5000) g;
    """)
    r = apex("audit", "vacuum", "--format", "json")
    assert ("never_analyzed", "public.quiet") in findings(r), r
    run_flushed(db, "ANALYZE quiet; DELETE FROM quiet WHERE id <= 1500")
    # 30% dead passes autovacuum's trigger (50 + 20%) but not a --dead-ratio of 0.9: overdue, not bloated
    r = apex("audit", "vacuum", "--dead-ratio", "0.9", "--format", "json")
    assert findings(r) == {("autovacuum_overdue", "public.quiet")}, r
    assert "autovacuum is disabled" in r.json["findings"][0]["detail"]
    # wraparound levels, with thresholds low enough for a young database
    r = apex("audit", "vacuum", "--only", "xid_wraparound", "--threshold", "xid_age_warning=1",
             "--threshold", "xid_age_critical=1000000000", "--format", "json")
    quiet = [f for f in r.json["findings"] if f["object"] == "public.quiet"]
    assert quiet and quiet[0]["severity"] == "warning" and quiet[0]["fix"].startswith("VACUUM (FREEZE")
    r = apex("audit", "vacuum", "--only", "multixact_wraparound", "--threshold", "multixact_age_warning=0",
             "--threshold", "multixact_age_critical=0", "--format", "json")
    assert r.exit_code == 1, r  # critical reaches the default --fail-on
    assert {f["severity"] for f in r.json["findings"]} == {"critical"}


def test_an_index_being_built_now_is_not_reported_invalid(apex, db):
    import threading

    run_flushed(db, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000)")
    writer = db.connect()
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES (0)")  # CREATE INDEX CONCURRENTLY waits for this writer
    builder = threading.Thread(target=lambda: db.sql("CREATE INDEX CONCURRENTLY t_x ON t (x)"))
    builder.start()
    try:
        for _ in range(200):  # until the build's catalog entry exists (INVALID until the build ends)
            if db.scalar("SELECT to_regclass('t_x')") is not None:
                break
            builder.join(0.05)
        assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_x'::regclass") is False
        r = apex("audit", "indexes", "--only", "invalid_index", "--format", "json")
    finally:
        writer.execute("COMMIT")
        writer.close()
        builder.join(30)
    assert r.exit_code == 0, r
    assert findings(r) == set()  # INVALID, but a build of it is running: not a finding
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_x'::regclass") is True


def test_an_unused_index_that_alone_backs_a_foreign_key_is_kept(apex, db):
    run_flushed(db, """
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent, note text);
        CREATE INDEX child_parent_idx ON child (parent_id);
        CREATE INDEX child_parent_note_idx ON child (parent_id, note);
    """)
    # both are unused; (parent_id) is redundant with (parent_id, note), which then alone backs the key
    r = apex("audit", "indexes", "--unused-min-bytes", "0", "--stats-min-age", "0", "--format", "json")
    assert findings(r) == {("redundant_index", "public.child_parent_idx")}, r


def test_a_partial_not_null_index_backs_a_foreign_key(apex, db):
    run_flushed(db, """
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent);
        CREATE INDEX child_parent_nn ON child (parent_id) WHERE parent_id IS NOT NULL;
        CREATE TABLE other (id int PRIMARY KEY, parent_id int REFERENCES parent);
        CREATE INDEX other_parent_partial ON other (parent_id) WHERE parent_id > 10;
    """)
    r = apex("audit", "indexes", "--only", "fk_without_index", "--format", "json")
    assert findings(r) == {("fk_without_index", "public.other.other_parent_id_fkey")}, r
