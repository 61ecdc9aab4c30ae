"""Read-only commands work unchanged behind PgBouncer in transaction mode."""
from __future__ import annotations

import pytest

from support import run_cli


@pytest.fixture
def via_bouncer(db, pgbouncer):
    dsn = pgbouncer(db.name)

    def invoke(*args):
        return run_cli([*args, "--dsn", dsn])

    return invoke


def test_info_through_pgbouncer(via_bouncer, db):
    for _ in range(3):  # several commands in a row reuse the pooled server connections
        r = via_bouncer("info", "--format", "json")
        assert r.exit_code == 0, r
        assert r.json["server"]["database"] == db.name
        assert r.json["vector_version"]


def test_read_only_commands_through_pgbouncer(via_bouncer, db):
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, title text, embedding vector(3))")
    db.sql("INSERT INTO items SELECT g, 'item ' || g, format('[%s,%s,1]', g % 7, g % 5)::vector "
           "FROM generate_series(1, 300) g")
    db.sql("CREATE INDEX ON items USING hnsw (embedding vector_l2_ops)")
    db.sql("ANALYZE items")
    runs = {
        "stats queries": via_bouncer("stats", "queries", "--format", "json"),
        "stats tables": via_bouncer("stats", "tables", "--format", "json"),
        "stats activity": via_bouncer("stats", "activity", "--format", "json"),
        "audit all": via_bouncer("audit", "all", "--format", "json"),
        "search": via_bouncer("search", "items", "--like", "3", "--k", "5", "--format", "json"),
        "search compare": via_bouncer("search", "items", "--like", "3", "--k", "5", "--compare", "--ef-search", "100"),
        "explain": via_bouncer("explain", "--analyze", "SELECT id FROM items ORDER BY embedding <-> '[1,1,1]' LIMIT 5"),
    }
    for name, r in runs.items():
        assert r.exit_code in (0, 1), (name, r)
        assert "Traceback" not in r.stderr, (name, r)
    assert len(runs["search"].json) == 5
    assert any(row["table"] == "items" or row.get("name") == "items" for row in runs["stats tables"].json)
