"""What holds the xmin horizon back: long transactions, sessions idle in transaction, prepared
transactions, replication slots, and a standby's hot_standby_feedback.

While any of these holds an old snapshot, VACUUM keeps every row version deleted after it:
the heap grows, and HNSW/IVFFlat indexes keep the dead entries (searches walk past them and
recall drops). Each finding names the pid, role, application, age and query, and the fix.
Terminating a session or rolling back a prepared transaction loses its work, so the fixes
are shown, never run by --apply.
"""
from __future__ import annotations

from typing import Any

from apexdb.db.queries import fetch, fetch_one
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import Finding
from apexdb.render.format import human_bytes, human_seconds

EFFECT = ("; until it ends VACUUM cannot remove rows deleted after it started, so the heap and the HNSW/IVFFlat "
          "indexes keep every dead version (vector searches wade through them)")


def _level(value: float | None, warning: float, critical: float) -> str | None:
    if value is None:
        return None
    return "critical" if value >= critical else "warning" if value >= warning else None


def _who(s: dict[str, Any]) -> str:
    app = f", application {s['application']!r}" if s["application"] else ""
    client = f" from {s['client']}" if s["client"] else ""
    return f"pid {s['pid']} (role {s['role']}{app}{client})"


def check_sessions(ctx: AuditContext) -> None:
    th = ctx.thresholds
    hidden = 0
    oldest = 0.0
    for s in fetch(ctx.conn, "audit_horizon_sessions"):
        if s["hidden"]:
            hidden += 1
            continue
        oldest = max(oldest, s["xact_age_s"] or 0)
        idle = (s["state"] or "").startswith("idle in transaction")
        level = _level(s["state_age_s"], th.idle_in_transaction_warning, th.idle_in_transaction_critical)
        query = f"; last query: {s['query'].rstrip('; ')}" if s["query"] else ""
        xmin = (f", xmin {s['xmin_age']:,} transactions old" if s["xmin_age"] is not None else
                f", its XID {s['xid_age']:,} transactions old" if s["xid_age"] is not None else "")
        terminate = f"SELECT pg_terminate_backend({s['pid']});  -- rolls its transaction back"
        if idle and level:
            ctx.add(Finding(
                "idle_in_transaction", level, f"pid {s['pid']}",
                f"{_who(s)} {s['state']} for {human_seconds(s['state_age_s'])} (transaction open "
                f"{human_seconds(s['xact_age_s'])}{xmin}){query}{EFFECT}",
                f"-- {terminate}\n-- and stop it recurring: ALTER ROLE {s['role']} SET "
                "idle_in_transaction_session_timeout = '5min';"))
            continue
        level = _level(s["xact_age_s"], th.transaction_age_warning, th.transaction_age_critical)
        if level:
            ctx.add(Finding(
                "long_transaction", level, f"pid {s['pid']}",
                f"{_who(s)} has had a transaction open for {human_seconds(s['xact_age_s'])} ({s['state']}{xmin})"
                f"{query}{EFFECT}",
                f"-- {terminate}\n-- or SELECT pg_cancel_backend({s['pid']}); to stop only the running query; "
                f"limit it with ALTER ROLE {s['role']} SET transaction_timeout = '1h'; (PostgreSQL 17+)"))
    ctx.report.metrics["oldest_transaction"] = (round(oldest, 1), "s", th.transaction_age_warning,
                                                th.transaction_age_critical, None)
    if hidden:
        ctx.note(f"transactions: role {ctx.facts.get('role')} lacks pg_read_all_stats (pg_monitor has it), so the "
                 f"state and age of {hidden} session(s) of other roles are hidden and were not judged")


def check_prepared(ctx: AuditContext) -> None:
    th = ctx.thresholds
    for p in fetch(ctx.conn, "audit_horizon_prepared"):
        level = _level(p["age_s"], th.prepared_age_warning, th.prepared_age_critical)
        if not level:
            continue
        where = "" if p["is_current"] else f" (connect to database {p['database']} to end it)"
        ctx.add(Finding(
            "prepared_transaction", level, p["gid"],
            f"prepared transaction {p['gid']!r} of role {p['role']} in database {p['database']} was prepared "
            f"{human_seconds(p['age_s'])} ago ({p['xid_age']:,} transactions old) and never committed or rolled "
            f"back: it survives restarts and keeps its locks{EFFECT}",
            f"-- ask its transaction manager first{where}, then one of:\n-- COMMIT PREPARED '{p['gid']}';\n"
            f"-- ROLLBACK PREPARED '{p['gid']}';"))


def check_slots(ctx: AuditContext) -> None:
    from apexdb.ops.audit.slots import judge_slots

    for finding in judge_slots(fetch(ctx.conn, "audit_slots"), ctx.thresholds):
        ctx.add(finding)


def check_standby(ctx: AuditContext) -> None:
    row = fetch_one(ctx.conn, "audit_standby")
    if not row or not row["in_recovery"]:
        return
    if row["hot_standby_feedback"]:
        ctx.add(Finding(
            "hot_standby_feedback", "info", "hot_standby_feedback",
            "this standby runs with hot_standby_feedback = on: its long queries hold back the primary's xmin "
            "horizon, so VACUUM on the primary keeps dead rows (heap and vector indexes) while they run",
            "-- keep long reports off this standby, or cap them: SET statement_timeout on its roles"))
    elif row["snapshot_conflicts"]:
        ctx.add(Finding(
            "hot_standby_feedback", "info", "hot_standby_feedback",
            f"hot_standby_feedback is off and {row['snapshot_conflicts']:,} queries here were cancelled by "
            f"snapshot conflicts (max_standby_streaming_delay {row['max_standby_streaming_delay']}): the primary's "
            "VACUUM removed rows they still needed",
            "-- ALTER SYSTEM SET hot_standby_feedback = on; SELECT pg_reload_conf();  "
            "-- at the cost of bloat on the primary"))
