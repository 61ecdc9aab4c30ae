"""Version-sensitive behaviour, on PostgreSQL 18 (embedded) and Debian's PostgreSQL 15 (no pgvector)."""
from __future__ import annotations

from support import run_cli


def test_info_on_each_server_version(any_db):
    r = run_cli(["info", "--format", "json"], env={"APEXDB_DSN": any_db.dsn})
    assert r.exit_code == 0, r
    doc = r.json
    major = doc["server"]["server_version_num"] // 10000
    if major == 15:
        assert doc["vector_version"] is None and doc["vector_available"] is False
        assert not any(s["name"].startswith("hnsw.") for s in doc["settings"])
    else:
        assert doc["vector_version"]


def test_info_table_says_pgvector_is_missing(any_db):
    r = run_cli(["info"], env={"APEXDB_DSN": any_db.dsn})
    assert r.exit_code == 0, r
    if "PostgreSQL 15" in r.stdout:
        assert "not available on this server" in r.stdout
