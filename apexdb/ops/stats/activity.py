"""``stats activity``: sessions doing something (or every session, with ``--all``), how long, what they
wait on, who blocks whom, and how many sessions are in each state."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexdb.db.connection import read_only
from apexdb.db.queries import fetch

LONG_IDLE_IN_TRANSACTION_S = 60.0


@dataclass
class ActivityReport:
    sessions: list[dict[str, Any]]
    hidden: int  # sessions of other roles whose state and query this role cannot see
    notes: list[str] = field(default_factory=list)
    totals: list[dict[str, Any]] | None = None  # state -> sessions, with include_idle

    def as_json(self) -> dict[str, Any]:
        doc = {"sessions": self.sessions, "hidden_sessions": self.hidden, "notes": self.notes}
        if self.totals is not None:
            doc["totals"] = self.totals
        return doc


def activity(conn, *, include_idle: bool = False) -> ActivityReport:
    """Client sessions other than this one; idle ones too with ``include_idle``, then with the
    number of sessions in each state (other roles' hidden sessions counted as "not visible")."""
    with read_only(conn):
        rows = fetch(conn, "stats_activity", {"include_idle": include_idle})
    visible = [r for r in rows if r.pop("visible")]
    hidden = len(rows) - len(visible)
    blockers = {pid for r in visible for pid in (r["blocked_by"] or [])}
    for row in visible:
        row["blocked_by"] = list(row["blocked_by"] or [])
        row["blocking"] = row["pid"] in blockers
        row["flag"] = _flag(row)
    report = ActivityReport(visible, hidden)
    if include_idle:
        report.totals = _totals(visible, hidden)
    if hidden:
        report.notes.append(f"{hidden} session(s) of other roles are not shown (active or idle): seeing their "
                            "state and query needs pg_read_all_stats (or pg_monitor)")
    for row in visible:
        if row["flag"] == "idle in transaction" and (row["state_s"] or 0) >= LONG_IDLE_IN_TRANSACTION_S:
            report.notes.append(f"pid {row['pid']} has been idle in transaction for {row['state_s']:.0f} s: it "
                                "holds its locks and stops VACUUM; end it with pg_terminate_backend("
                                f"{row['pid']}) or set idle_in_transaction_session_timeout")
    return report


def _flag(row: dict[str, Any]) -> str:
    if row["blocked_by"]:
        return "blocked"
    if row["blocking"]:
        return "blocking"
    if (row["state"] or "").startswith("idle in transaction"):
        return "idle in transaction"
    return ""


def _totals(sessions: list[dict[str, Any]], hidden: int) -> list[dict[str, Any]]:
    """Sessions per state, most first; "not visible" for other roles' sessions this role cannot see."""
    counts: dict[str, int] = {}
    for row in sessions:
        state = row["state"] or "unknown"
        counts[state] = counts.get(state, 0) + 1
    totals = [{"state": state, "sessions": n} for state, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    if hidden:
        totals.append({"state": "not visible", "sessions": hidden})
    return totals
