"""The members of a cluster: connected concurrently, each one's role found, one cluster checked.

A member that cannot be reached stays in the cluster with its error, so the others are
still audited and the unreachable one becomes a finding. Members whose system identifiers
differ are bad input: they are not a primary and its replicas, whatever the config says.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from apexdb.db.connection import Target

MAX_WORKERS = 8


@dataclass
class Member:
    name: str
    target: Target
    conn: Any = None
    error: str | None = None  # why it cannot be reached (or failed as a whole)
    facts: dict[str, Any] = field(default_factory=dict)  # the cluster_member row

    @property
    def reachable(self) -> bool:
        return self.conn is not None and self.error is None

    @property
    def role(self) -> str:
        if not self.reachable:
            return "unreachable"
        return "replica" if self.facts.get("in_recovery") else "primary"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "dsn": self.target.display, "role": self.role, "reachable": self.reachable,
                "error": self.error, **{k: self.facts.get(k) for k in (
                    "server_version", "system_identifier", "replay_paused", "replay_behind_bytes", "replay_lag_s",
                    "lsn", "vector_version")}}


@dataclass
class Cluster:
    name: str
    members: list[Member]
    notes: list[str] = field(default_factory=list)

    @property
    def reachable(self) -> list[Member]:
        return [m for m in self.members if m.reachable]

    @property
    def primary(self) -> Member | None:
        return next((m for m in self.members if m.role == "primary"), None)

    @property
    def replicas(self) -> list[Member]:
        return [m for m in self.members if m.role == "replica"]

    def each(self, work: Callable[[Member], Any], members: list[Member] | None = None) -> dict[str, Any]:
        """``work(member)`` on each reachable member at once; name -> result, or the exception it raised."""
        todo = self.reachable if members is None else [m for m in members if m.reachable]
        results: dict[str, Any] = {}
        if not todo:
            return results
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(todo))) as pool:
            futures = {pool.submit(work, m): m.name for m in todo}
            for future, name in futures.items():
                try:
                    results[name] = future.result()
                except Exception as exc:  # reported per member by the caller
                    results[name] = exc
        return results

    def as_json(self) -> dict[str, Any]:
        primary = self.primary
        return {"name": self.name, "primary": primary.name if primary else None,
                "members": [m.as_json() for m in self.members], "notes": self.notes}

    def close(self) -> None:
        for member in self.members:
            if member.conn is not None:
                try:
                    member.conn.close()
                except Exception:
                    pass

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def cluster_targets(name: str) -> list[tuple[str, Target]]:
    """``[clusters.NAME]``'s members as targets; BadInput for unknown names, empty lists, bad DSNs."""
    from apexdb.config import load_config
    from apexdb.db.connection import validate_dsn

    cfg = load_config()
    out = []
    for member in cfg.cluster(name):
        dsn = cfg.target(member)["dsn"]
        validate_dsn(dsn, f"target {member}")
        out.append((member, Target(dsn, f"target {member}", member)))
    return out


def open_cluster(name: str, *, application_name: str = "apexdb cluster") -> Cluster:
    """Connect to every member of ``[clusters.NAME]`` and find its role; the caller closes it."""
    return _open(name, cluster_targets(name), application_name)


def single_member(target: Target, *, application_name: str = "apexdb cluster") -> Cluster:
    """One server seen as a cluster of one (``audit replication`` without ``--cluster``)."""
    return _open(target.name, [(target.name, target)], application_name)


def _open(name: str, targets: list[tuple[str, Target]], application_name: str) -> Cluster:
    from apexdb.errors import BadInput

    cluster = Cluster(name, [Member(member, target) for member, target in targets])
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(cluster.members))) as pool:
        list(pool.map(lambda m: _probe(m, application_name), cluster.members))
    try:
        _check_one_cluster(cluster)
    except BadInput:
        cluster.close()
        raise
    return cluster


def _probe(member: Member, application_name: str) -> None:
    import psycopg

    from apexdb.db.connection import connect, read_only
    from apexdb.db.queries import fetch_one
    from apexdb.errors import ApexdbError, redact

    try:
        member.conn = connect(member.target, application_name=application_name)
        with read_only(member.conn):
            member.facts = fetch_one(member.conn, "cluster_member") or {}
    except (ApexdbError, psycopg.Error) as exc:
        message = getattr(exc, "message", None) or " ".join(str(exc).split())
        member.error = redact(message)


def _check_one_cluster(cluster: Cluster) -> None:
    from apexdb.errors import BadInput

    ids: dict[str, list[str]] = {}
    for m in cluster.reachable:
        ids.setdefault(m.facts.get("system_identifier") or "", []).append(m.name)
    known = {k: v for k, v in ids.items() if k}
    if len(known) > 1:
        parts = "; ".join(f"{', '.join(names)} has system identifier {sid}" for sid, names in known.items())
        raise BadInput(f"the members of cluster {cluster.name!r} are not one cluster ({parts}): "
                       "a replica has its primary's system identifier")
    if "" in ids:
        cluster.notes.append(f"{', '.join(ids[''])}: this role may not run pg_control_system(), so being one "
                             "cluster with the others was not verified")
    primaries = [m.name for m in cluster.reachable if not m.facts.get("in_recovery")]
    if len(primaries) > 1:
        cluster.notes.append(f"{' and '.join(primaries)} are all primaries (a promoted replica, or a split brain): "
                             f"{primaries[0]} is taken as the primary")
    if not primaries and cluster.reachable:
        names = ", ".join(m.name for m in cluster.reachable)
        cluster.notes.append(f"no primary among the members of cluster {cluster.name!r} ({names}: replica): "
                             "the checks ran read-only on the replicas, and no index is judged unused without "
                             "the primary's scans")
