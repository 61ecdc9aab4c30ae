"""``apexdb init``: create the extensions and migrate to head. Safe to run again."""
from __future__ import annotations

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt
from apexdb.cli.migrate import ConfigOpt, LockTimeoutOpt, RetriesOpt, StatementTimeoutOpt


def register(app: typer.Typer) -> None:
    app.command("init", rich_help_panel="Schema")(init)


def init(config: ConfigOpt = None, lock_timeout: LockTimeoutOpt = None, statement_timeout: StatementTimeoutOpt = None,
         retries: RetriesOpt = None, dsn: DsnOpt = None, target: TargetOpt = None,
         format: FormatOpt = "table") -> None:
    """Create pgvector (and pg_stat_statements when preloaded), then apply every migration. Idempotent."""
    import dataclasses

    from apexdb.cli.migrate import StepPrinter, project, safety
    from apexdb.ops.migrate.init import init as run_init
    from apexdb.render import Section, cols

    with Session(format, dsn, target) as s:
        with s.out.progress("init", total=None) as bar:
            result = run_init(project(config, dsn, target),
                              settings=safety(lock_timeout, statement_timeout, retries),
                              listener=StepPrinter(s.out, bar), dsn=dsn, target_name=target)
        run = result.run
        after = ", ".join(run.after) or "base"
        before = ", ".join(run.before) or "base"
        title = f"Migrations: {before} -> {after}" if run.steps else f"Migrations: already at head ({after})"
        s.out.sections([
            Section("Extensions", result.extensions, cols("extension", "version", "action")),
            Section(title, [dataclasses.asdict(x) for x in run.steps],
                    cols("revision", "message", "seconds:s"), empty="nothing to apply"),
        ], doc={"target": result.target, "extensions": result.extensions, "migrations": dataclasses.asdict(run)})
