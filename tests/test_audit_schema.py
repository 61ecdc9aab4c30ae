"""``apexdb audit schema`` and the index shapes and heap bloat checks: each problem made for real,
found with the right object named, and nothing reported on the clean Apex schema after ``apexdb init``."""
from __future__ import annotations

from support import findings, run_flushed as run


def by_key(result) -> dict[tuple[str, str], dict]:
    return {(f["check"], f["object"]): f for f in result.json["findings"]}


def test_clean_apex_schema_after_init_audits_without_warnings(apex):
    assert apex("init").exit_code == 0
    r = apex("audit", "all", "--format", "json", "--fail-on", "warning", "--threshold", "ram_bytes=64GB")
    assert r.exit_code == 0, r
    assert [f for f in r.json["findings"] if f["severity"] != "info"] == []
    assert "table_without_primary_key" in r.json["summary"]["checks"]
    assert "connections" in r.json["summary"]["checks"]
    # a pipe with nothing above info... and with no findings at all, nothing is printed
    quiet = apex("audit", "schema")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == "", quiet


def test_schema_problems_are_found_with_their_objects(apex, db):
    run(db, """
        CREATE TABLE nopk (a int, b text);
        CREATE TABLE big (id bigint PRIMARY KEY);
        CREATE TABLE pair (a int, b int, PRIMARY KEY (a, b));
        CREATE TABLE refs (id int PRIMARY KEY, big_id int, a int, b int);
        ALTER TABLE refs ADD CONSTRAINT refs_big1 FOREIGN KEY (big_id) REFERENCES big (id);
        ALTER TABLE refs ADD CONSTRAINT refs_big2 FOREIGN KEY (big_id) REFERENCES big (id);
        ALTER TABLE refs ADD CONSTRAINT refs_pair FOREIGN KEY (a, b) REFERENCES pair (a, b);
        ALTER TABLE refs ADD CONSTRAINT refs_pair_a FOREIGN KEY (a, big_id) REFERENCES pair (a, b) MATCH FULL;
        CREATE TABLE checked (id int PRIMARY KEY, v int);
        ALTER TABLE checked ADD CONSTRAINT v_positive CHECK (v > 0) NOT VALID;
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
        CREATE TRIGGER checked_touch BEFORE INSERT ON checked FOR EACH ROW EXECUTE FUNCTION touch();
        ALTER TABLE checked DISABLE TRIGGER checked_touch;
        CREATE TABLE kinds (id serial PRIMARY KEY, j json, m money, c char(5), ts timestamp,
                            ok_ts timestamptz, ok_j jsonb, v varchar(5));
    """)
    r = apex("audit", "schema", "--format", "json")
    assert r.exit_code == 0, r
    got = by_key(r)
    expected = {
        ("table_without_primary_key", "public.nopk"),
        ("duplicate_foreign_key", "public.refs.refs_big2"),
        ("intersected_foreign_key", "public.refs.refs_pair_a"),
        ("fk_type_mismatch", "public.refs.refs_big1"),
        ("fk_type_mismatch", "public.refs.refs_big2"),
        ("fk_nullable_columns", "public.refs.refs_pair"),
        ("not_valid_constraint", "public.checked.v_positive"),
        ("disabled_trigger", "public.checked.checked_touch"),
        ("json_column", "public.kinds.j"),
        ("money_column", "public.kinds.m"),
        ("char_column", "public.kinds.c"),
        ("timestamp_without_time_zone", "public.kinds.ts"),
        ("serial_column", "public.kinds.id"),
    }
    assert set(got) == expected, sorted(set(got) ^ expected)
    assert "integer but public.big.id is bigint" in got[("fk_type_mismatch", "public.refs.refs_big1")]["detail"]
    assert got[("duplicate_foreign_key", "public.refs.refs_big2")]["fix"] == \
        "ALTER TABLE public.refs DROP CONSTRAINT refs_big2;"
    assert "VALIDATE CONSTRAINT v_positive" in got[("not_valid_constraint", "public.checked.v_positive")]["fix"]
    assert "ENABLE TRIGGER checked_touch" in got[("disabled_trigger", "public.checked.checked_touch")]["fix"]
    assert got[("serial_column", "public.kinds.id")]["severity"] == "info"
    # the fix script carries the runnable fixes; the table rewrites are comments
    script = apex("audit", "schema", "--fix").stdout
    assert "ALTER TABLE public.checked VALIDATE CONSTRAINT v_positive;" in script
    assert "-- ALTER TABLE public.kinds ALTER COLUMN j TYPE jsonb USING j::jsonb;" in script


def test_disabling_all_triggers_is_critical_and_comments_are_off_by_default(apex, db):
    run(db, """
        CREATE TABLE p (id int PRIMARY KEY);
        CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p);
        CREATE INDEX ON c (p_id);
        ALTER TABLE c DISABLE TRIGGER ALL;
        COMMENT ON TABLE p IS 'parents';
    """)
    r = apex("audit", "schema", "--format", "json")
    got = by_key(r)
    assert got[("disabled_trigger", "public.c (internal triggers)")]["severity"] == "critical"
    assert r.exit_code == 1  # the default --fail-on critical
    assert not [k for k in got if k[0] == "missing_comment"]
    r = apex("audit", "schema", "--only", "missing_comment", "--format", "json")
    got = by_key(r)
    assert "the table" in got[("missing_comment", "public.c")]["detail"]
    assert "the table" not in got[("missing_comment", "public.p")]["detail"]  # p has a comment, its column not


def test_sequences_judged_by_the_column_they_feed(apex, db):
    run(db, """
        CREATE TABLE s1 (id serial PRIMARY KEY);
        SELECT setval('s1_id_seq', 2147054000);             -- 99.98% of int4: critical
        CREATE SEQUENCE wide_seq AS bigint;                  -- a bigint sequence feeding an int4 column
        CREATE TABLE s2 (id int PRIMARY KEY DEFAULT nextval('wide_seq'));
        SELECT setval('wide_seq', 1800000000);               -- 83.8% of the column's limit: warning
        CREATE TABLE s3 (id bigserial PRIMARY KEY);
        SELECT setval('s3_id_seq', 1800000000);              -- far from bigint's limit: nothing
        CREATE TABLE s4 (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
        SELECT setval('s4_id_seq', 1000);
    """)
    r = apex("audit", "schema", "--only", "sequence_overflow", "--format", "json")
    got = by_key(r)
    assert set(got) == {("sequence_overflow", "public.s1_id_seq"), ("sequence_overflow", "public.wide_seq")}
    assert got[("sequence_overflow", "public.s1_id_seq")]["severity"] == "critical"
    assert "99.98%" in got[("sequence_overflow", "public.s1_id_seq")]["detail"]
    wide = got[("sequence_overflow", "public.wide_seq")]
    assert wide["severity"] == "warning" and "column public.s2.id (integer)" in wide["detail"]
    assert "ALTER COLUMN id TYPE bigint" in wide["fix"]
    r = apex("audit", "schema", "--only", "sequence_overflow", "--format", "json",
             "--threshold", "sequence_warning_ratio=0.9")
    assert set(by_key(r)) == {("sequence_overflow", "public.s1_id_seq")}


def test_index_shapes_pg_index_health_flags(apex, db):
    run(db, """
        CREATE TABLE t (id int PRIMARY KEY, vals int[], flag boolean, created timestamptz, k int NOT NULL,
                        n int, d jsonb, e jsonb);
        CREATE INDEX t_vals ON t (vals);
        CREATE INDEX t_vals_gin ON t USING gin (vals);          -- the right index for arrays: nothing
        CREATE INDEX t_flag ON t (flag);
        CREATE INDEX t_created_k ON t (created, k);
        CREATE INDEX t_k_created ON t (k, created);               -- timestamp last: nothing
        CREATE INDEX t_k_nn ON t (k) WHERE k IS NOT NULL;
        CREATE INDEX t_n_nn ON t (n) WHERE n IS NOT NULL;         -- n is nullable: nothing
        CREATE INDEX t_d ON t USING gin (d);
        CREATE INDEX t_de ON t USING gin (d, e);
    """)
    r = apex("audit", "indexes", "--format", "json", "--only", "btree_on_array", "--only", "boolean_index",
             "--only", "timestamp_mid_index", "--only", "redundant_not_null_predicate", "--only", "intersected_index")
    assert r.exit_code == 0, r
    got = by_key(r)
    assert set(got) == {("btree_on_array", "public.t_vals"), ("boolean_index", "public.t_flag"),
                        ("timestamp_mid_index", "public.t_created_k"),
                        ("redundant_not_null_predicate", "public.t_k_nn"), ("intersected_index", "public.t_d")}
    rebuild = got[("redundant_not_null_predicate", "public.t_k_nn")]["fix"].splitlines()
    assert rebuild[0] == "CREATE INDEX CONCURRENTLY t_k_nn_apexdb_new ON public.t (k);"
    assert "USING gin (vals)" in got[("btree_on_array", "public.t_vals")]["fix"]
    coverage = r.json["summary"]["coverage"]
    assert coverage == [] or "gin" in coverage[0]


def test_heap_bloat_estimated_then_measured_with_pgstattuple(apex, db):
    run(db, """
        CREATE TABLE bloaty (id int PRIMARY KEY, pad text);
        INSERT INTO bloaty SELECT g, repeat('x', 100) FROM generate_series(1, 100000) g;
        DELETE FROM bloaty WHERE id % 10 <> 0;
        CREATE TABLE fine (id int PRIMARY KEY, pad text);
        INSERT INTO fine SELECT g, repeat('x', 100) FROM generate_series(1, 100000) g;
        CREATE TABLE narrow (id int PRIMARY KEY, v int);                -- 360 kB, 90% free after VACUUM
        INSERT INTO narrow SELECT g, g FROM generate_series(1, 10000) g;
        DELETE FROM narrow WHERE id % 10 <> 0;
    """)
    for table in ("bloaty", "fine", "narrow"):
        db.sql(f"VACUUM ANALYZE {table}")
    r = apex("audit", "vacuum", "--only", "table_bloat", "--format", "json")
    assert r.exit_code == 0, r
    got = by_key(r)
    assert set(got) == {("table_bloat", "public.bloaty"), ("table_bloat", "public.narrow")}
    assert "estimated from pg_stats" in got[("table_bloat", "public.bloaty")]["detail"]
    assert any("pgstattuple is not installed" in n for n in r.json["summary"]["notes"])
    assert "pgstattuple is not installed" in r.stderr
    db.sql("CREATE EXTENSION pgstattuple")
    r = apex("audit", "vacuum", "--only", "table_bloat", "--format", "json")
    got = by_key(r)
    assert set(got) == {("table_bloat", "public.bloaty"), ("table_bloat", "public.narrow")}
    detail = got[("table_bloat", "public.bloaty")]["detail"]
    assert "measured with pgstattuple_approx" in detail
    assert not r.json["summary"]["notes"]


def test_rewritten_vector_rows_bloat_the_toast_table(apex, db):
    db.sql("CREATE EXTENSION IF NOT EXISTS pgstattuple")
    run(db, """
        CREATE TABLE vt (id int PRIMARY KEY, e vector(1000));
        INSERT INTO vt SELECT g, array_fill(random()::real, ARRAY[1000])::vector FROM generate_series(1, 2000) g;
        UPDATE vt SET e = array_fill(0.5::real, ARRAY[1000])::vector;   -- re-embedding
    """)
    db.sql("VACUUM ANALYZE vt")
    r = apex("audit", "vacuum", "--only", "table_bloat", "--format", "json")
    got = by_key(r)
    assert ("table_bloat", "public.vt (TOAST)") in got, r
    assert "its TOAST table" in got[("table_bloat", "public.vt (TOAST)")]["detail"]


def test_int4_key_on_a_big_table(apex, db):
    run(db, "CREATE TABLE events (id int PRIMARY KEY); INSERT INTO events SELECT generate_series(1, 2000)")
    db.sql("ANALYZE events")
    assert not [k for k in findings(apex("audit", "schema", "--format", "json")) if k[0] == "int4_key_on_big_table"]
    r = apex("audit", "schema", "--format", "json", "--threshold", "int4_key_min_rows=1000")
    assert ("int4_key_on_big_table", "public.events.id") in findings(r)


def test_heap_bloat_of_a_table_never_analyzed_is_estimated_from_sampled_rows(apex, db):
    run(db, """
        CREATE TABLE churn (id int PRIMARY KEY, pad text) WITH (autovacuum_enabled = false);
        INSERT INTO churn SELECT g, repeat('x', 60) FROM generate_series(1, 20000) g;
        DELETE FROM churn WHERE id % 10 <> 0;
        CREATE TABLE steady (id int PRIMARY KEY, pad text) WITH (autovacuum_enabled = false);
        INSERT INTO steady SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
    """)
    db.sql("VACUUM churn")  # no ANALYZE: pg_stats has nothing for either table
    db.sql("VACUUM steady")
    r = apex("audit", "vacuum", "--only", "table_bloat", "--format", "json")
    got = by_key(r)
    assert set(got) == {("table_bloat", "public.churn")}, r
    assert "estimated from sampled rows: never analyzed" in got[("table_bloat", "public.churn")]["detail"]
