"""Reading the history: statements in two periods, one statement's series, relations' growth, snapshots.

Each function reads in a READ ONLY transaction with the configured timeouts, so it works on a
replica too (the primary's schema reaches it by streaming replication) and with a role that may
only read the schema. Periods: ``since``/``until`` are datetimes; a statement's figures for a period
are the deltas of the member's snapshots taken in it (a snapshot holds what ran since the one
before). ``statement_changes`` compares (since, until] with the period of the same length just
before ``since``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from apexdb.db.connection import read_only
from apexdb.db.queries import fetch, fetch_one
from apexdb.errors import BadInput
from apexdb.ops.history.schema import ident, require_history
from apexdb.ops.history.snapshot import PRIMARY

STATEMENT_KEYS = ("queryid", "query", "calls_before", "calls_after", "mean_ms_before", "mean_ms_after",
                  "rows_per_call_before", "rows_per_call_after", "mean_change", "calls_change",
                  "rows_per_call_change", "total_ms_before", "total_ms_after")
KINDS = ("table", "index")


def server_now(conn) -> datetime:
    """The server's clock (snapshots are stamped with it, so periods are measured on it too)."""
    return conn.execute("SELECT statement_timestamp()").fetchone()[0]


def statement_changes(conn, since: datetime, until: datetime | None = None, member: str | None = None,
                      limit: int = 20, *, min_calls: int = 1, min_calls_before: int = 0) -> list[dict[str, Any]]:
    """Statements that ran in (since, until] against the period of the same length before ``since``:
    calls, mean time and rows per call in each, and the ratios (after / before; None without a before).
    Largest rise in mean time first."""
    if limit < 1:
        raise BadInput("--limit must be at least 1")
    state = require_history(conn)
    with read_only(conn):
        until = until or server_now(conn)
        if until <= since:
            raise BadInput(f"the period is empty: {since:%Y-%m-%d %H:%M:%S %Z} is not before "
                           f"{until:%Y-%m-%d %H:%M:%S %Z}")
        rows = fetch(conn, "history_statement_changes", {
            "member": member or PRIMARY, "since": since, "until": until, "before_from": since - (until - since),
            "limit": limit, "min_calls": min_calls, "min_calls_before": min_calls_before}, **ident(state.schema))
    for row in rows:
        for key in ("calls_before", "calls_after"):
            row[key] = int(row[key])
    return rows


def statement_series(conn, queryid: int, since: datetime, member: str | None = None) -> list[dict[str, Any]]:
    """Per snapshot of the member since ``since``: its time, and the statement's calls, mean time and
    rows in that snapshot's interval (0 calls and no mean when it did not run)."""
    state = require_history(conn)
    with read_only(conn):
        return fetch(conn, "history_statement_series", {"queryid": int(queryid), "since": since,
                                                        "member": member or PRIMARY}, **ident(state.schema))


def relation_growth(conn, kind: str, since: datetime, member: str | None = None,
                    limit: int = 50) -> list[dict[str, Any]]:
    """Tables (total size, indexes included) or indexes, most grown since ``since`` first: size then and
    now, growth, and the sizes sampled since. Sizes are the primary's; ``scans_since`` (vector indexes)
    counts on ``member``."""
    if kind not in KINDS:
        raise BadInput(f"unknown relation kind {kind!r} (choose from {', '.join(KINDS)})")
    if limit < 1:
        raise BadInput("--limit must be at least 1")
    state = require_history(conn)
    with read_only(conn):
        rows = fetch(conn, "history_relation_growth", {"kind": kind, "since": since, "member": member or PRIMARY,
                                                       "limit": limit}, **ident(state.schema))
    for row in rows:
        row["relation"] = f"{row['schema']}.{row['name']}"
        row["series"] = list(zip(row.pop("series_at") or [], row.pop("series_bytes") or []))
    return rows


def snapshots(conn, member: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The snapshots, newest first (every member's unless ``member``)."""
    if limit < 1:
        raise BadInput("--limit must be at least 1")
    state = require_history(conn)
    with read_only(conn):
        return fetch(conn, "history_snapshots", {"member": member, "limit": limit}, **ident(state.schema))


def members(conn) -> list[dict[str, Any]]:
    state = require_history(conn)
    with read_only(conn):
        return fetch(conn, "history_members", **ident(state.schema))


def resolve_member(conn, target_name: str | None) -> str:
    """Whose snapshots a command on this server reads: the primary's on a primary; on a replica, its
    own, stored under its cluster member name (the --target name)."""
    with read_only(conn):
        in_recovery = fetch_one(conn, "cluster_member")["in_recovery"]
    if not in_recovery:
        return PRIMARY
    known = [m["member"] for m in members(conn) if m["role"] == "replica"]
    if target_name in known:
        return target_name
    if not known:
        raise BadInput("this server is a replica and no replica has snapshots yet: take them with "
                       "`apexdb snapshot --cluster NAME` (stored on the primary)")
    raise BadInput(f"this server is a replica: name it with --target as in its cluster ({', '.join(known)} "
                   f"have snapshots){'' if target_name is None else f'; {target_name!r} has none'}")


def parse_moment(value: str, now: datetime, option: str) -> datetime:
    """A time people type: a duration ago (``1d``, ``12h``, ``90min``) or an ISO date/time (local time
    when it has no zone)."""
    from apexdb.units import parse_duration

    text = str(value).strip()
    try:
        return now - timedelta(seconds=parse_duration(text, error="x"))
    except BadInput:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option}: {value!r} is neither a duration ago (e.g. 1d, 12h) nor a date/time "
                       "(e.g. 2026-11-30 or 2026-11-30T14:00)") from None
    return moment if moment.tzinfo else moment.astimezone()


def resolve_period(conn, since: str | None = None, between: tuple[str, str] | None = None,
                   member: str | None = None, *, option: str | None = None) -> tuple[datetime, datetime]:
    """(since, until) from ``--since X`` or ``--between A B``; BadInput when the period starts before the
    member's first snapshot (naming when that was), or ends before it starts."""
    if (since is None) == (between is None):
        raise BadInput("give --since or --between, not both" if since is not None else "give --since or --between")
    require_history(conn)
    with read_only(conn):
        now = server_now(conn)
    if since is not None:
        name = option or "--since"
        start, end = parse_moment(since, now, name), now
    else:
        name = "--between"
        start, end = parse_moment(between[0], now, name), parse_moment(between[1], now, name)
        if end <= start:
            raise BadInput(f"--between: {between[1]!r} ({end:%Y-%m-%d %H:%M}) is not after {between[0]!r} "
                           f"({start:%Y-%m-%d %H:%M})")
    who = member or PRIMARY
    first = next((m for m in members(conn) if m["member"] == who), None)
    if first is None:
        raise BadInput(f"no snapshots of {who} yet: take one with `apexdb snapshot`")
    if start < first["first_at"]:
        raise BadInput(f"{name} reaches back to {start:%Y-%m-%d %H:%M:%S %Z}, before the first snapshot of {who} "
                       f"({first['first_at']:%Y-%m-%d %H:%M:%S %Z}): choose a later start")
    return start, end
