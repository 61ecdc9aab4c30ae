"""Sequences and keys about to overflow (pghero's sequence_danger), judged by the column they feed:
an int4 column fed by a bigint sequence stops at 2,147,483,647 however far the sequence could go.
"""
from __future__ import annotations

from typing import Any

from apexdb.db.queries import fetch
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import Finding

TYPE_LIMITS = {"smallint": (-32768, 32767), "integer": (-2 ** 31, 2 ** 31 - 1),
               "bigint": (-2 ** 63, 2 ** 63 - 1)}


def usable_range(seq: dict[str, Any]) -> tuple[int, int, str]:
    """(lowest, highest, what sets the limit) a value of ``seq`` can take in the column it feeds."""
    low, high, by = seq["sequence_min"], seq["sequence_max"], f"the sequence ({seq['sequence_type']})"
    col_low, col_high = TYPE_LIMITS.get(seq["column_type"] or "", (low, high))
    if col_high < high:
        high, by = col_high, f"column {seq['table_qname']}.{seq['column_name']} ({seq['column_type']})"
    if col_low > low:
        low = col_low
    return low, high, by


def used_fraction(seq: dict[str, Any]) -> float | None:
    if seq["last_value"] is None:
        return None
    low, high, _ = usable_range(seq)
    value = seq["last_value"]
    if seq["increment"] > 0:
        return max(value, 0) / high if high > 0 else 1.0
    return min(value, 0) / low if low < 0 else 1.0


def check_sequences(ctx: AuditContext) -> None:
    th = ctx.thresholds
    hidden = 0
    worst = 0.0
    for seq in fetch(ctx.conn, "audit_sequences"):
        if not seq["readable"]:
            hidden += 1
            continue
        fraction = used_fraction(seq)
        if fraction is None:
            continue
        if seq["cycles"] and usable_range(seq)[2].startswith("the sequence"):
            continue  # wraps around by design
        worst = max(worst, fraction)
        severity = ("critical" if fraction >= th.sequence_critical_ratio else
                    "warning" if fraction >= th.sequence_warning_ratio else None)
        if severity:
            ctx.add(_finding(seq, severity, fraction))
    ctx.report.metrics["sequence_used"] = (round(worst * 100, 2), "%", th.sequence_warning_ratio * 100,
                                           th.sequence_critical_ratio * 100, 100)
    if hidden:
        ctx.note(f"sequences: role {ctx.facts.get('role')} has no SELECT or USAGE on {hidden} sequence(s), so their "
                 "last values are hidden and were not judged")


def _finding(seq: dict[str, Any], severity: str, fraction: float) -> Finding:
    low, high, by = usable_range(seq)
    left = high - seq["last_value"] if seq["increment"] > 0 else seq["last_value"] - low
    detail = (f"at {seq['last_value']:,}, {fraction * 100:.2f}% of the {high if seq['increment'] > 0 else low:,} "
              f"that {by} allows ({left:,} values left): inserts fail once it is reached")
    statements: list[str] = []
    comments: list[str] = []
    if seq["column_type"] in ("integer", "smallint"):
        comments.append(f"ALTER TABLE {seq['table_qname']} ALTER COLUMN {seq['quoted_column']} TYPE bigint;  "
                        "-- rewrites the table under an ACCESS EXCLUSIVE lock; referencing columns too")
    if seq["sequence_type"] in ("integer", "smallint") and not seq["is_identity"]:
        statements.append(f"ALTER SEQUENCE {seq['sequence_qname']} AS bigint;")
    elif seq["sequence_type"] in ("integer", "smallint"):
        comments.append(f"then: ALTER TABLE {seq['table_qname']} ALTER COLUMN {seq['quoted_column']} "
                        "SET DATA TYPE bigint also widens its identity sequence")
    if not seq["column_type"]:
        detail += " (no column owns it or uses it as a default)"
    fix = "\n".join([*statements, *(f"-- {c}" for c in comments)])
    return Finding("sequence_overflow", severity, seq["sequence_qname"], detail, fix, schema=seq["schema"],
                   statements=tuple(statements))
