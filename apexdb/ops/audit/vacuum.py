"""Vacuum checks: dead tuples, autovacuum that should have run and did not, transaction ID and
multixact wraparound (warning and critical levels), and tables the planner has no statistics for.

Each table gets at most one of dead_tuples / autovacuum_overdue: a table full of dead
rows is one problem, whatever the reason autovacuum left it.
"""
from __future__ import annotations

from typing import Any

from apexdb.db.queries import fetch
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import Finding
from apexdb.ops.audit.settings import table_stats
from apexdb.render.format import human_pct, human_seconds

WRAP_LIMIT = 2 ** 31 - 1  # XIDs and multixacts: the server refuses writes ~3M before this


def _table_finding(check: str, severity: str, t: dict[str, Any], detail: str, statements: list[str],
                   comments: list[str] = ()) -> Finding:
    fix = "\n".join([*statements, *(f"-- {c}" for c in comments)])
    return Finding(check, severity, t["table_qname"], detail, fix, schema=t["schema"], table=t["table"],
                   statements=tuple(statements))


def _last_vacuum(t: dict[str, Any]) -> str:
    if t["last_vacuum"] is None:
        return "never vacuumed"
    return f"last vacuum {human_seconds(t['vacuum_age_s'])} ago"


def _dead_ratio(t: dict[str, Any]) -> float:
    total = (t["live_rows"] or 0) + (t["dead_rows"] or 0)
    return (t["dead_rows"] or 0) / total if total else 0.0


def check_dead_tuples(ctx: AuditContext) -> None:
    th = ctx.thresholds
    done = ctx.cached("dead_flagged", set)
    for t in table_stats(ctx).values():
        if t["partitioned"] or (t["dead_rows"] or 0) < th.dead_tuple_min or _dead_ratio(t) < th.dead_tuple_ratio:
            continue
        done.add(t["table_oid"])
        comments = []
        why = ""
        if not t["autovacuum_enabled"]:
            why = "; autovacuum is disabled for it"
            comments.append(f"autovacuum is off for this table; to turn it back on: ALTER TABLE {t['table_qname']} "
                            "RESET (autovacuum_enabled);")
        ctx.add(_table_finding(
            "dead_tuples", "warning", t,
            f"{t['dead_rows']:,} dead rows ({human_pct(_dead_ratio(t))} of {t['live_rows'] + t['dead_rows']:,}), "
            f"{_last_vacuum(t)}{why}: scans read the dead rows too and the table keeps growing",
            [f"VACUUM (ANALYZE) {t['table_qname']};"], comments))


def check_autovacuum_overdue(ctx: AuditContext) -> None:
    th = ctx.thresholds
    done = ctx.cached("dead_flagged", set)
    for t in table_stats(ctx).values():
        dead = t["dead_rows"] or 0
        if t["partitioned"] or t["table_oid"] in done or dead < th.dead_tuple_min or dead <= t["autovacuum_trigger"]:
            continue
        if t["vacuum_age_s"] is not None and t["vacuum_age_s"] < th.vacuum_max_age:
            continue
        reason = ("autovacuum is disabled for this table" if not t["autovacuum_enabled"] else
                  "check for long-running transactions, busy autovacuum workers, or locks that cancel it")
        ctx.add(_table_finding(
            "autovacuum_overdue", "warning", t,
            f"{dead:,} dead rows passed autovacuum's trigger ({int(t['autovacuum_trigger']):,}) but the table was "
            f"{_last_vacuum(t)} (limit {human_seconds(th.vacuum_max_age)}): {reason}",
            [f"VACUUM (ANALYZE) {t['table_qname']};"]))


def check_never_analyzed(ctx: AuditContext) -> None:
    th = ctx.thresholds
    for t in table_stats(ctx).values():
        rows = max(t["live_rows"] or 0, t["estimated_rows"] or 0, t["modified_since_analyze"] or 0)
        if t["partitioned"] or t["last_analyze"] is not None or rows < th.never_analyzed_min_rows:
            continue
        ctx.add(_table_finding(
            "never_analyzed", "warning", t,
            f"~{rows:,} rows and never analyzed: the planner guesses row counts for every query on it",
            [f"ANALYZE {t['table_qname']};"]))


def _level(age: int, warning: int, critical: int) -> str | None:
    if age >= critical:
        return "critical"
    if age >= warning:
        return "warning"
    return None


def check_wraparound(ctx: AuditContext) -> None:
    th = ctx.thresholds
    kinds = (("xid_wraparound", "xid_age", "transaction ID", th.xid_age_warning, th.xid_age_critical),
             ("multixact_wraparound", "multixact_age", "multixact", th.multixact_age_warning,
              th.multixact_age_critical))
    tables = fetch(ctx.conn, "audit_wraparound_tables",
                   {"xid_age": th.xid_age_warning, "multixact_age": th.multixact_age_warning})
    for check, key, what, warning, critical in kinds:
        if not ctx.enabled(check):
            continue
        flagged_here = False
        for t in tables:
            level = _level(t[key], warning, critical)
            if level:
                flagged_here = True
                ctx.add(_table_finding(
                    check, level, t,
                    f"oldest {what} is {t[key]:,} old ({human_pct(t[key] / WRAP_LIMIT)} of the way to wraparound, "
                    "when the server stops accepting writes)",
                    [f"VACUUM (FREEZE, VERBOSE) {t['table_qname']};"]))
        for d in fetch(ctx.conn, "audit_wraparound_databases"):
            level = _level(d[key], warning, critical)
            if not level or (d["is_current"] and flagged_here):
                continue
            detail = (f"database {d['database']}: oldest {what} is {d[key]:,} old "
                      f"({human_pct(d[key] / WRAP_LIMIT)} of the way to wraparound, which stops the whole cluster)")
            statements = ["VACUUM (FREEZE, VERBOSE);"] if d["is_current"] else []
            comment = [] if d["is_current"] else [f"connect to database {d['database']} and run VACUUM (FREEZE, "
                                                  "VERBOSE); (or audit it as its own target)"]
            ctx.add(Finding(check, level, d["database"], detail,
                            "\n".join([*statements, *(f"-- {c}" for c in comment)]), statements=tuple(statements)))
