"""Bad input for ``--cluster``: each a one-line error, exit 2, nothing run; and a replica alone."""
from __future__ import annotations

import pytest

from support import AUDIT_SMALL as SMALL
from support.cluster import by_check, replica_search_schema

pytestmark = pytest.mark.replica


def one_line_error(r, *needles: str) -> None:
    assert r.exit_code == 2, r
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1, r
    assert "Traceback" not in r.stderr
    for needle in needles:
        assert needle in r.stderr, r


def test_a_cluster_naming_an_unknown_target(cluster):
    cluster.write({"p": cluster.db.dsn}, ["p", "nope"])
    one_line_error(cluster("audit", "all", "--cluster", "main"), "cluster 'main' names unknown target(s) nope")
    one_line_error(cluster("info", "--cluster", "other"), "unknown cluster 'other' (clusters in", "main")


def test_an_empty_members_list(cluster):
    cluster.write({"p": cluster.db.dsn}, [])
    for args in (["audit", "indexes"], ["stats", "queries"], ["info"]):
        one_line_error(cluster(*args, "--cluster", "main"), "cluster 'main'", "empty members list")


def test_members_of_different_clusters(cluster, pg15_server):
    cluster.write({"p": cluster.db.dsn, "r1": cluster.replica_dsn, "other": pg15_server.dsn("postgres")},
                  ["p", "r1", "other"])
    r = cluster("audit", "all", "--cluster", "main")
    one_line_error(r, "the members of cluster 'main' are not one cluster", "p, r1 has system identifier",
                   "other has system identifier")


def test_cluster_with_dsn_or_target(cluster):
    one_line_error(cluster("audit", "indexes", "--cluster", "main", "--dsn", cluster.db.dsn),
                   "give --cluster or --dsn, not both")
    one_line_error(cluster("audit", "indexes", "--cluster", "main", "--target", "p"),
                   "give --cluster or --target/--all-targets, not both")
    one_line_error(cluster("stats", "indexes", "--cluster", "main", "--dsn", cluster.db.dsn),
                   "give --cluster or --dsn, not both")
    one_line_error(cluster("info", "--cluster", "main", "--target", "p"), "give --cluster or --target, not both")
    one_line_error(cluster("stats", "queries", "--cluster", "main", "--reset"), "--reset works on one server")


def test_a_replica_as_the_only_member(cluster):
    replica_search_schema(cluster)
    cluster.write({"r1": cluster.replica_dsn}, ["r1"])
    r = cluster("audit", "all", "--cluster", "main", *SMALL, "--threshold", "ram_bytes=64GB", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["cluster"]["primary"] is None
    assert [m["role"] for m in r.json["cluster"]["members"]] == ["replica"]
    assert "no primary among the members of cluster 'main'" in r.stderr
    unused = by_check(r.json, "unused_index")
    assert unused["public.docs_category_idx"]["severity"] == "info"  # not provable without the primary's scans
    assert "primary is not among the members" in unused["public.docs_category_idx"]["detail"]
    assert unused["public.docs_category_idx"]["fix"] == ""
    assert "vacuum: not checked" in r.stderr
    info = cluster("info", "--cluster", "main", "--format", "json")
    assert info.exit_code == 0 and info.json["members"][0]["role"] == "replica"
