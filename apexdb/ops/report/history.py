"""The report's history: statement series and changes, relation growth, stored tune results.

All of it comes from :mod:`apexdb.ops.history`; without its schema (``apexdb snapshot init``)
``history_state`` is None and the report says how to start one.
"""
from __future__ import annotations

import datetime as dt


def add_history(conn, report, request) -> None:
    try:  # TEMPORARY until the history branch is merged
        from apexdb.ops.history import (history_state, relation_growth, statement_changes, statement_series,
                                        tune_results)
    except ImportError:
        report.history = None
        return

    report.history = history_state(conn)
    if report.history is None:
        return
    since = report.generated_at - dt.timedelta(seconds=request.since_s)
    report.since = since
    rows = report.statements.rows if report.statements else []
    changes = {c["queryid"]: c for c in statement_changes(conn, since, limit=max(request.top * 5, 50))}
    for row in rows:
        qid = row.get("queryid")
        if qid is None:
            continue
        series = statement_series(conn, qid, since)
        if series or qid in changes:
            report.statement_history[qid] = {"change": changes.get(qid), "series": series}
    for kind in ("table", "index"):
        for g in relation_growth(conn, kind, since, limit=request.relations * 5):
            report.growth[kind][g["relation"]] = g
    for t in tune_results(conn, latest_only=True):
        report.tune[t["index"]] = t
