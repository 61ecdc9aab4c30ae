"""``apexdb stats``: what the server is doing: statements, tables, indexes, cache, sessions, settings."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import ClusterOpt, DsnOpt, FormatOpt, Session, TargetOpt, YesOpt, open_cluster_for

LimitOpt = Annotated[int, typer.Option("--limit", "-n", help="At most this many rows.")]

stats_app = typer.Typer(help="What the server is doing: statements, tables, indexes, cache, sessions, settings.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(stats_app, name="stats", rich_help_panel="Diagnostics")


def _notes(out, notes) -> None:
    for note in notes:
        out.note(note)


@stats_app.command("queries")
def queries(
    sort: Annotated[str, typer.Option("--sort", help="total, mean, calls, rows, io or temp.")] = "total",
    limit: LimitOpt = 20,
    min_calls: Annotated[int, typer.Option("--min-calls", help="Skip statements called fewer times.")] = 1,
    all_users: Annotated[bool, typer.Option("--all-users", help="Every role's statements, not only this role's.")] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Forget every gathered statement (asks first).")] = False,
    yes: YesOpt = False,
    dsn: DsnOpt = None, target: TargetOpt = None, cluster: ClusterOpt = None, format: FormatOpt = "table",
) -> None:
    """The statements that cost the most, from pg_stat_statements (--cluster: merged over members)."""
    from apexdb.ops.stats_queries import reset_statements, top_statements
    from apexdb.render import Column

    with Session(format, dsn, target) as s:
        if cluster:
            from apexdb.errors import BadInput
            from apexdb.ops.cluster.stats import cluster_statements
            from apexdb.render.cluster import show_statements

            if reset:
                raise BadInput("--reset works on one server at a time: name it with --target, not --cluster")
            members = open_cluster_for(cluster, dsn, target, s)
            merged = cluster_statements(members, sort=sort, limit=limit, min_calls=min_calls, all_users=all_users)
            show_statements(s.out, merged, members, sort=sort, fmt=format)
            return
        conn = s.connect()
        if reset:
            s.confirm("Forget every statement pg_stat_statements has gathered on this server?", yes,
                      what="resetting pg_stat_statements")
            count = reset_statements(conn)
            s.out.document({"reset": True, "statements_forgotten": count},
                           lambda out: out.line(f"pg_stat_statements reset: {count} statement(s) forgotten"))
            return
        report = top_statements(conn, sort=sort, limit=limit, min_calls=min_calls, all_users=all_users)
        columns = [Column("query", max_width=None if format == "json" else 60), Column("calls", kind="int"),
                   Column("total_ms", "total", kind="ms"), Column("mean_ms", "mean", kind="ms"),
                   Column("max_ms", "max", kind="ms"), Column("share", "share", kind="pct"),
                   Column("rows", kind="int"), Column("hit_ratio", "cache hit", kind="pct"),
                   Column("temp_blks", "temp blocks", kind="int")]
        if sort == "io":
            columns.append(Column("io_ms", "io time", kind="ms"))
            columns.append(Column("shared_blks_read", "blocks read", kind="int"))
        if all_users:
            columns.insert(1, Column("role"))
        rows = [{**r, "query": " ".join((r["query"] or "").split())} if format != "json" else r
                for r in report.rows]
        title = (f"Top {len(rows)} of {report.statements} statements by {sort} "
                 f"(pg_stat_statements {report.version} in {report.schema})")
        s.out.table(rows, columns, title=title, empty="(no statements recorded yet)")
        _notes(s.out, report.notes)


@stats_app.command("tables")
def tables(limit: LimitOpt = 50, dsn: DsnOpt = None, target: TargetOpt = None, cluster: ClusterOpt = None,
           format: FormatOpt = "table") -> None:
    """Tables by size: rows, sequential against index scans, dead tuples, last vacuum and analyze."""
    from apexdb.ops.stats_tables import table_stats
    from apexdb.render import Column, cols

    with Session(format, dsn, target) as s:
        if cluster:
            from apexdb.ops.cluster.stats import cluster_table_stats
            from apexdb.render.cluster import show_tables

            members = open_cluster_for(cluster, dsn, target, s)
            show_tables(s.out, cluster_table_stats(members, limit=limit), members)
            return
        rows = table_stats(s.connect(), limit)
        view = [{**r, "last_analyzed": max((t for t in (r["last_analyze"], r["last_autoanalyze"]) if t),
                                           default=None)} for r in rows]
        s.out.table(view, cols("schema", "table", Column("total_bytes", "size", kind="bytes"), "rows:int",
                               "seq_scan:int", "idx_scan:int", Column("index_scan_ratio", "index scans", kind="pct"),
                               "dead_rows:int", Column("dead_ratio", "dead", kind="pct"), "last_vacuum:ts",
                               "last_autovacuum:ts", Column("last_analyzed", "last analyze", kind="ts")),
                    title="Tables", doc=rows, empty="(no user tables)")


@stats_app.command("indexes")
def indexes(limit: LimitOpt = 50, dsn: DsnOpt = None, target: TargetOpt = None, cluster: ClusterOpt = None,
            format: FormatOpt = "table") -> None:
    """Indexes by size: method, scans, tuples read and fetched (--cluster: scans on every member)."""
    from apexdb.ops.stats_tables import index_stats
    from apexdb.render import Column, cols

    with Session(format, dsn, target) as s:
        if cluster:
            from apexdb.ops.cluster.stats import cluster_index_stats
            from apexdb.render.cluster import show_indexes

            members = open_cluster_for(cluster, dsn, target, s)
            show_indexes(s.out, cluster_index_stats(members, limit=limit), members)
            return
        rows = index_stats(s.connect(), limit)
        s.out.table(rows, cols("schema", "table", "index", "method", Column("size_bytes", "size", kind="bytes"),
                               "scans:int", "tuples_read:int", "tuples_fetched:int", "valid:bool", "last_scan:ts"),
                    title="Indexes", empty="(no user indexes)")


@stats_app.command("cache")
def cache(limit: LimitOpt = 50, dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table") -> None:
    """Buffer cache hit ratios for heap and index blocks, overall and per table."""
    from apexdb.ops.stats_tables import cache_stats
    from apexdb.render import Column, Section, cols

    with Session(format, dsn, target) as s:
        report = cache_stats(s.connect(), limit)
        o = report.overall
        overall = [{"what": "heap (tables)", "hit_ratio": o.get("heap_hit_ratio"), "hits": o.get("heap_hit"),
                    "reads": o.get("heap_read")},
                   {"what": "indexes", "hit_ratio": o.get("index_hit_ratio"), "hits": o.get("index_hit"),
                    "reads": o.get("index_read")}]
        s.out.sections([
            Section("Overall", overall, cols("what", Column("hit_ratio", "hit ratio", kind="pct"), "hits:int",
                                             "reads:int")),
            Section("Per table", report.tables, cols(
                "schema", "table", "heap_blocks:int", Column("heap_hit_ratio", "heap hit", kind="pct"),
                "index_blocks:int", Column("index_hit_ratio", "index hit", kind="pct")), empty="(no user tables)"),
        ], doc=report.as_json())


@stats_app.command("activity")
def activity(dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table") -> None:
    """Sessions that are not idle: how long, wait events, who blocks whom, idle in transaction."""
    from apexdb.ops.stats_activity import activity as gather
    from apexdb.render import Column, cols

    with Session(format, dsn, target) as s:
        report = gather(s.connect())
        rows = [{**r, "query": " ".join((r["query"] or "").split())} if format != "json" else r
                for r in report.sessions]
        s.out.table(rows, cols("pid", "role", "application", "state", "flag", Column("blocked_by"), "wait_event_type",
                               "wait_event", Column("query_s", "query time", kind="s"),
                               Column("transaction_s", "transaction time", kind="s"),
                               Column("query", max_width=60)),
                    title="Active sessions", doc=report.as_json(), empty="(no other active sessions)")
        _notes(s.out, report.notes)


@stats_app.command("settings")
def settings(
    ram: Annotated[Optional[str], typer.Option(
        "--ram", help="The server's RAM (e.g. 16GB) when it is not on this machine.", show_default=False)] = None,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Memory and vector settings with recommendations (work_mem = RAM x 0.25 / max_connections)."""
    from apexdb.ops.stats_settings import settings_report
    from apexdb.render import Column, cols
    from apexdb.render.format import human_bytes

    with Session(format, dsn, target) as s:
        report = settings_report(s.connect(), ram)
        ram_text = f"{human_bytes(report.ram_bytes)} ({report.ram_source})" if report.ram_bytes else "unknown"
        s.out.table(report.rows, cols("name", "value", "recommended", Column("status", kind="severity"),
                                      Column("note", max_width=90)),
                    title=f"Settings (RAM {ram_text})", doc=report.as_json())
        _notes(s.out, report.notes)
