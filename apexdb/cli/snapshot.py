"""``apexdb snapshot``: store pg_stat_statements deltas, relation sizes and vector-index scans (for cron)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import ClusterOpt, DsnOpt, FormatOpt, Session, TargetOpt, YesOpt, open_cluster_for

RetentionOpt = Annotated[Optional[str], typer.Option(
    "--retention", help="Forget snapshots older than this (default: retention in the history section of apexdb.toml, else 30d).",
    show_default=False)]

snapshot_app = typer.Typer(
    help="Take a snapshot of statement, size and vector-index statistics into the history schema (for cron).",
    invoke_without_command=True)


def register(app: typer.Typer) -> None:
    app.add_typer(snapshot_app, name="snapshot", rich_help_panel="Diagnostics")


@snapshot_app.callback()
def snapshot(
    ctx: typer.Context,
    retention: RetentionOpt = None,
    dsn: DsnOpt = None, target: TargetOpt = None, cluster: ClusterOpt = None, format: FormatOpt = "table",
) -> None:
    """Take one snapshot (--cluster: every member's, stored on the primary). `snapshot init` creates the
    schema first; `snapshot list` shows what is stored."""
    if ctx.invoked_subcommand is not None:
        return
    from apexdb.ops.history import snapshot_cluster, take_snapshot
    from apexdb.render import history as view

    with Session(format, dsn, target) as s:
        if cluster:
            members = open_cluster_for(cluster, dsn, target, s)
            results, notes = snapshot_cluster(members, retention=retention)
        else:
            results, notes = [take_snapshot(s.connect(), retention=retention, target_name=target)], []
        view.snapshots_taken(s.out, results, notes)


@snapshot_app.command("init")
def init(
    yes: YesOpt = False,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Create (or upgrade) the history schema on the primary: its own versioned migration; a no-op when current."""
    from apexdb.ops.history import history_schema, install, pending_migrations
    from apexdb.render import history as view

    with Session(format, dsn, target) as s:
        conn = s.connect()
        schema = history_schema()
        pending = pending_migrations(conn, schema)
        if pending:
            s.confirm(f"Create schema {schema} (history migration {', '.join(map(str, pending))}) in this database?",
                      yes, what=f"creating the history schema {schema}")
        view.installed(s.out, schema, install(conn, schema) if pending else [])


@snapshot_app.command("list")
def list_snapshots(
    member: Annotated[Optional[str], typer.Option(
        "--member", help="Only this member's snapshots (primary, or a replica's member name).",
        show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many rows.")] = 50,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """The stored snapshots, newest first, and the schema's state."""
    from apexdb.ops.history import history_state, require_history, snapshots
    from apexdb.render import history as view

    with Session(format, dsn, target) as s:
        conn = s.connect()
        require_history(conn)
        view.snapshot_list(s.out, history_state(conn), snapshots(conn, member, limit))
