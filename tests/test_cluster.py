"""``--cluster``: a real primary (the session server) and a real streaming replica of it.

The first scenario of issue 15: an HNSW index every vector search uses, but only on the
replica, and a btree index used nowhere. One server's audit calls both unused; the
cluster's keeps the one the replica scans and reports the other with each member's scans.
"""
from __future__ import annotations

import pytest

from support import AUDIT_SMALL as SMALL, run_flushed as run
from support.cluster import SEARCH, by_check, replica_search_schema

pytestmark = pytest.mark.replica


def test_one_server_calls_the_replicas_index_unused_the_cluster_keeps_it(cluster, apex):
    replica_search_schema(cluster)
    single = apex("audit", "indexes", *SMALL, "--format", "json")
    assert set(by_check(single.json, "unused_index")) == {"public.docs_emb_idx", "public.docs_category_idx"}

    r = cluster("audit", "indexes", "--cluster", "main", *SMALL, "--format", "json")
    assert r.exit_code == 0, r
    unused = by_check(r.json, "unused_index")
    assert set(unused) == {"public.docs_category_idx"}
    found = unused["public.docs_category_idx"]
    assert found["severity"] == "warning" and found["target"] == "p"
    assert found["per_member"] == {"p": 0, "r1": 0}
    assert "0 scans on every member of the cluster (p: 0, r1: 0)" in found["detail"]
    assert found["fix"].startswith("DROP INDEX CONCURRENTLY public.docs_category_idx;")
    assert [m["role"] for m in r.json["cluster"]["members"]] == ["primary", "replica"]
    assert r.json["cluster"]["primary"] == "p"

    script = cluster("audit", "indexes", "--cluster", "main", *SMALL, "--fix").stdout
    assert "DROP INDEX CONCURRENTLY public.docs_category_idx;" in script
    assert "docs_emb_idx" not in script  # no fix may drop what a member scans


def test_stats_indexes_shows_where_an_index_is_scanned(cluster):
    replica_search_schema(cluster)
    r = cluster("stats", "indexes", "--cluster", "main", "--format", "json")
    assert r.exit_code == 0, r
    rows = {row["index"]: row for row in r.json["rows"]}
    assert rows["docs_emb_idx"]["per_member"]["r1"]["scans"] == 2
    assert rows["docs_emb_idx"]["per_member"]["p"]["scans"] == 0
    assert rows["docs_emb_idx"]["scans"] == 2 and rows["docs_emb_idx"]["runs_on"] == "r1 100%"
    table = cluster("stats", "indexes", "--cluster", "main").stdout
    assert "docs_emb_idx" in table and "r1 100%" in table


def test_stats_queries_merges_by_queryid_and_shows_where_each_runs(cluster):
    replica_search_schema(cluster)
    cluster.db.sql("SELECT count(*) FROM docs WHERE category = 3")
    cluster.on_replica(SEARCH)  # three searches on the replica in all, none on the primary
    r = cluster("stats", "queries", "--cluster", "main", "--all-users", "--format", "json", "--limit", "50")
    assert r.exit_code == 0, r
    search = [row for row in r.json["rows"] if "ORDER BY emb <->" in row["query"]]
    assert len(search) == 1, r.json["rows"]
    assert search[0]["per_member"]["r1"]["calls"] == 3 and "p" not in search[0]["per_member"]
    assert search[0]["runs_on"] == "r1 100%"
    assert r.json["members_counted"] == ["p", "r1"]


def test_info_shows_each_members_role_version_and_lag(cluster):
    cluster.sync()
    r = cluster("info", "--cluster", "main", "--format", "json")
    assert r.exit_code == 0, r
    members = {m["member"]: m for m in r.json["members"]}
    assert members["p"]["role"] == "primary" and members["p"]["standbys"] >= 1
    assert members["r1"]["role"] == "replica" and members["r1"]["streaming"] is True
    assert members["r1"]["lag_seen_from"] == "p" and members["r1"]["lag_bytes"] is not None
    assert members["p"]["server_version"].startswith("18")
    assert members["p"]["system_identifier"] == members["r1"]["system_identifier"]
    table = cluster("info", "--cluster", "main")
    assert "primary" in table.stdout and "replica" in table.stdout


def test_unreachable_member_is_critical_and_withholds_the_unused_verdict(cluster, tmp_path):
    replica_search_schema(cluster)
    run(cluster.db, "CREATE INDEX docs_category_copy ON docs (category)")
    gone = f"postgresql://postgres@/{cluster.db.name}?host={tmp_path}/nowhere&port=5999&connect_timeout=2"
    cluster.write({"p": cluster.db.dsn, "r1": cluster.replica_dsn, "r2": gone}, ["p", "r1", "r2"])
    r = cluster("audit", "indexes", "--cluster", "main", *SMALL, "--format", "json")
    assert r.exit_code == 1, r  # a critical finding at the default --fail-on critical
    down = by_check(r.json, "unreachable_target")
    assert down["r2"]["severity"] == "critical" and down["r2"]["target"] == "r2"
    unused = by_check(r.json, "unused_index")["public.docs_category_idx"]
    assert unused["severity"] == "info" and unused["fix"] == ""
    assert unused["per_member"] == {"p": 0, "r1": 0, "r2": None}
    assert "r2 could not be reached, so it is not judged unused" in unused["detail"]
    assert "public.docs_emb_idx" not in by_check(r.json, "unused_index")
    # the reachable members were audited all the same: the duplicate is found (the catalog is shared)
    assert "public.docs_category_copy" in by_check(r.json, "duplicate_index")
    assert [m["role"] for m in r.json["cluster"]["members"]] == ["primary", "replica", "unreachable"]
