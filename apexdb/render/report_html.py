"""The view of ``apexdb report --html FILE``: one self-contained HTML page.

No script, no external style sheet, font or image: CSS is inline and charts are inline SVG
(:mod:`apexdb.render.svg`); a Content-Security-Policy of ``default-src 'none'`` makes the browser
refuse any load that might slip in. Every text from the database (statement texts, object names,
finding details, settings) is escaped with :func:`html.escape`.

Sections: the header (server, version, database, when), audit findings by severity, top
statements with their history, table and index sizes with growth, vector indexes with their
stored tune curve. Where history or a tune result is missing the section says how to get it.
"""
from __future__ import annotations

from html import escape
from typing import Any, Iterable

from apexdb import __version__
from apexdb.render.format import human_bytes, human_int
from apexdb.render.report_sections import sizes_section, statements_section, table, vector_section

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
SEVERITY_ORDER = ("critical", "warning", "info")

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #212529; margin: 0;
       background: #f8f9fa; }
main { max-width: 1180px; margin: 0 auto; padding: 0 20px 40px; }
header.page { background: #1f2a37; color: #f8f9fa; padding: 18px 20px; }
header.page h1 { margin: 0 0 6px; font-size: 22px; }
header.page dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
header.page dt { color: #adb5bd; } header.page dd { margin: 0; }
nav { margin: 12px 0; } nav a { margin-right: 14px; color: #1f6fb4; }
section { background: #fff; border: 1px solid #dee2e6; border-radius: 6px; padding: 14px 18px; margin: 16px 0; }
h2 { margin: 0 0 10px; font-size: 18px; } h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e9ecef; vertical-align: top; }
th { background: #f1f3f5; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
code, pre { font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; background: #f8f9fa; padding: 4px 6px; }
td.query code { white-space: pre-wrap; word-break: break-word; }
#audit td:nth-child(3) { width: 42%; } #audit td:nth-child(4) { width: 34%; }
.badge { display: inline-block; border-radius: 10px; padding: 1px 9px; font-weight: 600; margin-right: 6px; }
.critical { background: #ffe3e3; color: #a61e1e; } .warning { background: #fff3bf; color: #8a5a00; }
.info { background: #e7f5ff; color: #1864ab; } .ok { background: #d3f9d8; color: #2b8a3e; }
.absent { color: #495057; background: #f1f3f5; border-left: 4px solid #adb5bd; padding: 8px 12px; }
.note { color: #495057; font-size: 13px; }
.up { color: #c92a2a; } .down { color: #2b8a3e; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 14px; }
.card { border: 1px solid #dee2e6; border-radius: 6px; padding: 10px 12px; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 6px 0; }
footer { color: #868e96; font-size: 12px; text-align: center; }
"""


def report_page(report) -> str:
    """The whole page for a :class:`apexdb.ops.report.Report`."""
    server = report.server
    title = f"apexdb report: {server['database']} on PostgreSQL {server['server_version']}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        _header(report, title),
        '<main><nav><a href="#audit">Audit</a><a href="#statements">Top statements</a>'
        '<a href="#sizes">Sizes and growth</a><a href="#vectors">Vector indexes</a></nav>',
        audit_section(report.audit),
        statements_section(report),
        sizes_section(report),
        vector_section(report),
        f"<footer>apexdb {escape(__version__)} · generated {escape(_when(report.generated_at))} · "
        "read-only: nothing on the server was changed</footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _when(at) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _header(report, title: str) -> str:
    s = report.server
    role = s["role"] + (" (superuser)" if s.get("is_superuser") else " (pg_monitor)" if s.get("has_pg_monitor") else "")
    history = report.history
    if history is None:
        hist = "not readable by this role" if report.history_unreadable else "not installed (apexdb snapshot init)"
    else:
        hist = (f"{human_int(history.snapshots)} snapshot(s) in schema {history.schema}"
                + (f", {_when(history.first_at)} to {_when(history.last_at)}" if history.first_at else ""))
    items = [("server", f"PostgreSQL {s['server_version']}" + (" (standby)" if s.get("in_recovery") else "")),
             ("database", f"{s['database']} ({human_bytes(s['database_size_bytes'])})"),
             ("target", f"{report.target['dsn']} ({report.target['source']})"),
             ("role", role), ("pgvector", report.vector_version or "not installed in this database"),
             ("history", hist), ("generated", _when(report.generated_at))]
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in items)
    return f'<header class="page"><h1>{escape(title)}</h1><dl>{rows}</dl></header>'


def audit_section(audit) -> str:
    counts = audit.counts()
    badges = "".join(f'<span class="badge {sev}">{counts[sev]} {sev}</span>' for sev in SEVERITY_ORDER)
    parts = ['<section id="audit"><h2>Audit</h2>',
             f"<p>{badges}<span class=\"note\">the checks of <code>apexdb audit all</code> with this "
             f"configuration's thresholds ({len(audit.checks_run)} checks)</span></p>"]
    if not audit.findings:
        parts.append('<p><span class="badge ok">no findings</span></p>')
    for sev in SEVERITY_ORDER:
        found = [f for f in audit.findings if f.severity == sev]
        if not found:
            continue
        parts.append(f'<h3><span class="badge {sev}">{sev}</span>{len(found)} finding(s)</h3>')
        parts.append(table([("check", ""), ("object", ""), ("detail", ""), ("fix", "")],
                           [[(escape(f.check), ""), (f"<code>{escape(f.object)}</code>", ""), (escape(f.detail), ""),
                             (f"<pre>{escape(f.fix)}</pre>" if f.fix else "", "")] for f in found]))
    notes = list(audit.notes) + list(audit.coverage)
    if notes:
        parts.append('<ul class="note">' + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)



def show_summary(out, report, path: str, written: int) -> None:
    """What the command prints once the page is written (JSON: path, bytes and the counts)."""
    from apexdb.render.output import cols

    s = report.summary()
    f = s["findings"]
    items = [("written", f"{path} ({human_bytes(written)})"),
             ("audit", f"{f['critical']} critical, {f['warning']} warning, {f['info']} info"),
             ("top statements", f"{s['statements']}" + (f" ({s['statements_with_history']} with history)"
                                                          if s["history"] else "")
              if report.statements is not None else report.statements_missing or ""),
             ("sizes", f"{s['tables']} tables, {s['indexes']} indexes"
                       + (f" ({s['relations_with_history']} with history)" if s["history"] else "")),
             ("vector indexes", f"{s['vector_indexes']} ({s['tune_results']} with a stored tune result)"),
             ("history", "installed" if s["history"] else report.history_unreadable
              or "not installed: apexdb snapshot init")]
    out.table([{"item": k, "value": v} for k, v in items], cols("item", "value"),
              doc={"html": path, "bytes": written, **s, "generated_at": report.generated_at})
