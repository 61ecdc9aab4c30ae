"""``stats locks``: who holds which lock and who waits for it, the blocking tree (``pg_blocking_pids``),
and how long each has waited."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexdb.db.connection import read_only
from apexdb.db.queries import fetch

SESSION_KEYS = ("pid", "role", "database", "application", "state", "wait_event_type", "wait_event", "transaction_s",
                "query_s", "query")


@dataclass
class LocksReport:
    locks: list[dict[str, Any]]  # one row per lock held or awaited, with the holder's blocked_by
    tree: list[dict[str, Any]]  # blocking sessions not blocked themselves, each with what waits for it
    totals: dict[str, int]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"locks": self.locks, "blocking_tree": self.tree, "totals": self.totals, "notes": self.notes}


def locks(conn, *, include_all: bool = False) -> LocksReport:
    """Every lock other sessions hold or wait for (a transaction's own id lock only when someone waits for
    it, or with ``include_all``), the blocking tree, and the totals."""
    with read_only(conn):
        rows = fetch(conn, "stats_locks", {"include_all": include_all})
    for row in rows:
        row["blocked_by"] = list(row["blocked_by"] or [])
    tree = blocking_tree(rows)
    sessions = {r["pid"] for r in rows if r["pid"] is not None}
    blocked = {r["pid"] for r in rows if r["blocked_by"]}
    blocking = {pid for r in rows for pid in r["blocked_by"]}
    totals = {"locks": len(rows), "held": sum(1 for r in rows if r["granted"]),
              "waiting": sum(1 for r in rows if not r["granted"]), "sessions": len(sessions),
              "blocking_sessions": len(blocking), "blocked_sessions": len(blocked)}
    report = LocksReport(rows, tree, totals)
    if any(r["pid"] is not None and r["state"] is None and r["backend_type"] is None for r in rows):
        report.notes.append("some sessions of other roles show no state or query: seeing them needs "
                            "pg_read_all_stats (or pg_monitor)")
    return report


def blocking_tree(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each session that blocks others and is not blocked itself, with the sessions waiting for it
    (nested: a waiter can block others in turn). A session waiting for two appears under both; a cycle
    (a deadlock the server has not broken yet) is cut where it closes."""
    sessions: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["pid"] is None:
            continue
        session = sessions.setdefault(row["pid"], {k: row[k] for k in SESSION_KEYS} | {
            "blocked_by": row["blocked_by"], "waiting_for": None, "wait_s": None})
        if not row["granted"]:
            session["waiting_for"] = f"{row['mode']} on {row['relation'] or row['object']}"
            session["wait_s"] = row["wait_s"]
    waiters: dict[int, list[int]] = {}
    for pid, session in sessions.items():
        for blocker in session["blocked_by"]:
            waiters.setdefault(blocker, []).append(pid)

    def node(pid: int, path: tuple[int, ...]) -> dict[str, Any]:
        base = sessions.get(pid) or {"pid": pid, "blocked_by": [], "waiting_for": None, "wait_s": None}
        children = [node(w, path + (pid,)) for w in sorted(waiters.get(pid, [])) if w not in path + (pid,)]
        return {**base, "waiters": children}

    roots = [pid for pid in waiters if not (sessions.get(pid) or {}).get("blocked_by")]
    if not roots and waiters:  # every blocker is blocked too: a cycle; start from the oldest pid
        roots = [min(waiters)]
    return [node(pid, ()) for pid in sorted(roots)]
