"""Read-only commands work unchanged behind PgBouncer in transaction mode."""
from __future__ import annotations

import pytest

from conftest import run_cli


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
