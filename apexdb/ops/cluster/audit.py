"""``audit KIND --cluster NAME``: one audit over a primary and its replicas.

- The catalog checks (indexes, vacuum) run once, on the primary (the catalog is shared),
  with index scans summed over every member (``usage``): an index any replica scans is
  never reported unused, and no verdict is given while a member's counts are missing.
- The config checks run on every member: settings belong to each server.
- ``replication`` (and ``all``) adds the replication health checks (``health``).
- An unreachable member is a critical ``unreachable_target`` finding; the others are
  audited all the same. Everything runs read-only; fixes are for the member they name.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from apexdb.ops.audit.model import KINDS, SEVERITY_RANK, AuditReport, Finding
from apexdb.ops.cluster.members import Cluster, Member

CLUSTER_KINDS = KINDS + ("replication",)
PER_MEMBER_KINDS = ("config",)  # settings belong to each server; the rest reads the shared catalog


def audit_cluster(cluster: Cluster, kinds: Iterable[str] = CLUSTER_KINDS, *, on_done: Callable[[str], None] | None = None,
                  **audit_kwargs: Any) -> list[AuditReport]:
    """One report per member (findings about it), in the config's order."""
    from apexdb.ops.audit import thresholds_from_config
    from apexdb.ops.audit.model import check_names

    kinds = tuple(kinds)
    reports = {m.name: AuditReport(kinds=kinds, target=m.name) for m in cluster.members}
    for m in cluster.members:
        if not m.reachable:
            reports[m.name].findings.append(Finding(
                "unreachable_target", "critical", m.name, f"{m.error}; the other members were audited", "",
                target=m.name))
    catalog = cluster.primary or (cluster.reachable[0] if cluster.reachable else None)
    run_kinds = {m.name: tuple(k for k in kinds if k in PER_MEMBER_KINDS or (m is catalog and k in KINDS))
                 for m in cluster.reachable}
    if catalog is not None and catalog is not cluster.primary and "vacuum" in run_kinds[catalog.name]:
        run_kinds[catalog.name] = tuple(k for k in run_kinds[catalog.name] if k != "vacuum")
        catalog_note = f"vacuum: not checked: a replica's statistics do not track dead tuples or vacuums"
        reports[catalog.name].notes.append(catalog_note)
    usage = None
    if catalog is not None and "indexes" in kinds:
        from apexdb.ops.cluster.usage import IndexUsage

        usage = IndexUsage.gather(cluster)

    def one(member: Member) -> AuditReport | None:
        if not run_kinds[member.name]:
            return None
        from apexdb.ops.audit import run_audit

        kwargs = dict(audit_kwargs)
        if "replication" in kinds and "activity" in run_kinds[member.name]:
            # replication judges every member's slots knowing who streams from which: not twice
            kwargs["exclude"] = tuple(kwargs.get("exclude") or ()) + ("replication_slot",)
        return run_audit(member.conn, kinds=run_kinds[member.name], target=member.name,
                         index_usage=usage if member is catalog else None, **kwargs)

    for name, result in cluster.each(one).items():
        report = reports[name]
        if isinstance(result, Exception):
            message = getattr(result, "message", None) or " ".join(str(result).split())
            report.findings.append(Finding("unreachable_target", "critical", name, f"audit stopped: {message}", "",
                                           target=name))
        elif result is not None:
            result.notes[:0] = report.notes
            reports[name] = result
        if on_done:
            on_done(name)
    if "replication" in kinds and cluster.reachable:
        from apexdb.ops.cluster.health import check_replication

        thresholds = audit_kwargs.get("thresholds") or thresholds_from_config()
        if isinstance(thresholds, dict):
            thresholds = thresholds_from_config().updated(thresholds, "thresholds")
        skip = set(check_names(tuple(audit_kwargs.get("exclude") or ()), "exclude"))
        only = audit_kwargs.get("only")
        chosen = set(check_names(tuple(only), "only")) if only is not None else None
        found, notes = check_replication(cluster, thresholds,
                                         lambda c: c not in skip and (chosen is None or c in chosen))
        for finding in found:
            reports[finding.target].findings.append(finding)
        first = reports[(catalog or cluster.members[0]).name]
        first.notes.extend(notes)
        for name in reports:
            if "replication" not in reports[name].kinds:
                reports[name].kinds = tuple(reports[name].kinds) + ("replication",)
    head = reports[(catalog or cluster.members[0]).name]
    head.notes[:0] = cluster.notes
    for report in reports.values():
        report.findings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.check, f.object))
    return [reports[m.name] for m in cluster.members]
