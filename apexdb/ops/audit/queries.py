"""``audit queries``: the workload advisor (``ops.workload``) as audit findings.

Proposals become ``query_index`` findings whose fix is the ``CREATE INDEX CONCURRENTLY``
(``--apply`` runs it); the explain engine's findings on each top statement become
``query_vector`` (vector causes) or ``query_plan`` findings, except the per-statement
index suggestions the proposals consolidate. pg_stat_statements missing, not preloaded or
unreadable is one note, and the other audits go on.
"""
from __future__ import annotations

from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import Finding

MAX_SKIPPED_NOTES = 5


def check_queries(ctx: AuditContext) -> None:
    from apexdb.errors import NotEnabled
    from apexdb.ops.workload import WorkloadRequest, advise

    t = ctx.thresholds
    request = WorkloadRequest(top=int(t.queries_top), top_mean=int(t.queries_top_mean),
                              min_calls=int(t.queries_min_calls), min_table_rows=int(t.queries_min_table_rows),
                              statement_timeout=ctx.statement_timeout)
    try:
        report = advise(ctx.conn, request)
    except NotEnabled as exc:
        ctx.note(f"queries: not checked: {exc}")
        ctx.report.sections["queries"] = {"plan_method": None, "hypopg": None, "proposals": [], "statements": [],
                                          "already_indexed": [], "skipped": [], "unavailable": str(exc)}
        return
    ctx.report.sections["queries"] = report.as_json()
    for note in report.notes:
        ctx.note(f"queries: {note}")
    for item in report.skipped[:MAX_SKIPPED_NOTES]:
        ctx.note(f"queries: queryid {item['queryid']} skipped: {item['reason']}")
    if len(report.skipped) > MAX_SKIPPED_NOTES:
        ctx.note(f"queries: {len(report.skipped) - MAX_SKIPPED_NOTES} more statement(s) skipped "
                 "(--format json lists them all)")
    for p in report.proposals:
        ctx.add(_proposal_finding(p))
    for result in report.statements:
        for f in result.findings:
            if _consolidated(f.fix):
                continue
            s = result.statement
            vector = any(w in f.message.lower() for w in ("vector", "hnsw", "ivfflat", "ef_search"))
            ctx.add(Finding("query_vector" if vector else "query_plan", f.severity, f"queryid {s.queryid}",
                            f"{f.message} [{f.node}; {s.calls:,} calls, {s.mean_ms:,.1f} ms mean, "
                            f"{s.total_ms:,.0f} ms total] {_short(s.query)}", f.fix))


def _proposal_finding(p) -> Finding:
    serves = "; ".join(f"queryid {s.queryid} ({s.calls:,} calls, {s.total_ms:,.0f} ms total, {s.mean_ms:,.1f} ms "
                       f"mean)" for s in p.statements)
    if p.verified is None:
        checked = "not verified (HypoPG is not installed)"
    elif p.verified:
        checked = f"verified: {p.verify_note}"
    else:
        checked = f"not confirmed: {p.verify_note}"
    create = p.definition() + ";"
    return Finding("query_index", "warning", f"{p.schema}.{p.table} ({', '.join(p.columns)})",
                   f"would serve {len(p.statements)} statement(s) taking {p.total_ms:,.0f} ms in all: {serves}; "
                   f"{checked}", create, schema=p.schema, table=p.table, index=p.name, statements=(create,))


def _consolidated(fix: str) -> bool:
    """A B-tree CREATE INDEX for one statement: the workload's proposals say it once for all."""
    return fix.startswith("CREATE INDEX CONCURRENTLY") and " USING " not in fix.split(";")[0]


def _short(query: str, width: int = 160) -> str:
    text = " ".join(query.split())
    return text if len(text) <= width else text[:width - 1] + "…"
