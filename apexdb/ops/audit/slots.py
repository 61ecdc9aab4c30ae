"""The one judge of replication slots, for ``audit activity`` (one server) and ``audit
replication`` (each member of a cluster).

A slot keeps WAL (``restart_lsn``) and, when it holds one, an xmin or catalog_xmin, until
its consumer moves on: an inactive slot fills pg_wal until the disk is full, and its xmin
stops VACUUM on every table (heap and HNSW/IVFFlat indexes keep their dead versions).

- lost (``wal_status = 'lost'``): critical; the consumer can never resume from it.
- inactive and reserving WAL: warning; critical from ``slot_wal_critical_bytes`` retained,
  or once ``wal_status`` is ``unreserved`` (it is about to lose WAL).
- active: its consumer is behind; warning / critical from ``slot_wal_warning_bytes`` /
  ``slot_wal_critical_bytes`` retained.

Dropping a slot is destructive, so the drop is runnable by ``--apply`` only over a cluster
whose members were all seen, and only for a slot that no member streams from: on one server
apexdb cannot know who else consumes a slot, and the fix is shown, never run.
"""
from __future__ import annotations

from typing import Any, Iterable

from apexdb.ops.audit.model import Finding, Thresholds
from apexdb.sql import quote_literal
from apexdb.render.format import human_bytes

XMIN_EFFECT = ("; until it moves on VACUUM cannot remove rows deleted after its xmin, so the heap and the "
               "HNSW/IVFFlat indexes keep every dead version (vector searches wade through them)")
CAP = "-- and cap what any slot may keep: ALTER SYSTEM SET max_slot_wal_keep_size = '50GB';"



def judge_slots(slots: Iterable[dict[str, Any]], t: Thresholds, *, member: str | None = None,
                consumers: dict[str, str] | None = None) -> list[Finding]:
    """Findings for the rows of ``audit_slots`` read on one server.

    ``member`` names the cluster member the slots are on (None on one server); ``consumers``
    maps slot names to the member streaming from each, when the whole cluster was seen.
    """
    out = []
    for s in slots:
        retained, status = s["retained_bytes"] or 0, s["wal_status"]
        if s["temporary"] and status != "lost":
            continue  # ends with its session
        if status == "lost":
            level = "critical"
        elif not s["active"]:
            if not s["reserves_wal"]:
                continue
            level = ("critical" if retained >= t.slot_wal_critical_bytes or status == "unreserved" else "warning")
        else:
            level = ("critical" if retained >= t.slot_wal_critical_bytes else
                     "warning" if retained >= t.slot_wal_warning_bytes else None)
        if level is None:
            continue
        name = s["slot_name"]
        kind = f"{s['slot_type']} slot" + (f" of database {s['database']} ({s['plugin']})" if s["plugin"] else "")
        safe = ("unlimited (max_slot_wal_keep_size = -1)" if s["safe_wal_size"] is None
                else human_bytes(s["safe_wal_size"]))
        held = "".join(f", {what} {age:,} transactions old" for what, age in
                       (("xmin", s["xmin_age"]), ("catalog_xmin", s["catalog_xmin_age"])) if age is not None)
        facts = f"wal_status {status}, retaining {human_bytes(retained)} of WAL, safe_wal_size {safe}{held}"
        effect = (XMIN_EFFECT if held else
                  "; the server keeps that WAL in pg_wal until the slot's consumer catches up, and the disk fills")
        consumer = ""
        if consumers is not None:
            consumer = (f"; it is {consumers[name]}'s slot, which is not streaming" if name in consumers
                        else "; no member of the cluster streams from it")
        drop = f"SELECT pg_drop_replication_slot({quote_literal(name)});"
        where = f"-- on {member}" if member else "--"
        if status == "lost":
            detail = f"{kind} has lost WAL its consumer needs ({facts}): the consumer cannot resume from it"
            fix = f"{where}: drop it and rebuild its consumer:\n{drop}"
        elif not s["active"]:
            detail = f"inactive {kind} ({facts}){consumer}{effect}"
            fix = f"{where}, once its consumer is gone for good:\n{drop}\n{CAP}"
        else:
            detail = f"active {kind} (pid {s['active_pid']}) whose consumer is far behind ({facts}){effect}"
            fix = f"{where}: find why its consumer lags (see audit replication); as a last resort\n{CAP}"
        droppable = not s["active"] and consumers is not None and name not in consumers
        out.append(Finding("replication_slot", level, name, detail, fix, target=member,
                           statements=(drop,) if droppable else ()))
    return out
