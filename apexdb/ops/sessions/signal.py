"""Choosing the sessions ``cancel``/``terminate`` hit, checking them, and signalling them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexdb.db.connection import cancel_backend, read_only
from apexdb.db.queries import fetch
from apexdb.errors import BadInput, DatabaseError
from apexdb.units import parse_duration

ACTIONS = ("cancel", "terminate")


@dataclass
class SessionFilter:
    """Which client sessions to hit besides (or among) explicit pids; every given criterion must hold."""

    idle_in_transaction_over: str | None = None  # a duration: idle in transaction for longer
    running_over: str | None = None  # a duration: active, its statement running for longer
    application: str | None = None
    user: str | None = None
    database: str | None = None
    blocking: bool = False  # sessions that block at least one other (pg_blocking_pids)

    @property
    def given(self) -> bool:
        return any((self.idle_in_transaction_over, self.running_over, self.application, self.user, self.database,
                    self.blocking))

    def params(self) -> dict[str, Any]:
        def seconds(value: str | None, option: str) -> float | None:
            if value is None:
                return None
            s = parse_duration(value, error=f"{option}: cannot read {{value!r}} as a duration (e.g. 30s, 10m, 2h)")
            if s < 0:
                raise BadInput(f"{option}: a duration cannot be negative ({value!r})")
            return s

        return {"idle_in_transaction_s": seconds(self.idle_in_transaction_over, "--idle-in-transaction-over"),
                "running_s": seconds(self.running_over, "--running-over"), "application": self.application,
                "user": self.user, "database": self.database, "blocking": self.blocking, "filtered": self.given}


@dataclass
class Selection:
    action: str
    sessions: list[dict[str, Any]]  # what would be hit, each a row of sessions_targets
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"action": self.action, "sessions": self.sessions, "notes": self.notes}


@dataclass
class SignalResult:
    selection: Selection
    outcomes: list[dict[str, Any]]  # {pid, outcome: sent|gone|refused, detail}
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        return {**self.selection.as_json(), "dry_run": self.dry_run, "results": self.outcomes}


def select_sessions(conn, action: str, pids: list[int], flt: SessionFilter) -> Selection:
    """The sessions ``action`` would hit, checked before anything is signalled.

    Raises BadInput (exit 2) for nothing asked, a pid that is no backend of this server or not a client
    session, or this session's own pid; DatabaseError 42501 (exit 4) when this role may not signal one
    of them (a superuser's session, or another role's without pg_signal_backend)."""
    if action not in ACTIONS:
        raise BadInput(f"unknown action {action!r} (one of {', '.join(ACTIONS)})")
    if any(p <= 0 for p in pids):
        raise BadInput(f"not a backend pid: {min(pids)}")
    if not pids and not flt.given:
        raise BadInput(f"{action}: give pids, or a filter (--idle-in-transaction-over, --running-over, "
                       "--application, --user, --database, --blocking)")
    params = flt.params()
    with read_only(conn):
        rows = fetch(conn, "sessions_targets", {**params, "pids": sorted(set(pids)) or None})
    found = {r["pid"]: r for r in rows}
    if pids:
        _check_pids(conn, pids, found, flt)
    selection = Selection(action, [])
    for row in rows:
        me = row.pop("me")
        if row.pop("own"):
            selection.notes.append(f"pid {row['pid']} is this apexdb session's own connection: left out")
            continue
        if not row["may_signal"]:
            owner = f"superuser {row['role']}" if row["superuser_owned"] else row["role"]
            fix = ("only a superuser may" if row["superuser_owned"]
                   else f"grant pg_signal_backend (or membership in {row['role']}) to {me}")
            raise DatabaseError(f"role {me} may not {action} pid {row['pid']} (owned by {owner}): {fix}; "
                                "nothing was signalled", sqlstate="42501")
        selection.sessions.append(row)
    if action == "cancel":
        idle = [r["pid"] for r in selection.sessions if r["state"] and r["state"] != "active"]
        if idle:
            selection.notes.append(f"pid {', '.join(map(str, idle))} runs no statement: a cancel does nothing to an "
                                   "idle session (terminate ends it)")
    return selection


def _check_pids(conn, pids: list[int], found: dict[int, dict[str, Any]], flt: SessionFilter) -> None:
    """Every pid given must be a client backend of this server other than this session's own."""
    for pid in pids:
        if pid == conn.info.backend_pid:
            raise BadInput(f"pid {pid} is this apexdb session's own connection: refusing to signal it")
    missing = [p for p in pids if p not in found]
    if missing and flt.given:
        # the filters may have left them out: only a pid that is no backend at all is an error
        with read_only(conn):
            exist = {r["pid"] for r in fetch(conn, "sessions_targets", {**SessionFilter().params(), "pids": missing})}
        missing = [p for p in missing if p not in exist]
    if missing:
        raise BadInput(f"no backend with pid {', '.join(map(str, missing))} on this server; nothing was signalled")
    for pid in pids:
        row = found.get(pid)
        if row is not None and row["backend_type"] not in (None, "client backend"):
            raise BadInput(f"pid {pid} is the {row['backend_type']}, not a client session; nothing was signalled")


def signal_sessions(conn, selection: Selection, *, dry_run: bool = False) -> SignalResult:
    """Send the signal to every selected session (nothing with ``dry_run``); per pid what happened."""
    result = SignalResult(selection, [], dry_run)
    if dry_run:
        return result
    import psycopg

    terminate = selection.action == "terminate"
    for row in selection.sessions:
        try:
            outcome = cancel_backend(conn, row["pid"], terminate=terminate, only_active=False, best_effort=False)
            detail = {"sent": f"{selection.action} signal sent", "gone": "gone already"}[outcome]
        except psycopg.errors.InsufficientPrivilege as exc:  # the role lost a grant since the check
            outcome, detail = "refused", (exc.diag.message_primary or str(exc)).strip()
        result.outcomes.append({"pid": row["pid"], "outcome": outcome, "detail": detail})
    return result
