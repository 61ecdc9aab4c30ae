"""The views of ``apexdb stats``: columns, sections and JSON documents of each subcommand.

Each function takes the Renderer (``out``) and what :mod:`apexdb.ops.stats` returned.
"""
from __future__ import annotations

from typing import Any, Iterable

from apexdb.render.format import human_bytes
from apexdb.render.output import Column, Section, cols


def notes(out, messages: Iterable[str]) -> None:
    for message in messages:
        out.note(message)


def _one_line_queries(rows: list[dict[str, Any]], fmt: str) -> list[dict[str, Any]]:
    """Statement text on one line for tables; JSON keeps it as it was."""
    if fmt == "json":
        return rows
    return [{**r, "query": " ".join((r["query"] or "").split())} for r in rows]


def statements_reset(out, count: int) -> None:
    out.document({"reset": True, "statements_forgotten": count},
                 lambda o: o.line(f"pg_stat_statements reset: {count} statement(s) forgotten"))


def statements(out, report, *, sort: str, all_users: bool) -> None:
    columns = [Column("query", max_width=None if out.fmt == "json" else 60), Column("calls", kind="int"),
               Column("total_ms", "total", kind="ms"), Column("mean_ms", "mean", kind="ms"),
               Column("max_ms", "max", kind="ms"), Column("share", "share", kind="pct"),
               Column("rows", kind="int"), Column("hit_ratio", "cache hit", kind="pct"),
               Column("temp_blks", "temp blocks", kind="int")]
    if sort == "io":
        columns.append(Column("io_ms", "io time", kind="ms"))
        columns.append(Column("shared_blks_read", "blocks read", kind="int"))
    if all_users:
        columns.insert(1, Column("role"))
    rows = _one_line_queries(report.rows, out.fmt)
    title = (f"Top {len(rows)} of {report.statements} statements by {sort} "
             f"(pg_stat_statements {report.version} in {report.schema})")
    out.table(rows, columns, title=title, empty="(no statements recorded yet)")
    notes(out, report.notes)


def tables(out, rows: list[dict[str, Any]]) -> None:
    view = [{**r, "last_analyzed": max((t for t in (r["last_analyze"], r["last_autoanalyze"]) if t), default=None)}
            for r in rows]
    out.table(view, cols("schema", "table", Column("total_bytes", "size", kind="bytes"), "rows:int",
                         "seq_scan:int", "idx_scan:int", Column("index_scan_ratio", "index scans", kind="pct"),
                         "dead_rows:int", Column("dead_ratio", "dead", kind="pct"), "last_vacuum:ts",
                         "last_autovacuum:ts", Column("last_analyzed", "last analyze", kind="ts")),
              title="Tables", doc=rows, empty="(no user tables)")


def indexes(out, rows: list[dict[str, Any]]) -> None:
    out.table(rows, cols("schema", "table", "index", "method", Column("size_bytes", "size", kind="bytes"),
                         "scans:int", "tuples_read:int", "tuples_fetched:int", "valid:bool", "last_scan:ts"),
              title="Indexes", empty="(no user indexes)")


def cache(out, report) -> None:
    o = report.overall
    overall = [{"what": "heap (tables)", "hit_ratio": o.get("heap_hit_ratio"), "hits": o.get("heap_hit"),
                "reads": o.get("heap_read")},
               {"what": "indexes", "hit_ratio": o.get("index_hit_ratio"), "hits": o.get("index_hit"),
                "reads": o.get("index_read")}]
    out.sections([
        Section("Overall", overall, cols("what", Column("hit_ratio", "hit ratio", kind="pct"), "hits:int",
                                         "reads:int")),
        Section("Per table", report.tables, cols(
            "schema", "table", "heap_blocks:int", Column("heap_hit_ratio", "heap hit", kind="pct"),
            "index_blocks:int", Column("index_hit_ratio", "index hit", kind="pct")), empty="(no user tables)"),
    ], doc=report.as_json())


ACTIVITY_COLUMNS = ("pid", "role", "application", "state", "flag", Column("blocked_by"), "wait_event_type",
                    "wait_event", Column("query_s", "query time", kind="s"),
                    Column("transaction_s", "transaction time", kind="s"), Column("query", max_width=60))


def activity(out, report) -> None:
    rows = _one_line_queries(report.sessions, out.fmt)
    if report.totals is None:
        out.table(rows, cols(*ACTIVITY_COLUMNS), title="Active sessions", doc=report.as_json(),
                  empty="(no other active sessions)")
    else:
        out.sections([
            Section("Sessions", rows, cols(*ACTIVITY_COLUMNS), empty="(no other sessions)"),
            Section("Sessions by state", [*report.totals, {"state": "total",
                                                           "sessions": sum(t["sessions"] for t in report.totals)}],
                    cols("state", "sessions:int")),
        ], doc=report.as_json())
    notes(out, report.notes)


def settings(out, report) -> None:
    ram = f"{human_bytes(report.ram_bytes)} ({report.ram_source})" if report.ram_bytes else "unknown"
    out.table(report.rows, cols("name", "value", "recommended", Column("status", kind="severity"),
                                Column("note", max_width=90)),
              title=f"Settings (RAM {ram})", doc=report.as_json())
    notes(out, report.notes)
