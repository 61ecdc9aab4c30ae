"""Clusters: a primary and its streaming replicas, audited and measured as one.

A cluster is ``[clusters.NAME] members = ["p", "r1", ...]`` in the config file, naming
``[targets.*]``. apexdb connects to every member at once, finds each one's role itself
(``pg_is_in_recovery()``), and refuses members whose system identifiers differ (they are
not one cluster). Everything it runs on a member is read-only; fixes are applied on the
primary only.

Public API::

    from apexdb.ops.cluster import open_cluster, audit_cluster
    with open_cluster("main") as cluster:          # members, roles, reachability
        reports = audit_cluster(cluster, kinds=("indexes", "replication"))

- ``members``: connecting, role detection, the same-cluster check (:class:`Cluster`);
- ``usage``: index scans summed over members, so "unused" means unused everywhere;
- ``health``: replication health (lag, paused replay, WAL receiver, slots, synchronous
  standbys, recovery conflicts, settings that differ from the primary's);
- ``audit``: ``audit KIND --cluster`` over all of that; ``stats``: merged statistics.
"""
from __future__ import annotations

from apexdb.ops.cluster.members import Cluster, Member, open_cluster, single_member

__all__ = ["Cluster", "Member", "open_cluster", "single_member", "audit_cluster", "CLUSTER_KINDS"]


def __getattr__(name: str):
    if name in ("audit_cluster", "CLUSTER_KINDS"):
        from apexdb.ops.cluster import audit

        return getattr(audit, name)
    raise AttributeError(name)
