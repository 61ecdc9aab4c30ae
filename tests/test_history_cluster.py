"""History over a real primary and its streaming replica: a replica's statistics are stored on the
primary (the replica is read-only) and read back on the replica through replication."""
from __future__ import annotations

import pytest

from support import one_clear_line
from support.cluster import SEARCH, replica_search_schema
from support.history import SCHEMA

pytestmark = pytest.mark.replica


def test_a_replica_is_snapshotted_through_its_cluster(cluster):
    replica_search_schema(cluster)
    r = cluster("snapshot", "init", "--target", "r1", "--yes")
    assert r.exit_code == 2 and "read-only replica" in one_clear_line(r)
    assert cluster("snapshot", "init", "--target", "p", "--yes").exit_code == 0
    cluster.sync()
    r = cluster("snapshot", "--target", "r1")
    line = one_clear_line(r)
    assert r.exit_code == 2
    assert line.endswith("r1 is a read-only replica: snapshot it with --cluster main to store its statistics on "
                         "the primary (p)")
    assert cluster.db.scalar(f"SELECT count(*) FROM {SCHEMA}.snapshot") == 0

    r = cluster("snapshot", "--cluster", "main", "--format", "json")
    assert r.exit_code == 0, r
    assert [(s["member"], s["role"], s["baseline"]) for s in r.json["snapshots"]] == [
        ("primary", "primary", True), ("r1", "replica", True)]
    ids = {row[0] for row in cluster.db.sql(f"SELECT DISTINCT system_identifier FROM {SCHEMA}.snapshot")}
    assert len(ids) == 1 and None not in ids  # one cluster: the same system identifier, told apart by member
    cluster.db.sql(f"UPDATE {SCHEMA}.snapshot SET taken_at = taken_at - interval '2 hours'")

    cluster.on_replica(SEARCH, SEARCH, SEARCH)  # searches on the replica only
    r = cluster("snapshot", "--cluster", "main", "--format", "json")
    replica = next(s for s in r.json["snapshots"] if s["member"] == "r1")
    assert replica["statements_changed"] >= 1 and replica["relations"] >= 1
    cluster.sync()

    # read on the replica itself: the primary's schema reached it by replication
    r = cluster("stats", "queries", "--since", "1h", "--target", "r1", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["member"] == "r1"
    search = next(x for x in r.json["rows"] if "ORDER BY emb <->" in x["query"])
    assert (search["calls_before"], search["calls_after"]) == (0, 3)
    primary = cluster("stats", "queries", "--since", "1h", "--target", "p", "--format", "json")
    assert not [x for x in primary.json["rows"] if "ORDER BY emb <->" in x["query"]]  # it ran on r1 only

    r = cluster("stats", "indexes", "--growth", "1h", "--target", "r1", "--format", "json")
    scans = {x["relation"]: x["scans_since"] for x in r.json["rows"]}
    assert scans["public.docs_emb_idx"] == 3  # vector-index scans counted on the replica
