"""``info --cluster``: each member's role, version, reachability and lag, in one read."""
from __future__ import annotations

from typing import Any

from apexdb.ops.cluster.members import Cluster


def cluster_overview(cluster: Cluster) -> dict[str, Any]:
    """The cluster document plus a row per member (lag from the primary's view when it has one)."""
    from apexdb.ops.cluster.health import _lsn, gather, standby_rows

    seen = {k: v for k, v in gather(cluster).items() if not isinstance(v, Exception)}
    matched = standby_rows(cluster, seen)
    primary = cluster.primary
    primary_lsn = _lsn(primary.facts.get("lsn")) if primary else None
    rows = []
    for m in cluster.members:
        row = {"member": m.name, "role": m.role, "reachable": m.reachable, "dsn": m.target.display,
               "server_version": m.facts.get("server_version"), "pgvector": m.facts.get("vector_version"),
               "system_identifier": m.facts.get("system_identifier"), "lag_bytes": None, "lag_s": None,
               "lag_seen_from": None, "replay_paused": m.facts.get("replay_paused"), "error": m.error}
        if m.role == "replica":
            stat = matched.get(m.name)
            if stat:
                row.update(lag_bytes=stat["replay_behind_bytes"], lag_s=stat["replay_lag_s"] or 0.0,
                           lag_seen_from=primary.name)
            else:
                own = _lsn(m.facts.get("lsn"))
                behind = max(0, primary_lsn - own) if primary_lsn is not None and own is not None else None
                row.update(lag_bytes=behind if behind is not None else m.facts.get("replay_behind_bytes"),
                           lag_s=m.facts.get("replay_lag_s"), lag_seen_from=m.name)
            receiver = (seen.get(m.name) or {}).get("receiver") or {}
            row["streaming"] = receiver.get("status") == "streaming"
        elif m.role == "primary":
            row["standbys"] = len((seen.get(m.name) or {}).get("replication", []))
        rows.append(row)
    return {**cluster.as_json(), "members": rows}
