"""The monitoring view of an audit (``--exit-codes nagios``): the status line first, where a plugin
runner reads it, then one line per finding (the plugin's long output); or one JSON document."""
from __future__ import annotations

from typing import Any


def render_status(out, reports, line: str, state: str, summary: dict[str, Any], *, quiet: bool = False) -> None:
    if not quiet:
        for report in reports:
            for note in report.notes:
                out.note(note)
    several = len(reports) > 1
    findings = [f for r in reports for f in r.findings]
    if out.fmt == "json":
        out.document({"status": state, "status_line": line,
                      "findings": [f.public(with_target=several) for f in findings], "summary": summary})
        return
    out.line(line)
    for f in findings:
        target = f"{f.target}: " if several else ""
        out.line(f"{f.severity.upper()} {target}{f.check} {f.object}: {' '.join(f.detail.split())}")
