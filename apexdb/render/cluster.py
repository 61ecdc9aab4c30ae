"""Views over a cluster: ``info --cluster`` and ``stats queries|indexes|tables --cluster``."""
from __future__ import annotations

from typing import Any

from apexdb.render.output import Column, cols


def _notes(out, notes) -> None:
    for note in notes:
        out.note(note)


def show_overview(out, doc: dict[str, Any]) -> None:
    rows = []
    for r in doc["members"]:
        state = r["role"]
        if r.get("replay_paused"):
            state += " (replay paused)"
        elif r["role"] == "replica" and r.get("streaming") is False:
            state += " (not streaming)"
        rows.append({**r, "state": state, "detail": r["error"] or r["dsn"],
                     "lag_from": r["lag_seen_from"] or ""})
    out.table(rows, cols("member", "state", "server_version", "pgvector", Column("lag_bytes", "lag", kind="bytes"),
                         Column("lag_s", "lag time", kind="s"), Column("lag_from", "lag seen from"),
                         Column("detail", max_width=70)),
              title=f"Cluster {doc['name']}", doc=doc)
    _notes(out, doc["notes"])


def show_statements(out, merged, cluster, *, sort: str, fmt: str) -> None:
    rows = [{**r, "query": " ".join((r["query"] or "").split())} if fmt != "json" else r for r in merged.rows]
    columns = [Column("query", max_width=None if fmt == "json" else 60), Column("runs_on", "runs on (calls)"),
               Column("calls", kind="int"), Column("total_ms", "total", kind="ms"),
               Column("mean_ms", "mean", kind="ms"), Column("share", kind="pct"), Column("rows", kind="int"),
               Column("hit_ratio", "cache hit", kind="pct")]
    title = (f"Top {len(rows)} of {merged.extra.get('statements', len(rows))} statements by {sort} over cluster "
             f"{cluster.name} ({', '.join(merged.members)})")
    out.table(rows, columns, title=title, doc=merged.as_json(cluster), empty="(no statements recorded yet)")
    _notes(out, merged.notes)


def show_indexes(out, merged, cluster) -> None:
    out.table(merged.rows, cols("schema", "table", "index", "method", Column("size_bytes", "size", kind="bytes"),
                                "scans:int", Column("runs_on", "scanned on"), "tuples_read:int", "valid:bool",
                                "last_scan:ts"),
              title=f"Indexes over cluster {cluster.name} ({', '.join(merged.members)})",
              doc=merged.as_json(cluster), empty="(no user indexes)")
    _notes(out, merged.notes)


def show_tables(out, merged, cluster) -> None:
    out.table(merged.rows, cols("schema", "table", Column("total_bytes", "size", kind="bytes"), "rows:int",
                                "seq_scan:int", "idx_scan:int", Column("runs_on", "index scans on"),
                                Column("index_scan_ratio", "index scans", kind="pct"), "dead_rows:int",
                                "last_autovacuum:ts"),
              title=f"Tables over cluster {cluster.name} ({', '.join(merged.members)})",
              doc=merged.as_json(cluster), empty="(no user tables)")
    _notes(out, merged.notes)
