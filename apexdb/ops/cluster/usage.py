"""Index usage over every member of a cluster.

Each server counts only the scans of queries it ran: an index the replicas scan for every
vector search shows 0 scans on the primary. The audit's index catalog takes its scan
counts from here instead (``run_audit(index_usage=...)``): summed over the members, with
each member's count kept for the finding. Physical replicas share the primary's catalog,
so an index has the same OID everywhere. When a member's counts are missing (it cannot be
reached, or no primary is among the members), "unused" cannot be proven and is withheld.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexdb.ops.cluster.members import Cluster


@dataclass
class IndexUsage:
    order: list[str]  # member names, as the config lists them
    counts: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)  # member -> index oid -> row
    missing: dict[str, str] = field(default_factory=dict)  # member -> why its counts are not here

    @classmethod
    def gather(cls, cluster: Cluster) -> "IndexUsage":
        from apexdb.db.connection import read_only
        from apexdb.db.queries import fetch

        def read(member):
            with read_only(member.conn):
                return {int(r["index_oid"]): r for r in fetch(member.conn, "cluster_index_usage")}

        usage = cls([m.name for m in cluster.members])
        for member in cluster.members:
            if not member.reachable:
                usage.missing[member.name] = "could not be reached"
        for name, result in cluster.each(read).items():
            if isinstance(result, Exception):
                usage.missing[name] = f"could not be read ({' '.join(str(result).split())[:120]})"
            else:
                usage.counts[name] = result
        if cluster.primary is None:
            usage.missing["primary"] = "is not among the members"
        return usage

    @property
    def withheld(self) -> str | None:
        """Why no index can be proven unused, or None when every member's counts are here."""
        if not self.missing:
            return None
        return "; ".join(f"{name} {why}" for name, why in self.missing.items())

    def scans_of(self, ix: dict[str, Any]) -> dict[str, int | None]:
        oid = int(ix["index_oid"])
        return {name: (self.counts[name].get(oid) or {}).get("scans") if name in self.counts else None
                for name in self.order}

    def merge(self, ix: dict[str, Any]) -> None:
        """Replace one server's catalog row's scans with the sum over the members (and keep each)."""
        per = self.scans_of(ix)
        known = [v for v in per.values() if v is not None]
        ix["scans_by_member"] = per
        ix["scans"] = sum(known) if known else None
        oid = int(ix["index_oid"])
        lasts = [row[oid]["last_scan"] for row in self.counts.values() if oid in row and row[oid].get("last_scan")]
        ix["last_idx_scan"] = max(lasts) if lasts else None

    def describe(self, ix: dict[str, Any]) -> str:
        parts = ", ".join(f"{name}: {'?' if v is None else v}" for name, v in self.scans_of(ix).items())
        if self.withheld:
            return (f"scans per member ({parts}); {self.withheld}, so it is not judged unused and no fix is "
                    "offered")
        return f"0 scans on every member of the cluster ({parts})"
