"""The views of ``apexdb stats``: columns, sections and JSON documents of each subcommand.

Each function takes the Renderer (``out``) and what :mod:`apexdb.ops.stats` returned.
"""
from __future__ import annotations

from typing import Any, Iterable

from apexdb.render.format import human, human_bytes, truncate
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


# -- stats progress ----------------------------------------------------------------------------------

PROGRESS_COLUMNS = ("pid", "command", "relation", "phase", Column("progress", justify="right"),
                    Column("elapsed_s", "elapsed", kind="s"), Column("eta_s", "eta", kind="s"), "role",
                    Column("application", max_width=30))


def _progress_text(row: dict[str, Any]) -> str:
    """``1,234/5,000 blocks (24.7%)``; sizes for bytes; the count alone when there is no total."""
    done, total, unit = row["done"], row["total"], row["unit"] or ""
    if done is None:
        return ""
    show = human_bytes if unit == "bytes" else (lambda n: f"{int(n):,}")
    if not total:
        return show(done) if unit == "bytes" else f"{show(done)} {unit}".strip()
    text = f"{show(done)}/{show(total)}" + ("" if unit == "bytes" else f" {unit}")
    return f"{text} ({row['fraction'] * 100:.1f}%)" if row["fraction"] is not None else text


def _relation_text(row: dict[str, Any]) -> str:
    """The relation worked on; an index being built with its table."""
    if row["table"] and row["relation"] and row["relation"] != row["table"]:
        return f"{row['relation']} on {row['table']}"
    return row["relation"] or ""


def progress_section(report) -> Section:
    rows = [{**r, "progress": _progress_text(r), "relation": _relation_text(r)} for r in report.work]
    return Section("Work in progress", rows, cols(*PROGRESS_COLUMNS), empty="(no work in progress)")


def progress(out, report) -> None:
    out.sections([progress_section(report)], doc=report.as_json())


def progress_live(out, report) -> None:
    """One look, redrawn in place (``show`` of :meth:`Renderer.live`)."""
    import time

    section = progress_section(report)
    section.title = f"Work in progress at {time.strftime('%H:%M:%S', time.localtime(report.taken_at))}"
    return out.rich_table(section)


def progress_lines(out, report) -> None:
    """One look of ``--watch`` when nobody watches a terminal: a JSON document on one line (JSON Lines), else
    a line per piece of work (a line saying there is none, at the end)."""
    import json
    import time

    from apexdb.render.format import json_default

    if out.fmt == "json":
        out.line(json.dumps(report.as_json(), default=json_default, separators=(",", ":")))
        return
    stamp = time.strftime("%H:%M:%S", time.localtime(report.taken_at))
    if not report.work:
        out.line(f"{stamp} no work in progress")
    for r in report.work:
        eta = f" eta {human(r['eta_s'], 's')}" if r["eta_s"] is not None else ""
        where = f" {_relation_text(r)}" if r["relation"] else ""
        out.line(f"{stamp} pid {r['pid']} {r['command']}{where}: {r['phase']} {_progress_text(r)} "
                 f"elapsed {human(r['elapsed_s'], 's')}{eta}".replace("  ", " "))


# -- stats locks -------------------------------------------------------------------------------------

LOCK_COLUMNS = ("pid", "role", "application", "state", Column("lock_type", "lock type"), "mode",
                Column("granted", "status"), Column("what", max_width=40), Column("wait_s", "waiting", kind="s"),
                Column("transaction_s", "transaction", kind="s"), Column("blocked_by", "blocked by"),
                Column("query", max_width=50))


def _session_line(node: dict[str, Any]) -> str:
    who = " ".join(str(x) for x in (node.get("role"), node.get("application") and f"({node['application']})") if x)
    parts = [f"pid {node['pid']}", who, node.get("state") or ""]
    if node.get("waiting_for"):
        wait = f" for {human(node['wait_s'], 's')}" if node.get("wait_s") is not None else ""
        parts.append(f"waits{wait} for {node['waiting_for']}")
    elif node.get("transaction_s") is not None:
        parts.append(f"transaction {human(node['transaction_s'], 's')}")
    query = " ".join((node.get("query") or "").split())
    if query:
        parts.append(truncate(query, 60))
    return " · ".join(p for p in parts if p)


def _tree_lines(nodes: list[dict[str, Any]], prefix: str | None = None) -> list[str]:
    """The tree as text: each root on its own line, the sessions waiting for it below, drawn as branches."""
    lines = []
    for i, node in enumerate(nodes):
        last = i == len(nodes) - 1
        if prefix is None:  # a root
            lines.append(_session_line(node))
            lines.extend(_tree_lines(node["waiters"], ""))
            continue
        lines.append(f"{prefix}{'└── ' if last else '├── '}{_session_line(node)}")
        lines.extend(_tree_lines(node["waiters"], prefix + ("    " if last else "│   ")))
    return lines


def _what(row: dict[str, Any]) -> str:
    """The locked thing: the relation, the object (a transaction id, an advisory key), or both (a tuple)."""
    return " ".join(x for x in (row["relation"], row["object"]) if x)


def locks(out, report) -> None:
    if out.fmt == "json":
        out.document(report.as_json())
        notes(out, report.notes)
        return
    rows = [{**r, "granted": "held" if r["granted"] else "waiting", "what": _what(r)}
            for r in _one_line_queries(report.locks, out.fmt)]
    t = report.totals
    total = (f"{t['locks']} lock(s): {t['held']} held, {t['waiting']} waiting; {t['sessions']} session(s), "
             f"{t['blocking_sessions']} blocking, {t['blocked_sessions']} blocked")
    if out.fmt == "csv":
        out.table(rows, cols(*LOCK_COLUMNS))
        out.note(total)
        notes(out, report.notes)
        return
    out.sections([Section("Locks", rows, cols(*LOCK_COLUMNS), empty="(no locks held or awaited by other sessions)")])
    out.line("")
    if not report.tree:
        out.line("Blocking tree: nobody waits for a lock")
    elif out.rich_stdout:
        from rich.markup import escape
        from rich.tree import Tree

        def add(parent, node):
            branch = parent.add(escape(_session_line(node)))
            for waiter in node["waiters"]:
                add(branch, waiter)

        tree = Tree("[bold]Blocking tree[/bold] (a waiter under what it waits for)")
        for root in report.tree:
            add(tree, root)
        out.rich(tree)
    else:
        lines = _tree_lines(report.tree)
        if out.fmt == "markdown":
            out.line("### Blocking tree\n\n```")
            for line in lines:
                out.line(line)
            out.line("```")
        else:
            out.line("Blocking tree (a waiter under what it waits for)")
            for line in lines:
                out.line(line)
    out.line("")
    out.line(f"Total: {total}")
    notes(out, report.notes)
