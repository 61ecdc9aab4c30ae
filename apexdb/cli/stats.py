"""``apexdb stats``: what the server is doing: statements, tables, indexes, cache, sessions, settings."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import ClusterOpt, DsnOpt, FormatOpt, Session, TargetOpt, YesOpt, open_cluster_for

LimitOpt = Annotated[int, typer.Option("--limit", "-n", help="At most this many rows.")]
GrowthOpt = Annotated[Optional[str], typer.Option(
    "--growth", help="From the snapshots (apexdb snapshot): growth since this long ago (7d) or this time.",
    show_default=False)]

stats_app = typer.Typer(help="What the server is doing: statements, tables, indexes, cache, sessions, locks, "
                             "work in progress, settings.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(stats_app, name="stats", rich_help_panel="Diagnostics")


@stats_app.command("queries")
def queries(
    sort: Annotated[str, typer.Option("--sort", help="total, mean, calls, rows, io or temp.")] = "total",
    limit: LimitOpt = 20,
    min_calls: Annotated[int, typer.Option("--min-calls", help="Skip statements called fewer times.")] = 1,
    all_users: Annotated[bool, typer.Option("--all-users", help="Every role's statements, not only this role's.")] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Forget every gathered statement (asks first).")] = False,
    since: Annotated[Optional[str], typer.Option(
        "--since", help="From the snapshots: statements since this long ago (1d) or this time, against the "
                        "period of the same length before.", show_default=False)] = None,
    between: Annotated[Optional[tuple[str, str]], typer.Option(
        "--between", help="From the snapshots: statements between two times (or durations ago), against the "
                          "period of the same length before.", show_default=False)] = None,
    yes: YesOpt = False,
    dsn: DsnOpt = None, target: TargetOpt = None, cluster: ClusterOpt = None, format: FormatOpt = "table",
) -> None:
    """The statements that cost the most, from pg_stat_statements (--cluster: merged over members);
    with --since/--between, which statements regressed, from the snapshots."""
    from apexdb.ops.stats import reset_statements, top_statements
    from apexdb.render import stats as view

    if between is not None and all(v is None for v in between):
        between = None
    if since is not None or between is not None:
        _statement_changes(since, between, limit, min_calls, reset, dsn, target, cluster, format)
        return
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
            view.statements_reset(s.out, reset_statements(conn))
            return
        report = top_statements(conn, sort=sort, limit=limit, min_calls=min_calls, all_users=all_users)
        view.statements(s.out, report, sort=sort, all_users=all_users)


def _statement_changes(since, between, limit, min_calls, reset, dsn, target, cluster, format) -> None:
    from apexdb.errors import BadInput
    from apexdb.ops.history import resolve_member, resolve_period, statement_changes
    from apexdb.render import history as view

    if reset:
        raise BadInput("--reset works on pg_stat_statements itself, not with --since/--between")
    if cluster:
        raise BadInput("--since/--between read one member's snapshots: name it with --target (a replica's "
                       "snapshots are read on the replica or its primary)")
    with Session(format, dsn, target) as s:
        conn = s.connect()
        member = resolve_member(conn, target)
        start, end = resolve_period(conn, since, between, member)
        rows = statement_changes(conn, start, end, member, limit, min_calls=max(min_calls, 1))
        view.statement_changes(s.out, rows, since=start, until=end, member=member)


def _growth(kind: str, growth: str, limit: int, dsn, target, cluster, format) -> None:
    from apexdb.errors import BadInput
    from apexdb.ops.history import relation_growth, resolve_member, resolve_period
    from apexdb.render import history as view

    if cluster:
        raise BadInput("--growth reads the snapshots of one database: sizes are the primary's, so name a "
                       "member with --target, not --cluster")
    with Session(format, dsn, target) as s:
        conn = s.connect()
        member = resolve_member(conn, target)
        start, _ = resolve_period(conn, growth, None, "primary", option="--growth")
        view.growth(s.out, kind, relation_growth(conn, kind, start, member, limit), since=start, member=member)


@stats_app.command("tables")
def tables(limit: LimitOpt = 50, growth: GrowthOpt = None, dsn: DsnOpt = None, target: TargetOpt = None,
           cluster: ClusterOpt = None, format: FormatOpt = "table") -> None:
    """Tables by size: rows, sequential against index scans, dead tuples, last vacuum and analyze
    (--growth 7d: which grew, from the snapshots)."""
    from apexdb.ops.stats import table_stats
    from apexdb.render import stats as view

    if growth is not None:
        _growth("table", growth, limit, dsn, target, cluster, format)
        return
    with Session(format, dsn, target) as s:
        if cluster:
            from apexdb.ops.cluster.stats import cluster_table_stats
            from apexdb.render.cluster import show_tables

            members = open_cluster_for(cluster, dsn, target, s)
            show_tables(s.out, cluster_table_stats(members, limit=limit), members)
            return
        view.tables(s.out, table_stats(s.connect(), limit))


@stats_app.command("indexes")
def indexes(limit: LimitOpt = 50, growth: GrowthOpt = None, dsn: DsnOpt = None, target: TargetOpt = None,
            cluster: ClusterOpt = None, format: FormatOpt = "table") -> None:
    """Indexes by size: method, scans, tuples read and fetched (--cluster: scans on every member;
    --growth 7d: which grew, and vector-index scans since, from the snapshots)."""
    from apexdb.ops.stats import index_stats
    from apexdb.render import stats as view

    if growth is not None:
        _growth("index", growth, limit, dsn, target, cluster, format)
        return
    with Session(format, dsn, target) as s:
        if cluster:
            from apexdb.ops.cluster.stats import cluster_index_stats
            from apexdb.render.cluster import show_indexes

            members = open_cluster_for(cluster, dsn, target, s)
            show_indexes(s.out, cluster_index_stats(members, limit=limit), members)
            return
        view.indexes(s.out, index_stats(s.connect(), limit))


@stats_app.command("cache")
def cache(limit: LimitOpt = 50, dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table") -> None:
    """Buffer cache hit ratios for heap and index blocks, overall and per table."""
    from apexdb.ops.stats import cache_stats
    from apexdb.render import stats as view

    with Session(format, dsn, target) as s:
        view.cache(s.out, cache_stats(s.connect(), limit))


@stats_app.command("activity")
def activity(
    all_sessions: Annotated[bool, typer.Option(
        "--all", help="Idle sessions too, and how many sessions are in each state.")] = False,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Sessions that are not idle: how long, wait events, who blocks whom, idle in transaction."""
    from apexdb.ops.stats import activity as gather
    from apexdb.render import stats as view

    with Session(format, dsn, target) as s:
        view.activity(s.out, gather(s.connect(), include_idle=all_sessions))


@stats_app.command("progress")
def progress(
    watch: Annotated[bool, typer.Option(
        "--watch", help="Look again every --interval until no work remains (Ctrl-C stops); a line per look when "
                        "not on a terminal.")] = False,
    interval: Annotated[float, typer.Option(
        "--interval", help="Seconds between looks (--watch), and between the two looks that give an ETA.")] = 2.0,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """CREATE INDEX/REINDEX (pgvector's phases too), VACUUM, ANALYZE, CLUSTER/VACUUM FULL, base backups: phase,
    done/total, elapsed, ETA."""
    from apexdb.errors import BadInput
    from apexdb.ops.stats.progress import progress_report, watch_progress
    from apexdb.render import stats as view

    if not 0.1 <= interval <= 3600:
        raise BadInput(f"--interval must be between 0.1 and 3600 seconds, not {interval:g}")
    with Session(format, dsn, target) as s:
        conn = s.connect()
        if not watch:
            view.progress(s.out, progress_report(conn, interval=min(interval, 1.0)))
            return
        try:
            if not s.out.rich_stdout:  # a log or a pipe: a line (JSON: a document) per look
                for report in watch_progress(conn, interval=interval):
                    view.progress_lines(s.out, report)
                return
            with s.out.live() as show:
                for report in watch_progress(conn, interval=interval):
                    show(view.progress_live(s.out, report))
        except KeyboardInterrupt:  # exit 130 as every interrupted command, but nothing was cancelled
            from apexdb.errors import Interrupted

            raise Interrupted("stopped watching (Ctrl-C); the work goes on on the server") from None


@stats_app.command("locks")
def locks(
    all_locks: Annotated[bool, typer.Option(
        "--all", help="Also each transaction's lock on its own id, which nobody waits for.")] = False,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Who holds which lock and who waits for it: modes, relations, wait and transaction age, the blocking tree."""
    from apexdb.ops.stats import locks as gather
    from apexdb.render import stats as view

    with Session(format, dsn, target) as s:
        view.locks(s.out, gather(s.connect(), include_all=all_locks))


@stats_app.command("settings")
def settings(
    ram: Annotated[Optional[str], typer.Option(
        "--ram", help="The server's RAM (e.g. 16GB) when it is not on this machine.", show_default=False)] = None,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Memory and vector settings with recommendations (work_mem = RAM x 0.25 / max_connections)."""
    from apexdb.ops.stats import settings_report
    from apexdb.render import stats as view

    with Session(format, dsn, target) as s:
        view.settings(s.out, settings_report(s.connect(), ram))
