"""Monitoring-plugin output for audits (Nagios, Icinga, Sensu, check_postgres' conventions).

One status line ``APEXDB AUDIT <STATE>: ...``, optional perfdata after ``|``
(``'label'=value[unit];warn;crit;min;max``), and the exit code of the state:
0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. An audit that could not run a check and found
nothing worse is UNKNOWN: silence there would be a lie.
"""
from __future__ import annotations

from typing import Iterable

from apexdb.ops.audit.model import META_CHECKS, AuditReport

STATES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
EXIT_CODE_STYLES = ("default", "nagios")


def state_of(reports: Iterable[AuditReport]) -> str:
    findings = [f for r in reports for f in r.findings]
    real = [f for f in findings if f.check not in META_CHECKS]
    if any(f.severity == "critical" for f in real):
        return "CRITICAL"
    if any(f.severity == "warning" for f in real):
        return "WARNING"
    if any(f.check in META_CHECKS and f.severity != "info" for f in findings):
        return "UNKNOWN"
    return "OK"


def status_line(reports: list[AuditReport], perfdata: bool = False) -> str:
    state = state_of(reports)
    findings = [f for r in reports for f in r.findings]
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("critical", "warning", "info")}
    text = ", ".join(f"{n} {s}" for s, n in counts.items())
    worst = [f for f in findings if f.severity in ("critical", "warning")][:3]
    if worst:
        more = len([f for f in findings if f.severity in ("critical", "warning")]) - len(worst)
        text += ": " + "; ".join(f"{f.check} {f.object}" for f in worst) + (f"; {more} more" if more > 0 else "")
    line = f"APEXDB AUDIT {state}: {text}"
    if perfdata:
        line += " | " + perfdata_text(reports)
    return line


def unknown_line(message: str) -> str:
    return f"APEXDB AUDIT UNKNOWN: {' '.join(message.split()) or 'the audit did not run'}"


def perfdata_text(reports: list[AuditReport]) -> str:
    several = len(reports) > 1
    items = []
    for report in reports:
        prefix = f"{report.target}_" if several else ""
        counts = report.counts()
        for severity in ("critical", "warning", "info"):
            items.append(_item(prefix + severity, counts[severity], "", None, None, 0, None))
        for label, (value, unit, warn, crit, high) in sorted(report.metrics.items()):
            items.append(_item(prefix + label, value, unit, warn, crit, 0, high))
    return " ".join(items)


def _item(label: str, value, unit: str, warn, crit, low, high) -> str:
    def num(v) -> str:
        if v is None:
            return ""
        return f"{v:g}" if isinstance(v, float) else str(v)
    label = label if label.replace("_", "").isalnum() else "'" + label.replace("'", "''") + "'"
    return f"{label}={num(value)}{unit};{num(warn)};{num(crit)};{num(low)};{num(high)}".rstrip(";")
