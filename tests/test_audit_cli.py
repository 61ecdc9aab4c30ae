"""``apexdb audit``: output formats, --fail-on, --fix, --apply, thresholds and exclusions, the
remaining index checks (opclass vs workload, mostly NULL, bloat, HNSW memory) and config checks."""
from __future__ import annotations

from support import AUDIT_SMALL, clean_schema, findings, run_flushed, use_indexes


def problems(db) -> None:
    clean_schema(db)
    run_flushed(db, """
        CREATE INDEX child_a_copy ON child (a);
        CREATE TABLE orders (id int PRIMARY KEY, parent_id int REFERENCES parent);
    """)


def test_json_document_shape_and_fail_on_levels(apex, db):
    problems(db)
    r = apex("audit", "indexes", "--format", "json")
    assert r.exit_code == 0, r  # default --fail-on critical: warnings do not fail
    doc = r.json
    assert set(doc) == {"findings", "summary", "target"}
    assert all(set(f) == {"check", "severity", "object", "detail", "fix"} for f in doc["findings"])
    assert doc["summary"]["warning"] == 2 and doc["summary"]["total"] == 2 and doc["summary"]["failed"] is False
    r = apex("audit", "indexes", "--format", "json", "--fail-on", "warning")
    assert r.exit_code == 1, r
    assert r.json["summary"]["failed"] is True  # the document is printed in full before exit 1
    assert "2 finding(s) at or above warning" in r.stderr
    r = apex("audit", "indexes", "--format", "json", "--fail-on", "info")
    assert r.exit_code == 1


def test_table_csv_markdown_and_no_colour_when_piped(apex_proc, db):
    problems(db)
    r = apex_proc("audit", "indexes")
    assert r.exit_code == 0, r
    assert "duplicate_index" in r.stdout and "public.child_a_copy" in r.stdout
    assert "\x1b[" not in r.stdout and "\x1b[" not in r.stderr
    assert r.stderr == ""  # nothing to say on stderr when the role sees everything
    r = apex_proc("audit", "indexes", "--format", "csv")
    assert r.stdout.splitlines()[0] == "severity,check,object,detail,fix"
    assert "DROP INDEX CONCURRENTLY public.child_a_copy;" in r.stdout
    r = apex_proc("audit", "indexes", "--format", "markdown")
    assert "| severity" in r.stdout


def test_fix_prints_a_script_that_psql_could_run(apex, db):
    problems(db)
    r = apex("audit", "indexes", "--fix")
    assert r.exit_code == 0, r
    lines = r.stdout.splitlines()
    assert "DROP INDEX CONCURRENTLY public.child_a_copy;" in lines
    assert "CREATE INDEX CONCURRENTLY ON public.orders (parent_id);" in lines
    assert all(line.startswith("--") or line.endswith(";") or not line for line in lines)


def test_apply_needs_confirmation_then_fixes(apex, db):
    problems(db)
    before = db.scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")
    r = apex("audit", "indexes", "--apply")
    assert r.exit_code == 2, r
    assert "needs confirmation" in r.stderr
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'") == before
    r = apex("audit", "indexes", "--apply", "--yes")
    assert r.exit_code == 0, r
    assert "applied: DROP INDEX CONCURRENTLY public.child_a_copy;" in r.stderr
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'child_a_copy'") == 0
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders' AND indexdef LIKE '%parent_id%'") == 1
    r = apex("audit", "indexes", "--format", "json")
    assert findings(r) == set()


def test_exclude_only_thresholds_from_flags_and_config(apex, db, tmp_path, monkeypatch):
    problems(db)
    r = apex("audit", "indexes", "--exclude", "duplicate_index", "--format", "json")
    assert findings(r) == {("fk_without_index", "public.orders.orders_parent_id_fkey")}
    r = apex("audit", "indexes", "--only", "duplicate_index", "--format", "json")
    assert findings(r) == {("duplicate_index", "public.child_a_copy")}
    cfg = tmp_path / "apexdb.toml"
    cfg.write_text('[audit]\nexclude = ["fk_without_index"]\nfk_min_rows = 0\nunused_index_min_bytes = "0"\n'
                   'fail_on = "warning"\n')
    monkeypatch.chdir(tmp_path)
    r = apex("audit", "indexes", "--format", "json")
    assert findings(r) == {("duplicate_index", "public.child_a_copy")}, r
    assert r.exit_code == 1 and r.json["summary"]["fail_on"] == "warning"  # fail_on from the config file
    other = tmp_path / "other.toml"  # a new file: the config file is read once per path and process
    other.write_text("[audit]\nvector_min_rows = 1000\n")
    monkeypatch.setenv("APEXDB_CONFIG", str(other))
    run_flushed(db, "CREATE TABLE docs (id int, embedding vector(3)); INSERT INTO docs SELECT g, '[1,2,3]' "
            "FROM generate_series(1, 1500) g; ANALYZE docs")
    r = apex("audit", "indexes", "--only", "vector_column_without_index", "--format", "json")
    assert findings(r) == {("vector_column_without_index", "public.docs.embedding")}
    r = apex("audit", "indexes", "--only", "vector_column_without_index", "--vector-min-rows", "2000",
             "--format", "json")
    assert findings(r) == set()  # the flag beats the config file


def test_bad_input_exits_2_with_one_line(apex, db):
    for args, needle in ((["audit", "everything"], "unknown audit"),
                         (["audit", "indexes", "--fail-on", "loud"], "--fail-on"),
                         (["audit", "indexes", "--exclude", "nope"], "unknown audit check"),
                         (["audit", "indexes", "--threshold", "nope=1"], "unknown audit threshold"),
                         (["audit", "indexes", "--unused-min-bytes", "lots"], "not a size"),
                         (["audit", "indexes", "--target", "missing"], "unknown target")):
        r = apex(*args)
        assert r.exit_code == 2, (args, r)
        assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_opclass_that_the_workload_does_not_use(apex, db):
    clean_schema(db)  # items has a cosine HNSW index
    use_indexes(db, *["SELECT id FROM items i ORDER BY i.embedding <-> '[1,2,3]' LIMIT 5"] * 3)
    r = apex("audit", "indexes", *AUDIT_SMALL, "--format", "json")
    assert findings(r) == {("vector_opclass_mismatch", "public.items_embedding_idx")}, r
    f = r.json["findings"][0]
    assert "<-> (l2)" in f["detail"] and "3 calls" in f["detail"]
    assert 'CREATE INDEX CONCURRENTLY "items_embedding_hnsw_l2_idx" ON "public"."items" USING hnsw ("embedding" vector_l2_ops);' in f["fix"]


def test_mostly_null_and_bloated_btree_indexes(apex, db):
    run_flushed(db, """
        CREATE TABLE sparse (id int PRIMARY KEY, ref int);
        INSERT INTO sparse SELECT g, CASE WHEN g % 10 = 0 THEN g END FROM generate_series(1, 20000) g;
        CREATE INDEX sparse_ref_idx ON sparse (ref);
        CREATE TABLE shrunk (id int, k int);
        INSERT INTO shrunk SELECT g, g FROM generate_series(1, 50000) g;
        CREATE INDEX shrunk_k_idx ON shrunk (k);
        DELETE FROM shrunk WHERE id > 2000;
    """)
    db.sql("VACUUM ANALYZE")
    r = apex("audit", "indexes", "--only", "mostly_null_index", "--only", "index_bloat",
             "--threshold", "mostly_null_min_bytes=0", "--threshold", "bloat_min_bytes=0", "--format", "json")
    assert findings(r) == {("mostly_null_index", "public.sparse_ref_idx"), ("index_bloat", "public.shrunk_k_idx")}, r
    by = {f["check"]: f for f in r.json["findings"]}
    assert "WHERE ref IS NOT NULL" in by["mostly_null_index"]["fix"]
    assert "90.0% of ref is NULL" in by["mostly_null_index"]["detail"]
    assert by["index_bloat"]["fix"] == "REINDEX INDEX CONCURRENTLY public.shrunk_k_idx;"


def test_hnsw_larger_than_maintenance_work_mem(apex, db):
    clean_schema(db)
    db.sql(f"ALTER DATABASE {db.name} SET maintenance_work_mem = '64kB'")
    r = apex("audit", "indexes", "--only", "hnsw_exceeds_maintenance_work_mem", "--format", "json")
    assert findings(r) == {("hnsw_exceeds_maintenance_work_mem", "public.items_embedding_idx")}, r
    assert r.json["findings"][0]["severity"] == "info"
    assert "SET maintenance_work_mem" in r.json["findings"][0]["fix"]


def test_memory_settings_against_the_servers_ram(apex, db):
    r = apex("audit", "config", "--only", "work_mem", "--only", "shared_buffers", "--threshold", "ram_bytes=1GB",
             "--format", "json")
    got = {f["check"]: f for f in r.json["findings"]}
    assert set(got) == {"work_mem"}, r  # 16 MB x 200 connections > 1 GB
    assert got["work_mem"]["severity"] == "warning" and "x max_connections 200" in got["work_mem"]["detail"]
    assert got["work_mem"]["fix"].startswith("ALTER SYSTEM SET work_mem = '1MB';")
    r = apex("audit", "config", "--only", "work_mem", "--only", "shared_buffers", "--threshold", "ram_bytes=64GB",
             "--format", "json")
    assert findings(r) == {("shared_buffers", "shared_buffers")}
    assert r.json["findings"][0]["severity"] == "info" and "25% of the server's 64.0 GB" in r.json["findings"][0]["detail"]


def test_config_pg_stat_statements_and_tuned_vector_settings(apex, db):
    clean_schema(db)
    r = apex("audit", "config", "--threshold", "ram_bytes=64GB", "--format", "json", "--fail-on", "warning")
    assert r.exit_code == 0, r
    assert ("vector_setting", "hnsw.ef_search") in findings(r)  # info: at the default, nothing recorded
    assert ("maintenance_work_mem", "maintenance_work_mem") in findings(r)  # info: default 64 MB, an HNSW index
    db.sql("DROP EXTENSION pg_stat_statements")
    db.sql(f"ALTER DATABASE {db.name} SET hnsw.ef_search = 100")
    db.sql(f"ALTER ROLE postgres IN DATABASE {db.name} SET hnsw.ef_search = 40")  # overrides the tuned value
    r = apex("audit", "config", "--format", "json")
    got = {(f["check"], f["object"]): f for f in r.json["findings"]}
    assert got[("pg_stat_statements_missing", db.name)]["fix"] == "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;"
    tuned = got[("vector_setting", "hnsw.ef_search")]
    assert tuned["severity"] == "warning"
    assert "hnsw.ef_search = 100 is recorded for the database" in tuned["detail"] and "run with 40" in tuned["detail"]
    assert tuned["fix"].startswith(f"ALTER ROLE postgres IN DATABASE {db.name} RESET hnsw.ef_search;")
    db.sql(f"ALTER ROLE postgres IN DATABASE {db.name} RESET hnsw.ef_search")
    r = apex("audit", "config", "--format", "json")
    assert ("vector_setting", "hnsw.ef_search") not in findings(r)  # the tuned value is in force


def test_probes_not_below_lists_makes_the_planner_skip_ivfflat(apex, db):
    run_flushed(db, """
        CREATE TABLE v (id int, embedding vector(3));
        INSERT INTO v SELECT g, ARRAY[random(), random(), random()]::vector FROM generate_series(1, 500) g;
        CREATE INDEX v_ivf ON v USING ivfflat (embedding) WITH (lists = 4);
    """)
    db.sql(f"ALTER DATABASE {db.name} SET ivfflat.probes = 4")
    r = apex("audit", "config", "--only", "vector_setting", "--format", "json")
    assert ("vector_setting", "public.v_ivf") in findings(r), r


def test_pg_stat_statements_not_preloaded(tmp_path_factory):
    """A server without pg_stat_statements in shared_preload_libraries: a warning, and a fix that
    keeps the libraries already listed (here: none) and adds it."""
    from support import TEST_SETTINGS, run_cli, stop_server
    from apexdb.db.embedded import EmbeddedServer

    server = EmbeddedServer(tmp_path_factory.mktemp("no-pgss"),
                            extra_settings={**TEST_SETTINGS, "shared_preload_libraries": "''"})
    server.ensure_running()
    try:
        r = run_cli(["audit", "config", "--only", "pg_stat_statements_missing", "--format", "json"],
                    env={"APEXDB_DSN": server.dsn()})
        assert r.exit_code == 0, r
        got = {(f["check"], f["object"]): f for f in r.json["findings"]}
        fix = got[("pg_stat_statements_missing", "shared_preload_libraries")]["fix"]
        assert fix.startswith("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';")
        r = run_cli(["audit", "indexes", "--only", "vector_opclass_mismatch", "--format", "json"],
                    env={"APEXDB_DSN": server.dsn()})
        assert r.exit_code == 0 and "opclass/workload check was skipped" in r.stderr, r
    finally:
        stop_server(server)


def test_sorts_spilling_to_disk_make_a_work_mem_warning(apex, db):
    with db.connect() as conn:
        conn.execute("SET work_mem = '64kB'")
        conn.execute("SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC").fetchall()
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")
    r = apex("audit", "config", "--only", "work_mem", "--threshold", "ram_bytes=64GB",
             "--threshold", "temp_bytes_warning=1MB", "--format", "json")
    assert findings(r) == {("work_mem", "work_mem")}, r
    assert "temporary files" in r.json["findings"][0]["detail"]
    r = apex("audit", "config", "--only", "work_mem", "--threshold", "ram_bytes=64GB", "--format", "json")
    assert findings(r) == set()  # below the default 1 GB
