"""The optional parts of the test machine (pgbouncer, Debian's PostgreSQL 15, HypoPG).

A test that needs one skips with a one-line reason where it is missing, so the README's test
command passes on a fresh machine; with APEXDB_TEST_REQUIRE_OPTIONAL set (``.ci/run`` sets it
and installs them) the same test fails instead, so CI never skips them silently.
"""
from __future__ import annotations

import pytest

from support import REQUIRE_OPTIONAL, require_optional


def test_a_missing_part_skips_with_its_reason(monkeypatch):
    monkeypatch.delenv(REQUIRE_OPTIONAL, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^pgbouncer is not on PATH \(\.ci/run installs"):
        require_optional("pgbouncer is not on PATH (.ci/run installs Debian's pgbouncer)")


@pytest.mark.parametrize("value", ["1", "yes"])
def test_a_missing_part_fails_when_ci_requires_it(monkeypatch, value):
    monkeypatch.setenv(REQUIRE_OPTIONAL, value)
    with pytest.raises(pytest.fail.Exception, match=f"pgbouncer is not on PATH, and {REQUIRE_OPTIONAL} is set"):
        require_optional("pgbouncer is not on PATH")


def test_hypopg_on_postgresql_15_makes_hypothetical_indexes_the_planner_uses(hypopg_db):
    hypopg_db.sql("CREATE TABLE t (id int, kind text)")
    hypopg_db.sql("INSERT INTO t SELECT g, 'k' || (g % 500) FROM generate_series(1, 20000) g")
    hypopg_db.sql("ANALYZE t")
    with hypopg_db.connect() as conn:  # hypothetical indexes live in the session that made them
        name = conn.execute("SELECT indexname FROM hypopg_create_index('CREATE INDEX ON t (kind)')").fetchone()[0]
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN SELECT * FROM t WHERE kind = 'k7'"))
    assert name in plan, plan
    assert hypopg_db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 't'") == 0  # nothing real was built
