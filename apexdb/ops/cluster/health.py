"""Replication health over a cluster: each check reads what ``gather`` read from the members.

Lag is seen from both sides: the primary's pg_stat_replication (bytes not yet replayed,
replay_lag) and the replica itself (its replay position against the primary's WAL
position, and received WAL not yet replayed). A replica is matched to its row in
pg_stat_replication by application_name (its cluster_name or member name), or by being
the only one. Severities come from the thresholds (``replica_lag_*``, ``slot_wal_*_bytes``,
``standby_conflicts_min``); fixes are SQL for the member the finding names.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from apexdb.ops.audit.model import Finding, Thresholds
from apexdb.sql import quote_literal
from apexdb.ops.cluster.members import Cluster, Member
from apexdb.render.format import human_bytes, human_seconds

COMPARED = ("hnsw.ef_search", "hnsw.iterative_scan", "ivfflat.probes", "ivfflat.iterative_scan", "work_mem")


def gather(cluster: Cluster) -> dict[str, Any]:
    """Per reachable member: its replication rows, WAL receiver, slots, conflicts and settings (or the error)."""
    from apexdb.db.connection import read_only
    from apexdb.db.queries import fetch, fetch_one

    def read(member: Member) -> dict[str, Any]:
        conn, replica = member.conn, member.role == "replica"
        with read_only(conn):
            if member.facts.get("vector_version"):
                fetch(conn, "settings_load_vector_library")  # makes hnsw.* / ivfflat.* visible
            return {"replication": [] if replica else fetch(conn, "cluster_replication"),
                    "receiver": fetch_one(conn, "cluster_wal_receiver") if replica else None,
                    "slots": fetch(conn, "audit_slots"),
                    "conflicts": fetch_one(conn, "cluster_conflicts") if replica else None,
                    "settings": {r["name"]: r["value"] for r in fetch(conn, "cluster_settings")}}
    return cluster.each(read)


def check_replication(cluster: Cluster, t: Thresholds, enabled: Callable[[str], bool]) -> tuple[list[Finding],
                                                                                               list[str]]:
    """Findings about replication, each with ``target`` = the member it concerns, and notes."""
    seen = gather(cluster)
    findings: list[Finding] = []
    notes: list[str] = []
    for name, result in list(seen.items()):
        if isinstance(result, Exception):
            notes.append(f"{name}: replication state not read: {' '.join(str(result).split())[:160]}")
            del seen[name]
    for check in (_lag, _paused, _receiver, _slots, _sync_standbys, _conflicts, _settings_differ):
        findings.extend(f for f in check(cluster, seen, t) if enabled(f.check))
    return findings, notes


def _lsn(text: str | None) -> int | None:
    if not text:
        return None
    hi, _, lo = text.partition("/")
    return (int(hi, 16) << 32) + int(lo, 16)


def _level(bytes_: float | None, seconds: float | None, t: Thresholds) -> str | None:
    b, s = bytes_ or 0, seconds or 0
    if b >= t.replica_lag_bytes_critical or s >= t.replica_lag_time_critical:
        return "critical"
    if b >= t.replica_lag_bytes_warning or s >= t.replica_lag_time_warning:
        return "warning"
    return None


def standby_rows(cluster: Cluster, seen: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Replica member name -> its row in the primary's pg_stat_replication (when it can be told apart)."""
    primary = cluster.primary
    rows = list(seen.get(primary.name, {}).get("replication", [])) if primary else []
    matched: dict[str, dict[str, Any]] = {}
    replicas = [m for m in cluster.replicas if m.name in seen]
    for m in replicas:
        names = {m.name, m.facts.get("cluster_name") or m.name}
        row = next((r for r in rows if r["application_name"] in names), None)
        if row:
            matched[m.name] = row
    left = [r for r in rows if r not in matched.values()]
    unmatched = [m for m in replicas if m.name not in matched]
    if len(left) == 1 and len(unmatched) == 1:
        matched[unmatched[0].name] = left[0]
    return matched


def _lag(cluster: Cluster, seen: dict[str, Any], t: Thresholds) -> list[Finding]:
    out = []
    primary = cluster.primary
    primary_lsn = _lsn(primary.facts.get("lsn")) if primary else None
    matched = standby_rows(cluster, seen)
    for m in cluster.replicas:
        row = matched.get(m.name)
        own = _lsn(m.facts.get("lsn"))
        behind_primary = max(0, primary_lsn - own) if primary_lsn is not None and own is not None else None
        views = {"from_primary": {"replay_behind_bytes": row["replay_behind_bytes"], "replay_lag_s": row["replay_lag_s"],
                                  "state": row["state"], "sync_state": row["sync_state"]} if row else None,
                 "from_replica": {"behind_primary_bytes": behind_primary,
                                  "received_not_replayed_bytes": m.facts.get("replay_behind_bytes"),
                                  "replay_lag_s": m.facts.get("replay_lag_s")}}
        levels = [_level(row["replay_behind_bytes"], row["replay_lag_s"], t) if row else None,
                  _level(max(behind_primary or 0, m.facts.get("replay_behind_bytes") or 0), m.facts.get("replay_lag_s"), t)]
        level = "critical" if "critical" in levels else "warning" if "warning" in levels else None
        if level is None:
            continue
        parts = []
        if row:
            parts.append(f"seen from {primary.name}: {human_bytes(row['replay_behind_bytes'] or 0)} not replayed, "
                         f"replay_lag {human_seconds(row['replay_lag_s'] or 0)} ({row['state']}, {row['sync_state']})")
        parts.append(f"seen from {m.name}: " + (f"{human_bytes(behind_primary)} behind the primary's WAL, "
                                                if behind_primary is not None else "")
                     + f"{human_bytes(m.facts.get('replay_behind_bytes') or 0)} received and not replayed, last "
                       f"replayed commit {human_seconds(m.facts.get('replay_lag_s') or 0)} old")
        out.append(Finding("replica_lag", level, m.name, "; ".join(parts) + ": queries on this replica see old "
                           "data", "", target=m.name, per_member=views))
    rows = seen.get(primary.name, {}).get("replication", []) if primary else []
    for row in [r for r in rows if r not in matched.values()]:  # standbys and subscribers that are not members
        level = _level(row["replay_behind_bytes"], row["replay_lag_s"], t)
        if level:
            out.append(Finding(
                "replica_lag", level, row["application_name"] or row["client"],
                f"seen from {primary.name} (not a member of the cluster; client {row['client']}): "
                f"{human_bytes(row['replay_behind_bytes'] or 0)} not replayed, replay_lag "
                f"{human_seconds(row['replay_lag_s'] or 0)} ({row['state']}, {row['sync_state']})", "",
                target=primary.name))
    return out


def _paused(cluster: Cluster, seen: dict[str, Any], t: Thresholds) -> list[Finding]:
    out = []
    for m in cluster.replicas:
        if not m.facts.get("replay_paused"):
            continue
        behind = m.facts.get("replay_behind_bytes") or 0
        statement = "SELECT pg_wal_replay_resume();"
        out.append(Finding(
            "replay_paused", "critical" if behind >= t.replica_lag_bytes_warning else "warning", m.name,
            f"WAL replay is paused (pg_wal_replay_pause()): {human_bytes(behind)} received and not replayed, and "
            "more piles up while the primary takes writes; queries here see data as of the pause",
            f"-- on {m.name}:\n{statement}", target=m.name, statements=(statement,)))
    return out


def _receiver(cluster: Cluster, seen: dict[str, Any], t: Thresholds) -> list[Finding]:
    out = []
    for m in cluster.replicas:
        if m.name not in seen:
            continue
        rx = seen[m.name]["receiver"]
        if rx is None or rx.get("status") is None:
            out.append(Finding("wal_receiver_not_streaming", "critical", m.name,
                               "no WAL receiver runs: this replica is not connected to a primary (it replays only "
                               "what reaches it from an archive); see its log and primary_conninfo", "",
                               target=m.name))
        elif rx["status"] != "streaming":
            out.append(Finding("wal_receiver_not_streaming", "critical", m.name,
                               f"the WAL receiver is {rx['status']!r}, not streaming, from "
                               f"{rx.get('sender_host') or '?'}:{rx.get('sender_port') or '?'}", "", target=m.name))
        elif (rx.get("last_message_age_s") or 0) >= t.replica_lag_time_warning:
            out.append(Finding("wal_receiver_not_streaming", "warning", m.name,
                               f"streaming, but nothing heard from {rx.get('sender_host') or 'the primary'} for "
                               f"{human_seconds(rx['last_message_age_s'])} (wal_receiver_timeout ends it)", "",
                               target=m.name))
    return out



def _slots(cluster: Cluster, seen: dict[str, Any], t: Thresholds) -> list[Finding]:
    """Every member's slots, judged by the one slot judge, knowing which member streams from which."""
    from apexdb.ops.audit.slots import judge_slots

    consumers = {seen[m.name]["receiver"].get("slot_name"): m.name for m in cluster.replicas
                 if m.name in seen and seen[m.name]["receiver"] and seen[m.name]["receiver"].get("slot_name")}
    everyone_seen = all(m.name in seen for m in cluster.members)
    out = []
    for m in cluster.reachable:
        if m.name in seen:
            out += judge_slots(seen[m.name]["slots"], t, member=m.name,
                               consumers=consumers if everyone_seen else None)
    return out


_SYNC = re.compile(r"^\s*(?:(FIRST|ANY)\s+)?(\d+)\s*\((.*)\)\s*$", re.I | re.S)


def parse_sync_names(value: str) -> tuple[str, int, list[str]]:
    """``synchronous_standby_names`` as (method, how many, names): 'FIRST 2 (a, b)', 'ANY 1 (a)', 'a, b'."""
    match = _SYNC.match(value)
    method, num, body = ("FIRST", 1, value) if not match else (
        (match.group(1) or "FIRST").upper(), int(match.group(2)), match.group(3))
    names = [n.strip().strip('"') for n in body.split(",") if n.strip()]
    return method, num, names


def _sync_standbys(cluster: Cluster, seen: dict[str, Any], t: Thresholds) -> list[Finding]:
    primary = cluster.primary
    if primary is None or primary.name not in seen:
        return []
    value = (seen[primary.name]["settings"].get("synchronous_standby_names") or "").strip()
    if not value:
        return []
    method, num, names = parse_sync_names(value)
    connected = {r["application_name"] for r in seen[primary.name]["replication"] if r["state"] == "streaming"}
    present = [n for n in names if n == "*" or n in connected]
    count = len(connected) if "*" in names else len(present)
    absent = [n for n in names if n != "*" and n not in connected]
    if count >= num and not absent:
        return []
    waiting = count < num
    detail = (f"synchronous_standby_names = {value!r} asks for {method} {num} of ({', '.join(names)}); "
              f"{'none' if not absent else ', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not connected "
              f"(streaming: {', '.join(sorted(connected)) or 'none'})")
    detail += (": every COMMIT waits for a standby that is not there" if waiting
               else ": the synchronous guarantee rests on fewer standbys than named")
    keep = ", ".join(sorted(connected))
    fix = (f"-- on {primary.name}, once you accept these standbys as the synchronous ones:\n"
           f"-- ALTER SYSTEM SET synchronous_standby_names = {quote_literal(f'{method} {min(num, max(1, len(connected)))} ({keep})' if keep else '')};\n"
           "-- SELECT pg_reload_conf();")
    return [Finding("sync_standby_absent", "critical" if waiting else "warning", primary.name, detail, fix,
                    target=primary.name)]


def _conflicts(cluster: Cluster, seen: dict[str, Any], t: Thresholds) -> list[Finding]:
    out = []
    for m in cluster.replicas:
        c = (seen.get(m.name) or {}).get("conflicts")
        if not c or c["cancelled"] < max(1, t.standby_conflicts_min):
            continue
        detail = (f"{c['cancelled']:,} queries cancelled by recovery conflicts (snapshot {c['snapshot']:,}, lock "
                  f"{c['lock']:,}, buffer pin {c['bufferpin']:,}); hot_standby_feedback = {c['hot_standby_feedback']}, "
                  f"max_standby_streaming_delay = {c['max_standby_streaming_delay']}")
        statements: tuple[str, ...] = ()
        if c["snapshot"] and c["hot_standby_feedback"] == "off":
            statements = ("ALTER SYSTEM SET hot_standby_feedback = on;", "SELECT pg_reload_conf();")
            fix = (f"-- on {m.name} (the primary then keeps rows this replica's queries still see: some bloat):\n"
                   + "\n".join(statements))
        else:
            fix = (f"-- on {m.name}, if replay may fall that far behind:\n"
                   "-- ALTER SYSTEM SET max_standby_streaming_delay = '5min'; SELECT pg_reload_conf();")
        out.append(Finding("standby_conflicts", "warning", m.name, detail + ": searches sent here fail with "
                           "'canceling statement due to conflict with recovery'", fix, target=m.name,
                           statements=statements))
    return out


def _settings_differ(cluster: Cluster, seen: dict[str, Any], t: Thresholds) -> list[Finding]:
    primary = cluster.primary
    if primary is None or primary.name not in seen:
        return []
    ref = seen[primary.name]["settings"]
    out = []
    for m in cluster.reachable:
        if m is primary or m.name not in seen:
            continue
        mine = seen[m.name]["settings"]
        differ = {n: (mine.get(n), ref.get(n)) for n in COMPARED if mine.get(n) != ref.get(n)}
        lib, ref_lib = m.facts.get("vector_library_version"), primary.facts.get("vector_library_version")
        texts = [f"{n} = {a} here, {b} on {primary.name}" for n, (a, b) in differ.items()]
        if lib != ref_lib:
            texts.append(f"pgvector {lib or 'not installed'} on this host, {ref_lib or 'not installed'} on "
                         f"{primary.name}'s")
        if not texts:
            continue
        statements = tuple(f"ALTER SYSTEM SET {n} = {quote_literal(b)};" for n, (a, b) in differ.items() if b is not None)
        if statements:
            statements += ("SELECT pg_reload_conf();",)
        fix = f"-- on {m.name}, to match {primary.name}:\n" + "\n".join(statements) if statements else ""
        out.append(Finding("member_settings_differ", "warning", m.name,
                           "; ".join(texts) + ": the same search returns different recall or speed depending on "
                           "the member it reaches", fix, target=m.name, statements=statements,
                           per_member={"member": {n: a for n, (a, b) in differ.items()},
                                       primary.name: {n: b for n, (a, b) in differ.items()}}))
    return out
