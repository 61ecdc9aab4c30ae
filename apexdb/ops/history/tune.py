"""apexdb tune's results in the history schema: the sweep (curve), the pick, the index and the queries' source.

``tune`` stores each run when the schema exists (and the server is not a replica); the HTML report
and people read them back with :func:`tune_results`.
"""
from __future__ import annotations

import json
from typing import Any

from apexdb.db.connection import read_only
from apexdb.db.queries import fetch, fetch_one
from apexdb.ops.history.schema import history_state, ident


def curve_of(result) -> list[dict[str, Any]]:
    """Each measured trial of a TuneResult: knob value, recall (held-out, else fit) and latency."""
    points = []
    for t in sorted(result.trials, key=lambda t: (t.family, t.value)):
        recall = t.heldout_recall if t.heldout_recall is not None else t.fit_recall
        points.append({"value": t.value, "family": t.family, "recall": recall, "fit_recall": t.fit_recall,
                       "heldout_recall": t.heldout_recall, "p50_ms": t.p50_ms, "p95_ms": t.p95_ms,
                       "p99_ms": t.p99_ms, "latency_ms": t.p50_ms, "index_used": t.index_used})
    return points


def store_tune_result(conn, result) -> int | None:
    """Store a TuneResult; its run id, or None when there is no history schema or this is a replica."""
    state = history_state(conn)
    if state is None:
        return None
    if fetch_one(conn, "cluster_member")["in_recovery"]:
        return None
    from apexdb.config import load_config
    from apexdb.db.connection import set_local

    cfg = load_config()
    picked = result.recommended
    with conn.transaction():
        set_local(conn, statement_timeout=cfg.setting("statement_timeout"), lock_timeout=cfg.setting("lock_timeout"))
        row = fetch_one(conn, "history_store_tune", {
            "index_name": result.index, "table_name": result.table, "column_name": result.column,
            "method": result.method, "knob": result.parameter, "k": result.k, "target_recall": result.target_recall,
            "picked": picked.value if picked else None,
            "picked_recall": (picked.heldout_recall if picked.heldout_recall is not None else picked.fit_recall)
            if picked else None,
            "source": result.query_source, "source_label": result.query_label, "optimistic": result.optimistic,
            "curve": json.dumps(curve_of(result))}, **ident(state.schema))
    return int(row["run_id"])


def tune_results(conn, latest_only: bool = True) -> list[dict[str, Any]]:
    """Stored tune runs, newest first (each index's latest only by default); [] without the schema."""
    state = history_state(conn)
    if state is None:
        return []
    with read_only(conn):
        rows = fetch(conn, "history_tune_results", {"latest_only": latest_only}, **ident(state.schema))
    return [{"run_id": r["run_id"], "at": r["taken_at"], "index": r["index_name"], "table": r["table_name"],
             "column": r["column_name"], "method": r["method"], "knob": r["knob"], "k": r["k"],
             "target_recall": r["target_recall"], "picked": r["picked"], "picked_recall": r["picked_recall"],
             "source": r["source"], "source_label": r["source_label"], "optimistic": r["optimistic"],
             "curve": r["curve"]} for r in rows]
