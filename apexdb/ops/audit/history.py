"""``statement_regressed`` (audit queries): statements whose mean time rose, from the history's snapshots.

The last ``regression_window`` (1d) is compared with the window of the same length before it
(``ops.history.statement_changes``); a statement called at least ``regression_min_calls`` times in
each whose mean time rose by ``mean_time_rise_warning`` (x1.5) is a warning, by
``mean_time_rise_critical`` (x3) critical, unless its mean is still under ``regression_min_ms`` (1 ms). Without the history schema, or without snapshots reaching
back far enough, this is one line in the summary (coverage, or a note) and nothing else.
"""
from __future__ import annotations

from datetime import timedelta

from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import Finding
from apexdb.ops.audit.queries import _short

MAX_FINDINGS = 100


def check_regressions(ctx: AuditContext) -> None:
    from apexdb.errors import BadInput
    from apexdb.ops.history import history_state, resolve_member, statement_changes
    from apexdb.ops.history.reading import server_now
    from apexdb.units import human_duration

    t = ctx.thresholds
    state = history_state(ctx.conn)
    if state is None:  # history is opt-in: said in the summary's coverage, not as a note on every run
        message = (f"queries: statement history not checked: no {_schema()} schema (`apexdb snapshot init` "
                   "creates it, `apexdb snapshot` from cron fills it)")
        if message not in ctx.report.coverage:
            ctx.report.coverage.append(message)
        return
    window = human_duration(t.regression_window)
    try:
        member = resolve_member(ctx.conn, ctx.report.target)
    except BadInput as exc:
        ctx.note(f"queries: statement history not checked: {exc.message}")
        return
    now = server_now(ctx.conn)
    since = now - timedelta(seconds=t.regression_window)
    if state.first_at is None or state.first_at > since - timedelta(seconds=t.regression_window):
        first = f"the first is from {state.first_at:%Y-%m-%d %H:%M}" if state.first_at else "there are none yet"
        ctx.note(f"queries: statement history not checked: comparing the last {window} with the {window} before "
                 f"needs snapshots from {2 * t.regression_window / 86400:g} days back ({first})")
        return
    rows = statement_changes(ctx.conn, since, now, member, MAX_FINDINGS, min_calls=max(1, t.regression_min_calls),
                             min_calls_before=max(1, t.regression_min_calls))
    for r in rows:
        rise = r["mean_change"]
        if rise is None or rise < t.mean_time_rise_warning:
            break  # sorted by the rise, largest first
        if r["mean_ms_after"] < t.regression_min_ms:
            continue
        severity = "critical" if rise >= t.mean_time_rise_critical else "warning"
        ctx.add(Finding(
            "statement_regressed", severity, f"queryid {r['queryid']}",
            f"mean time rose x{rise:.2f} on {member}: {r['mean_ms_before']:,.2f} ms over {r['calls_before']:,} "
            f"calls in the {window} before, {r['mean_ms_after']:,.2f} ms over {r['calls_after']:,} calls in the "
            f"last {window}; rows per call {r['rows_per_call_before']:,.1f} -> {r['rows_per_call_after']:,.1f} "
            f"{_short(r['query'] or '')}",
            f"apexdb stats queries --since {window}"))


def _schema() -> str:
    from apexdb.ops.history import history_schema

    return history_schema()
