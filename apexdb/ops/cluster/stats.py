"""``stats queries|indexes|tables --cluster``: each member's statistics, merged.

Every member counts only what ran on it; merged, a search that is heavy on the replicas
shows up, with where it runs. Statements merge by queryid (and role with ``all_users``),
indexes and tables by name. Each member's own figures stay in ``per_member``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from apexdb.ops.cluster.members import Cluster

MEMBER_FETCH = 1000  # statements read per member before merging (the top by the sort key)


@dataclass
class MergedStats:
    rows: list[dict[str, Any]]
    members: list[str]  # the members whose figures are in the rows
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self, cluster: Cluster) -> dict[str, Any]:
        return {"cluster": cluster.as_json(), "rows": self.rows, "members_counted": self.members,
                "notes": self.notes, **self.extra}


def _per_member(cluster: Cluster, work: Callable, notes: list[str]) -> dict[str, Any]:
    """``work(conn)`` on each reachable member; members that fail or cannot be reached become notes."""
    from apexdb.errors import ApexdbError

    out = {}
    for m in cluster.members:
        if not m.reachable:
            notes.append(f"{m.name}: not counted: {m.error}")
    for name, result in cluster.each(lambda m: work(m.conn)).items():
        if isinstance(result, ApexdbError):
            notes.append(f"{name}: not counted: {result.message}")
        elif isinstance(result, Exception):
            raise result
        else:
            out[name] = result
    return out


def _where(per: dict[str, dict[str, Any]], key: str) -> str:
    total = sum(v.get(key) or 0 for v in per.values())
    if not total:
        return ", ".join(per)
    shares = sorted(((v.get(key) or 0) / total, name) for name, v in per.items())
    return ", ".join(f"{name} {share:.0%}" for share, name in reversed(shares) if share > 0)


SORT_KEYS = {"total": "total_ms", "mean": "mean_ms", "calls": "calls", "rows": "rows", "io": "io_ms",
             "temp": "temp_blks"}


def cluster_statements(cluster: Cluster, *, sort: str = "total", limit: int = 20, min_calls: int = 1,
                       all_users: bool = False) -> MergedStats:
    from apexdb.ops.stats import top_statements

    notes: list[str] = []
    reports = _per_member(cluster, lambda conn: top_statements(
        conn, sort=sort, limit=max(limit, MEMBER_FETCH), min_calls=min_calls, all_users=all_users), notes)
    merged: dict[tuple, dict[str, Any]] = {}
    for name, report in reports.items():
        for r in report.rows:
            key = (r.get("role") if all_users else None, r["queryid"])
            row = merged.setdefault(key, {"queryid": r["queryid"], "role": r.get("role"), "query": r["query"],
                                          "calls": 0, "total_ms": 0.0, "max_ms": 0.0, "rows": 0, "temp_blks": 0,
                                          "io_ms": 0.0, "shared_blks_hit": 0, "shared_blks_read": 0,
                                          "per_member": {}})
            for k in ("calls", "total_ms", "rows", "temp_blks", "io_ms", "shared_blks_hit", "shared_blks_read"):
                row[k] += r.get(k) or 0
            row["max_ms"] = max(row["max_ms"], r.get("max_ms") or 0)
            row["per_member"][name] = {"calls": r["calls"], "total_ms": r["total_ms"], "mean_ms": r["mean_ms"]}
    grand = sum(rep.total_ms for rep in reports.values())
    for row in merged.values():
        row["mean_ms"] = row["total_ms"] / row["calls"] if row["calls"] else None
        reads = row["shared_blks_hit"] + row["shared_blks_read"]
        row["hit_ratio"] = row["shared_blks_hit"] / reads if reads else None
        row["share"] = row["total_ms"] / grand if grand else None
        row["runs_on"] = _where(row["per_member"], "calls")
    rows = sorted(merged.values(), key=lambda r: r.get(SORT_KEYS[sort]) or 0, reverse=True)[:limit]
    for name, report in reports.items():
        notes.extend(f"{name}: {n}" for n in report.notes if "--all-users" not in n)
    if not all_users:
        notes.append("only this role's statements; --all-users shows every role's")
    return MergedStats(rows, list(reports), notes, {"statements": len(merged)})


def cluster_index_stats(cluster: Cluster, *, limit: int = 50) -> MergedStats:
    from apexdb.ops.stats import index_stats

    return _merge_relations(cluster, lambda conn: index_stats(conn, limit), ("schema", "index"),
                            ("scans", "tuples_read", "tuples_fetched"), "scans", "last_scan")


def cluster_table_stats(cluster: Cluster, *, limit: int = 50) -> MergedStats:
    from apexdb.ops.stats import table_stats

    merged = _merge_relations(cluster, lambda conn: table_stats(conn, limit), ("schema", "table"),
                              ("seq_scan", "seq_tup_read", "idx_scan"), "idx_scan", "last_seq_scan")
    for row in merged.rows:  # sizes, rows and dead tuples: the primary's (replicas do not count them)
        scans = (row["idx_scan"] or 0) + (row["seq_scan"] or 0)
        row["index_scan_ratio"] = (row["idx_scan"] or 0) / scans if scans else None
    return merged


def _merge_relations(cluster: Cluster, work: Callable, key: tuple[str, str], summed: tuple[str, ...],
                     spread: str, last: str) -> MergedStats:
    notes: list[str] = []
    per = _per_member(cluster, work, notes)
    primary = cluster.primary.name if cluster.primary and cluster.primary.name in per else None
    order = ([primary] if primary else []) + [n for n in per if n != primary]
    merged: dict[tuple, dict[str, Any]] = {}
    for name in order:
        for r in per[name]:
            row = merged.setdefault((r[key[0]], r[key[1]]), {**r, **{k: 0 for k in summed}, last: None,
                                                             "per_member": {}})
            for k in summed:
                row[k] += r.get(k) or 0
            if r.get(last) and (row[last] is None or r[last] > row[last]):
                row[last] = r[last]
            row["per_member"][name] = {k: r.get(k) for k in summed}
    for row in merged.values():
        row["runs_on"] = _where(row["per_member"], spread)
    if not primary:
        notes.append("no primary counted: sizes, rows and dead tuples are a replica's")
    return MergedStats(list(merged.values()), order, notes)
