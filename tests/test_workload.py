"""audit queries: a real workload driven through psycopg with server-side parameters
(so pg_stat_statements holds ``$1`` text), then the proposals and findings it leads to."""
from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from tests.conftest import Database, run_cli


def drive(db: Database, statements: list[tuple[str, list]], times: int = 15) -> None:
    """Run each statement ``times`` times with server-side parameters (prepare=True)."""
    with db.connect() as conn:
        for _ in range(times):
            for sql, params in statements:
                cur = conn.execute(sql, params, prepare=True)
                if cur.description:
                    cur.fetchall()


def audit(db: Database, *args: str, env: dict | None = None):
    return run_cli(["audit", "queries", "--format", "json", "--min-calls", "1", *args],
                   env={"APEXDB_DSN": db.dsn, **(env or {})})


def orders(db: Database, rows: int = 60_000) -> None:
    db.sql("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, status text, created_at timestamptz, "
           "note text)")
    db.sql("INSERT INTO orders SELECT g, g %% 3000, CASE WHEN g %% 10 = 0 THEN 'open' ELSE 'done' END, "
           "timestamptz '2026-01-01' - g * interval '1 minute', 'n' || g FROM generate_series(1, %s) g", [rows])
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, sku text, price int)")
    db.sql("INSERT INTO items SELECT g, 'sku' || g, g % 1000 FROM generate_series(1, 30000) g")
    db.sql("CREATE INDEX items_sku_idx ON items (sku)")
    db.sql("ANALYZE orders; ANALYZE items")


ORDER_STATEMENTS = [
    ("SELECT * FROM orders WHERE customer_id = %s", [7]),
    ("SELECT * FROM orders WHERE customer_id = %s AND created_at > %s", [7, "2025-06-01"]),
    ("SELECT price FROM items WHERE sku = %s", ["sku42"]),
]


def proposals_by_table(doc) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in doc["queries"]["proposals"]:
        out.setdefault(p["table"], []).append(p)
    return out


def test_pg_stat_statements_holds_dollar_text(db):
    orders(db)
    drive(db, ORDER_STATEMENTS, times=2)
    texts = [r[0] for r in db.sql("SELECT query FROM pg_stat_statements WHERE query LIKE '%orders WHERE%'")]
    assert "SELECT * FROM orders WHERE customer_id = $1" in texts


def test_missing_index_merged_proposal_and_served_index(db):
    orders(db)
    drive(db, ORDER_STATEMENTS)
    result = audit(db)
    assert result.exit_code == 0, result
    doc = result.json
    by_table = proposals_by_table(doc)
    assert "public.items" not in by_table  # items_sku_idx already serves sku = $1
    assert len(by_table["public.orders"]) == 1  # the two statements share customer_id: one proposal
    proposal = by_table["public.orders"][0]
    assert proposal["columns"] == ["customer_id", "created_at"]
    assert proposal["create"] == ("CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON public.orders "
                                  "(customer_id, created_at);")
    served = {s["queryid"] for s in proposal["statements"]}
    ids = {r[1]: r[0] for r in db.sql("SELECT queryid, query FROM pg_stat_statements WHERE query LIKE "
                                      "'SELECT * FROM orders WHERE%'")}
    assert served == set(ids.values())
    assert all(s["calls"] == 15 and s["total_ms"] > 0 and s["mean_ms"] > 0 for s in proposal["statements"])
    assert proposal["verified"] is None  # no HypoPG on this server
    assert any("not verified" in n for n in doc["summary"]["notes"])
    checks = [f for f in doc["findings"] if f["check"] == "query_index"]
    assert [f["object"] for f in checks] == ["public.orders (customer_id, created_at)"]
    # the per-statement seq-scan suggestions are folded into the proposal, not repeated
    assert not any(f["check"] == "query_plan" and "CREATE INDEX" in f["fix"] for f in doc["findings"])


def test_apply_creates_the_index_and_it_is_never_proposed_again(db):
    orders(db)
    drive(db, ORDER_STATEMENTS)
    before = db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'")
    result = run_cli(["audit", "queries", "--min-calls", "1", "--apply", "--yes"], env={"APEXDB_DSN": db.dsn})
    assert result.exit_code == 0, result
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'") == before + 1
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_customer_id_created_at_idx'::regclass")
    drive(db, ORDER_STATEMENTS, times=2)
    again = audit(db)
    assert "public.orders" not in proposals_by_table(again.json)


def test_fix_script_and_fail_on(db):
    orders(db)
    drive(db, ORDER_STATEMENTS)
    fix = run_cli(["audit", "queries", "--min-calls", "1", "--fix"], env={"APEXDB_DSN": db.dsn})
    assert "CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON public.orders" in fix.stdout
    failing = audit(db, "--fail-on", "warning")
    assert failing.exit_code == 1
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'") == 1  # nothing was built


def test_statements_are_only_planned_never_run(db):
    orders(db)
    db.sql("CREATE TABLE audit_log (id serial, note text)")
    drive(db, [("DELETE FROM orders WHERE customer_id = %s", [-1]),
               ("INSERT INTO audit_log (note) VALUES (%s)", ["x"])], times=3)
    rows, logs = db.scalar("SELECT count(*) FROM orders"), db.scalar("SELECT count(*) FROM audit_log")
    calls = db.scalar("SELECT sum(calls) FROM pg_stat_statements WHERE query LIKE 'INSERT INTO audit_log%'")
    assert audit(db).exit_code == 0
    assert db.scalar("SELECT count(*) FROM orders") == rows
    assert db.scalar("SELECT count(*) FROM audit_log") == logs
    assert db.scalar("SELECT sum(calls) FROM pg_stat_statements WHERE query LIKE 'INSERT INTO audit_log%'") == calls


def vectors(db: Database) -> None:
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, category int, embedding vector(3))")
    db.sql("INSERT INTO docs SELECT g, g % 50, ARRAY[(g * 7 % 101) / 101.0, (g * 13 % 97) / 97.0, "
           "(g * 17 % 89) / 89.0]::vector FROM generate_series(1, 20000) g")
    db.sql("CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding vector_l2_ops)")
    db.sql("ANALYZE docs")


def test_vector_statements(db):
    vectors(db)
    q = "[0.5,0.5,0.5]"
    drive(db, [("SELECT id FROM docs ORDER BY embedding <=> %s::vector LIMIT %s", [q, 5]),
               ("SELECT id FROM docs WHERE category = %s ORDER BY embedding <-> %s::vector LIMIT %s", [3, q, 10]),
               ("SELECT id FROM docs ORDER BY embedding <-> %s::vector LIMIT %s", [q, 100])], times=10)
    doc = audit(db).json
    vector = [f for f in doc["findings"] if f["check"] == "query_vector"]
    details = " | ".join(f["detail"] for f in vector)
    wrong = next(f for f in vector if "<=>" in f["detail"])
    assert "serves another operator" in wrong["detail"] and "vector_cosine_ops" in wrong["fix"]
    filtered = next(f for f in vector if "filtered vector search" in f["detail"])
    assert "category = $1" in filtered["detail"] and "hnsw.iterative_scan = relaxed_order" in filtered["fix"]
    above = next(f for f in vector if "exactly hnsw.ef_search = 40" in f["detail"])
    assert "LIMIT is above ef_search" in above["detail"], details


def test_filtered_vector_search_with_few_values_offers_partial_indexes(db):
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, lang text, embedding vector(3))")
    db.sql("INSERT INTO docs SELECT g, CASE WHEN g % 100 = 0 THEN 'fr' ELSE 'en' END, ARRAY[(g * 7 % 101) / 101.0, "
           "(g * 13 % 97) / 97.0, (g * 17 % 89) / 89.0]::vector FROM generate_series(1, 20000) g")
    db.sql("CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding vector_l2_ops)")
    db.sql("ANALYZE docs")
    drive(db, [("SELECT id FROM docs WHERE lang = %s ORDER BY embedding <-> %s::vector LIMIT %s",
                ["fr", "[0.5,0.5,0.5]", 10])], times=10)
    doc = audit(db).json
    filtered = next(f for f in doc["findings"] if "filtered vector search" in f["detail"])
    assert "a partial index per value" in filtered["fix"]
    assert 'USING hnsw ("embedding" vector_l2_ops) WHERE ("lang" = \'fr\');' in filtered["fix"]


def test_pg_stat_statements_not_created_is_one_note_and_the_rest_goes_on(db):
    db.sql("DROP EXTENSION pg_stat_statements")
    result = run_cli(["audit", "all", "--format", "json"], env={"APEXDB_DSN": db.dsn})
    assert result.exit_code == 0, result
    lines = [l for l in result.stderr.splitlines() if "queries:" in l]
    assert len(lines) == 1 and "CREATE EXTENSION pg_stat_statements" in lines[0]
    assert "Traceback" not in result.stderr
    assert {"indexes", "vacuum", "config", "queries"} <= set(result.json["summary"]["kinds"])
    assert any(f["check"] == "pg_stat_statements_missing" for f in result.json["findings"])
    assert result.json["queries"]["proposals"] == [] and "CREATE EXTENSION" in result.json["queries"]["unavailable"]


def role(db: Database, suffix: str) -> str:
    from psycopg.conninfo import make_conninfo

    name = f"{db.name}_{suffix}"  # roles are cluster-wide: one per test database
    db.sql(f"CREATE ROLE {name} LOGIN PASSWORD 'pw-{name}'")
    return make_conninfo(db.dsn, user=name, password=f"pw-{name}")


def test_role_that_may_not_read_pg_stat_statements(db):
    dsn = role(db, "reader")
    db.sql("REVOKE EXECUTE ON FUNCTION pg_stat_statements(boolean) FROM PUBLIC")
    result = run_cli(["audit", "queries", "--format", "json"], env={"APEXDB_DSN": dsn})
    db.sql("GRANT EXECUTE ON FUNCTION pg_stat_statements(boolean) TO PUBLIC")
    assert result.exit_code == 0, result
    assert "may not execute" in result.stderr and "Traceback" not in result.stderr
    assert result.json["findings"] == []


def test_unparsable_refused_and_forbidden_statements_are_skipped_with_reason(db):
    db.sql("SELECT pg_stat_statements_reset()")  # the suite's other tests filled it: start from this test's own
    orders(db)
    db.sql("CREATE TABLE private_notes (id int, v text)")
    db.sql("INSERT INTO private_notes SELECT g, 'v' FROM generate_series(1, 5000) g")
    dsn = role(db, "app")
    db.sql(f"GRANT pg_read_all_stats TO {db.name}_app")
    db.sql(f"GRANT SELECT ON orders TO {db.name}_app")
    with db.connect() as conn:
        for _ in range(30):  # enough calls that a busy shared server's pg_stat_statements keeps the entries
            conn.execute("SELECT * FROM private_notes WHERE id = %s", [1], prepare=True).fetchall()
            conn.execute("SELECT count(*) FROM orders WHERE created_at > now() - interval '1 day'").fetchall()
            with conn.transaction(), conn.transaction():  # psycopg's SAVEPOINT "_pg3_1": recorded as
                pass  # SAVEPOINT $1, which no parser accepts
    result = run_cli(["audit", "queries", "--format", "json", "--min-calls", "1", "--top", "500"],
                     env={"APEXDB_DSN": dsn})
    assert result.exit_code == 0, result
    skipped = result.json["queries"]["skipped"]
    reasons = " | ".join(s["reason"] for s in skipped)
    assert all(isinstance(s["queryid"], int) for s in skipped)
    assert "permission denied for table private_notes" in reasons
    assert "EXPLAIN refused it: syntax error" in reasons  # interval $1: normalised text EXPLAIN refuses
    assert "pglast" in reasons  # SAVEPOINT $1
    assert "Traceback" not in result.stderr


def test_empty_pg_stat_statements(db):
    db.sql("SELECT pg_stat_statements_reset()")
    result = audit(db)
    assert result.exit_code == 0, result
    assert result.json["queries"]["proposals"] == []
    assert not [f for f in result.json["findings"] if f["check"].startswith("query_")]


def test_limits_are_bad_input(db):
    result = audit(db, "--top", "0")
    assert result.exit_code == 2 and "at least 1" in result.stderr


@pytest.fixture
def pg15_db(pg15_server):
    from support import drop_database, new_database

    database = new_database(pg15_server)
    yield database
    drop_database(database)


def test_pg15_pg_stats_plans_and_hypopg_verification(pg15_db):
    have = Path("/usr/share/postgresql/15/extension/hypopg.control").exists()
    if not have:
        if os.environ.get("APEXDB_TEST_REQUIRE_OPTIONAL") == "1":
            pytest.fail("postgresql-15-hypopg is not installed and APEXDB_TEST_REQUIRE_OPTIONAL=1")
        pytest.skip("postgresql-15-hypopg is not installed (.ci/run installs it)")
    db = pg15_db
    db.sql("CREATE EXTENSION IF NOT EXISTS hypopg")
    db.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    orders(db)
    drive(db, ORDER_STATEMENTS)
    result = audit(db)
    assert result.exit_code == 0, result
    doc = result.json
    assert doc["queries"]["plan_method"] == "pg_stats_values"
    by_table = proposals_by_table(doc)
    assert "public.items" not in by_table
    [proposal] = by_table["public.orders"]
    assert proposal["columns"] == ["customer_id", "created_at"]
    assert proposal["verified"] is True
    assert proposal["cost_after"] < proposal["cost_before"]
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'") == 1  # only hypothetical


def test_vector_index_never_used_and_ivfflat_probes(db):
    db.sql("CREATE TABLE docs (id bigint PRIMARY KEY, embedding vector(3))")
    db.sql("INSERT INTO docs SELECT g, ARRAY[(g * 7 % 101) / 101.0, (g * 13 % 97) / 97.0, (g * 17 % 89) / 89.0]"
           "::vector FROM generate_series(1, 20000) g")
    db.sql("CREATE INDEX docs_cos_idx ON docs USING hnsw (embedding vector_cosine_ops)")
    db.sql("CREATE TABLE clusters (id bigint PRIMARY KEY, embedding vector(3))")
    db.sql("INSERT INTO clusters SELECT id, embedding FROM docs")
    db.sql("CREATE INDEX clusters_ivf ON clusters USING ivfflat (embedding vector_l2_ops) WITH (lists = 10)")
    db.sql("ANALYZE docs; ANALYZE clusters")
    db.sql(f'ALTER DATABASE "{db.name}" SET ivfflat.probes = 10')
    q = "[0.5,0.5,0.5]"
    drive(db, [("SELECT id FROM docs ORDER BY embedding <-> %s::vector LIMIT %s", [q, 5]),
               ("SELECT id FROM clusters ORDER BY embedding <-> %s::vector LIMIT %s", [q, 5])], times=5)
    details = " | ".join(f["detail"] for f in audit(db).json["findings"] if f["check"] == "query_vector")
    assert "docs_cos_idx on embedding never served a scan" in details
    assert "ivfflat.probes = 10 searches all of the index's 10 lists" in details


def test_which_existing_index_serves_a_candidate():
    from apexdb.ops.workload.candidates import Candidate
    from apexdb.ops.workload.proposals import serves

    def cand(eq, rng=None):
        return Candidate("public", "t", 1, 10_000, eq, rng)

    assert serves(["a"], [], cand(["a"]))  # the same index
    assert serves(["a", "b", "c"], [], cand(["a"]))  # a leading prefix
    assert serves(["b", "a"], [], cand(["a", "b"]))  # equality columns in any order
    assert serves(["a", "d"], [], cand(["a"], "d"))  # then the range column
    assert serves(["a"], ["d"], cand(["a"], "d"))  # covering: the range column in INCLUDE
    assert not serves(["b", "a"], [], cand(["a"]))  # a is not leading
    assert not serves(["d", "a"], [], cand(["a"], "d"))  # the range column ahead of the equality one
    assert not serves([None, "a"], [], cand(["a"]))  # an expression leads


def test_join_column_of_the_big_side_is_proposed(db):
    orders(db)
    db.sql("CREATE TABLE customers (id int PRIMARY KEY, email text)")
    db.sql("INSERT INTO customers SELECT g, 'c' || g || '@x' FROM generate_series(0, 2999) g")
    db.sql("ANALYZE customers")
    drive(db, [("SELECT o.id FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.email = %s",
                ["c7@x"])], times=5)
    by_table = proposals_by_table(audit(db).json)
    assert [p["columns"] for p in by_table["public.customers"]] == [["email"]]
    assert [p["columns"] for p in by_table["public.orders"]] == [["customer_id"]]
