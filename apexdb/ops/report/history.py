"""The report's history: statement series and changes, relation growth, stored tune results.

All of it comes from :mod:`apexdb.ops.history`; without its schema (``apexdb snapshot init``)
``history_state`` is None and the report says how to start one.

The window starts at ``--since`` ago or at the first snapshot, whichever is later. A statement's
change compares the window's first half with its second half (``statement_changes`` compares a
period with the one of the same length before it), so two snapshots are enough to see a trend.
"""
from __future__ import annotations

import datetime as dt

CHANGES_READ = 500  # statements whose change is read (the top statements are looked up among them)


def add_history(conn, report, request) -> None:
    """History into ``report``; a role that may not read the history schema gets the rest of the page
    and one line saying so (the report's other sections need only pg_monitor)."""
    import psycopg

    try:
        _add_history(conn, report, request)
    except psycopg.errors.InsufficientPrivilege as exc:
        report.history, report.since, report.tune = None, None, []
        report.statement_history.clear()
        report.growth = {"table": {}, "index": {}}
        report.history_unreadable = (f"{exc.diag.message_primary or exc}: the history schema exists but this "
                                     "role may not read it (GRANT USAGE on the schema and SELECT on its tables)")


def _add_history(conn, report, request) -> None:
    from apexdb.ops.history import (history_state, relation_growth, statement_changes, statement_series,
                                    tune_results)

    state = history_state(conn)
    report.history = state
    if state is None:
        return
    report.tune = tune_results(conn, latest_only=True)
    if state.first_at is None:  # installed, no snapshot yet
        return
    now = report.generated_at
    since = max(now - dt.timedelta(seconds=request.since_s), state.first_at)
    report.since = since
    changes = {}
    if since < now:
        middle = since + (now - since) / 2
        changes = {c["queryid"]: c for c in statement_changes(conn, middle, limit=max(CHANGES_READ, request.top))}
    for row in report.statements.rows if report.statements else []:
        qid = row.get("queryid")
        if qid is None:
            continue
        series = statement_series(conn, qid, since)
        if any(p.get("calls") for p in series) or qid in changes:
            report.statement_history[qid] = {"change": changes.get(qid), "series": series}
    for kind in ("table", "index"):
        for g in relation_growth(conn, kind, since, limit=max(request.relations * 5, 100)):
            g["points"] = _points(g, since, state.last_at)
            report.growth[kind][g["relation"]] = g


def _points(growth: dict, since: dt.datetime, last_at: dt.datetime | None) -> list[tuple[dt.datetime, int]]:
    """The size over the window for a chart: at its start (the last sample before it), every sample in
    it, and at the last snapshot. Snapshots store a size only when it changed, so an unchanged relation
    has no sample in the window and still draws as a flat line."""
    points = [(since, growth["bytes_before"])] if growth.get("bytes_before") is not None else []
    points += [(at, size) for at, size in growth.get("series") or [] if size is not None and at > since]
    if growth.get("bytes_now") is not None and last_at is not None and (not points or points[-1][0] < last_at):
        points.append((last_at, growth["bytes_now"]))
    return points
