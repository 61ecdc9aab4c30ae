"""The plan-reading causes explain names (casts, sort + limit, heap fetches, lossy bitmaps,
workers, materialized scans) and parallel time shares that add up, on real plans."""
from __future__ import annotations

import psycopg

from apexdb.ops.explain import ExplainOptions, explain


def run(db, sql: str, settings: dict[str, str] | None = None, analyze: bool = True):
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        for name, value in (settings or {}).items():
            conn.execute("SELECT set_config(%s, %s, false)", [name, value])
        return explain(conn, sql, ExplainOptions(analyze=analyze))


def messages(report) -> str:
    return " | ".join(f"{f.message} => {f.fix}" for f in report.findings)


def table(db, rows: int = 50_000, autovacuum: bool = True) -> None:
    db.sql(f"CREATE TABLE t (id int PRIMARY KEY, created_at timestamptz, k int, v text)"
           f"{'' if autovacuum else ' WITH (autovacuum_enabled = off)'}")
    db.sql("INSERT INTO t SELECT g, timestamptz '2026-01-01' - g * interval '1 s', g %% 100, repeat('x', 50) "
           "FROM generate_series(1, %s) g", [rows])
    db.sql("ANALYZE t")


def test_implicit_cast_names_the_literal_type_not_statistics(db):
    table(db)
    report = run(db, "SELECT * FROM t WHERE id::numeric = 42.0")
    text = messages(report)
    assert "integer column id is cast to numeric" in text
    assert "id = <integer value>" in text
    assert "SET STATISTICS" not in text and "ANALYZE public.t" not in text and "CREATE STATISTICS" not in text


def test_varchar_to_text_is_not_a_hiding_cast(db):
    db.sql("CREATE TABLE c (code varchar(20) PRIMARY KEY)")
    db.sql("INSERT INTO c SELECT 'c' || g FROM generate_series(1, 20000) g")
    db.sql("ANALYZE c")
    assert "is cast to" not in messages(run(db, "SELECT * FROM c WHERE code = 'c42'"))


def test_order_by_limit_sorting_the_whole_table(db):
    table(db)
    report = run(db, "SELECT * FROM t ORDER BY created_at DESC LIMIT 10")
    finding = next(f for f in report.findings if "ORDER BY created_at DESC LIMIT" in f.message)
    assert finding.fix.startswith("CREATE INDEX CONCURRENTLY t_created_at_idx ON public.t (created_at DESC)")
    db.sql("CREATE INDEX ON t (created_at)")
    assert "ORDER BY created_at" not in messages(run(db, "SELECT * FROM t ORDER BY created_at DESC LIMIT 10"))


def test_index_only_scan_with_stale_visibility_map(db):
    table(db, autovacuum=False)
    report = run(db, "SELECT id FROM t WHERE id < 40000",
                 {"enable_seqscan": "off", "enable_bitmapscan": "off"})
    assert any(n.node_type == "Index Only Scan" for n in report.run.plan.nodes())
    finding = next(f for f in report.findings if "visibility map is stale" in f.message)
    assert finding.fix.startswith("VACUUM (ANALYZE) public.t")


def test_lossy_bitmap_heap_scan(db):
    table(db, rows=200_000)
    report = run(db, "SELECT count(*) FROM t WHERE id < 150000",
                 {"work_mem": "64kB", "enable_seqscan": "off", "enable_indexscan": "off",
                  "enable_indexonlyscan": "off"})
    finding = next(f for f in report.findings if "bitmap went lossy" in f.message)
    assert "SET work_mem" in finding.fix


def test_parallel_workers_not_launched_and_shares_add_up(db):
    table(db, rows=200_000)
    parallel = {"parallel_setup_cost": "0", "parallel_tuple_cost": "0", "min_parallel_table_scan_size": "0",
                "max_parallel_workers_per_gather": "2"}
    report = run(db, "SELECT k, count(*) FROM t GROUP BY k ORDER BY k", parallel)
    nodes = report.run.plan.nodes()
    assert any(n.node_type in ("Gather", "Gather Merge") for n in nodes)
    shares = [n.share for n in nodes if n.share is not None]
    assert all(s <= 1.0 for s in shares)
    assert sum(shares) <= 1.01
    starved = run(db, "SELECT k, count(*) FROM t GROUP BY k ORDER BY k", {**parallel, "max_parallel_workers": "0"})
    assert "0 of 2 planned parallel workers were launched" in messages(starved)


def test_materialized_cte_scanned_per_row(db):
    db.sql("CREATE TABLE small (id int)")
    db.sql("INSERT INTO small SELECT g FROM generate_series(1, 300) g")
    db.sql("ANALYZE small")
    sql = ("WITH c AS MATERIALIZED (SELECT g AS x FROM generate_series(1, 1000) g) "
           "SELECT count(*) FROM small s JOIN c ON c.x = s.id")
    report = run(db, sql, {"enable_hashjoin": "off", "enable_mergejoin": "off"})
    finding = next(f for f in report.findings if "materialized and scanned 1,000 times" in f.message
                   or "materialized and scanned 300 times" in f.message)
    assert "NOT MATERIALIZED" in finding.fix or "equality condition" in finding.fix


def test_index_scan_whose_filter_discards_most_rows(db):
    db.sql("CREATE TABLE t (id int, k int, created_at timestamptz)")
    db.sql("INSERT INTO t SELECT g, g % 10, timestamptz '2026-01-01' - g * interval '1 s' "
           "FROM generate_series(1, 100000) g")
    db.sql("CREATE INDEX t_k_idx ON t (k)")
    db.sql("ANALYZE t")
    report = run(db, "SELECT * FROM t WHERE k = 5 AND created_at < timestamptz '2026-01-01' - interval '95000 s'",
                 {"enable_seqscan": "off", "enable_bitmapscan": "off"})
    finding = next(f for f in report.findings if "threw away" in f.message)
    assert finding.fix.startswith("CREATE INDEX CONCURRENTLY t_k_created_at_idx ON public.t (k, created_at)")
