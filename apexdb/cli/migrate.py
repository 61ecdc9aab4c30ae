"""``apexdb migrate``: run, inspect and write Alembic migrations (apexdb's own or any project's).

``apexdb migrate`` alone, or ``apexdb migrate REV``, means ``apexdb migrate up``.
"""
from __future__ import annotations

from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt, YesOpt

ConfigOpt = Annotated[Optional[str], typer.Option(
    "--config", "-c", help="An alembic.ini (default: ./alembic.ini if present, else apexdb's own migrations).",
    show_default=False)]
LockTimeoutOpt = Annotated[Optional[str], typer.Option(
    "--lock-timeout",
    help="lock_timeout for every statement (default 5s; or lock_timeout in the migrate section of apexdb.toml).",
    show_default=False)]
StatementTimeoutOpt = Annotated[Optional[str], typer.Option(
    "--statement-timeout", help="statement_timeout for every statement (default 30min).", show_default=False)]
RetriesOpt = Annotated[Optional[int], typer.Option(
    "--retries", min=0, max=100, help="Retries after a lock timeout or deadlock (default 5).", show_default=False)]


class MigrateGroup(TyperGroup):
    """``apexdb migrate [REV]`` is ``apexdb migrate up [REV]``: anything that is not a command goes to ``up``."""

    def parse_args(self, ctx, args):
        if not any(a in self.commands for a in args) and not any(a in ("--help", "-h") for a in args):
            args = ["up", *args]
        return super().parse_args(ctx, args)


migrate_app = typer.Typer(
    name="migrate",
    cls=MigrateGroup,
    help="Apply, inspect and write migrations: the Apex schema, or the Alembic project in ./alembic.ini.",
    no_args_is_help=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(migrate_app, name="migrate", rich_help_panel="Schema")


def project(config: str | None, dsn: str | None, target: str | None):
    from apexdb.ops.migrate.project import load_project

    cfg = load_project(config, dsn)
    cfg.attributes["apexdb_target_name"] = target
    return cfg


def safety(lock_timeout, statement_timeout, retries):
    from apexdb.ops.migrate.safety import SafetySettings

    return SafetySettings.from_config(lock_timeout, statement_timeout, retries)


class StepPrinter:
    """Shows the run on stderr: a progress bar over the revisions on a terminal, each revision
    with its time as it completes, and every wait and retry (those also when piped)."""

    def __init__(self, out, bar=None):
        self.out, self.bar, self.done = out, bar, 0

    def waiting(self, holder_pid):
        who = f" (backend pid {holder_pid})" if holder_pid else ""
        self.out.warn(f"another migration{who} is running on this database; waiting for it to finish")

    def planned(self, revisions):
        if self.bar is not None:
            self.bar.update(total=self.done + len(revisions), completed=self.done)

    def step_started(self, revision, direction, message):
        if self.bar is not None:
            self.bar.update(description=f"{direction} {revision}", detail=message[:28])

    def step_done(self, step):
        from apexdb.render.format import human_seconds

        self.done += 1
        if self.bar is not None:
            self.bar.update(completed=self.done)
        self.out.info(f"{step.direction} {step.revision} done in {human_seconds(step.seconds)}: {step.message}")

    def retrying(self, attempt, of, reason, detail, wait):
        self.out.warn(f"{reason}: {detail}; retry {attempt}/{of} in {wait:.1f} s with the timeouts set again")


def render_run(out, run, target: str) -> None:
    import dataclasses

    from apexdb.render import cols

    before = ", ".join(run.before) or "base"
    after = ", ".join(run.after) or "base"
    rows = [dataclasses.asdict(s) for s in run.steps]
    doc = {"target": target, **dataclasses.asdict(run)}
    title = f"{run.direction} to {run.destination}: {before} -> {after}"
    if run.retries:
        title += f" ({run.retries} retr{'y' if run.retries == 1 else 'ies'})"
    out.table(rows, cols("revision", "direction", "message", "seconds:s"), title=title, doc=doc,
              empty=f"nothing to do: the database is at {after}")


@migrate_app.command("up")
def up(revision: Annotated[str, typer.Argument(help="Revision to upgrade to.")] = "head",
       config: ConfigOpt = None, lock_timeout: LockTimeoutOpt = None, statement_timeout: StatementTimeoutOpt = None,
       retries: RetriesOpt = None, dsn: DsnOpt = None, target: TargetOpt = None,
       format: FormatOpt = "table") -> None:
    """Upgrade to REV (default: head), one revision per transaction, under the migration lock."""
    from apexdb.ops.migrate.runner import migrate

    with Session(format, dsn, target) as s:
        cfg = project(config, dsn, target)
        with s.out.progress("migrate", total=None) as bar:
            run = migrate(cfg, "upgrade", revision, settings=safety(lock_timeout, statement_timeout, retries),
                          listener=StepPrinter(s.out, bar), dsn=dsn, target_name=target)
        render_run(s.out, run, cfg.attributes["apexdb_target"].display)


# "-1" (one step back) is a revision, not an option
@migrate_app.command("down", context_settings={"ignore_unknown_options": True})
def down(revision: Annotated[str, typer.Argument(help="Revision to downgrade to ('base' for none, -1 for one).")],
         yes: YesOpt = False, config: ConfigOpt = None, lock_timeout: LockTimeoutOpt = None,
         statement_timeout: StatementTimeoutOpt = None, retries: RetriesOpt = None, dsn: DsnOpt = None,
         target: TargetOpt = None, format: FormatOpt = "table") -> None:
    """Downgrade to REV; asks first (or --yes): downgrades drop tables, columns and data."""
    from apexdb.ops.migrate.runner import current_heads, migrate
    from apexdb.ops.migrate.target import prepare_target

    with Session(format, dsn, target) as s:
        cfg = project(config, dsn, target)
        where = prepare_target(cfg, dsn, target)
        cfg.attributes["apexdb_runner"] = True
        now = ", ".join(current_heads(cfg)) or "base"
        s.confirm(f"Downgrade {where.display} from {now} to {revision}? Downgrades can drop tables and data.",
                  yes, what="migrate down")
        with s.out.progress("migrate", total=None) as bar:
            run = migrate(cfg, "downgrade", revision, settings=safety(lock_timeout, statement_timeout, retries),
                          listener=StepPrinter(s.out, bar), dsn=dsn, target_name=target)
        render_run(s.out, run, where.display)


@migrate_app.command("status")
def status(check: Annotated[bool, typer.Option("--check", help="Exit 1 when the database is not at head.")] = False,
           config: ConfigOpt = None, dsn: DsnOpt = None, target: TargetOpt = None,
           format: FormatOpt = "table") -> None:
    """Current revision, head, and the revisions still to apply."""
    from apexdb.errors import FindingsReached
    from apexdb.ops.migrate.info import status as get_status
    from apexdb.render import Section, cols

    with Session(format, dsn, target) as s:
        st = get_status(project(config, dsn, target), dsn=dsn, target_name=target)
        state = "at head" if st.at_head else f"{len(st.pending)} revision(s) pending"
        overview = [{"item": "target", "value": st.target},
                    {"item": "current", "value": ", ".join(st.current) or "base (nothing applied)"},
                    {"item": "head", "value": ", ".join(st.heads) or "(no revisions)"},
                    {"item": "state", "value": state}]
        doc = {"target": st.target, "current": st.current, "heads": st.heads, "at_head": st.at_head,
               "pending": st.pending}
        s.out.sections([Section(None, overview, cols("item", "value")),
                        Section("Pending", st.pending, cols("revision", "message", "file"), empty="(none)")],
                       doc=doc)
        if check and not st.at_head:
            raise FindingsReached(f"not at head: {len(st.pending)} revision(s) pending")


@migrate_app.command("history")
def history(current: Annotated[bool, typer.Option(
                "--current", help="Also read the database and mark the applied revisions.")] = False,
            config: ConfigOpt = None, dsn: DsnOpt = None, target: TargetOpt = None,
            format: FormatOpt = "table") -> None:
    """Every revision of the project, newest first."""
    from apexdb.ops.migrate.info import history as get_history
    from apexdb.ops.migrate.runner import current_heads
    from apexdb.ops.migrate.target import prepare_target
    from apexdb.render import cols

    with Session(format, dsn, target) as s:
        cfg = project(config, dsn, target)
        heads = None
        if current:
            prepare_target(cfg, dsn, target)
            cfg.attributes["apexdb_runner"] = True
            heads = current_heads(cfg)
        rows = get_history(cfg, heads)
        columns = ["revision", "down_revision", "message", "head:bool"] + (["applied:bool"] if current else [])
        s.out.table(rows, cols(*columns, "file"))


@migrate_app.command("new")
def new(message: Annotated[str, typer.Option("--message", "-m", help="What the revision does.")],
        autogenerate: Annotated[bool, typer.Option(
            "--autogenerate", help="Fill it with the differences between the models and the database.")] = False,
        config: ConfigOpt = None, dsn: DsnOpt = None, target: TargetOpt = None,
        format: FormatOpt = "table") -> None:
    """Write a new revision file (review it before applying)."""
    from apexdb.ops.migrate.info import new_revision
    from apexdb.render import cols

    with Session(format, dsn, target) as s:
        made = new_revision(project(config, dsn, target), message, autogenerate=autogenerate, dsn=dsn,
                            target_name=target)
        s.out.table([made], cols("revision", "down_revision", "message", "path"), doc=made)


@migrate_app.command("sql")
def sql(revision_range: Annotated[Optional[str], typer.Argument(
            metavar="[RANGE]", help="FROM:TO, or TO (from base); default base:head.")] = None,
        downgrade: Annotated[bool, typer.Option("--down", help="The downgrade SQL (RANGE is FROM:TO, FROM newer).")]
        = False,
        config: ConfigOpt = None, format: FormatOpt = "table") -> None:
    """The SQL a run would execute, without a database (Alembic's offline mode)."""
    from apexdb.errors import BadInput
    from apexdb.ops.migrate.info import offline_sql

    with Session(format) as s:
        if downgrade and (not revision_range or ":" not in revision_range):
            raise BadInput("--down needs a range FROM:TO, e.g. head:base")
        text = offline_sql(project(config, None, None), revision_range, downgrade=downgrade)
        if s.out.fmt == "json":
            s.out.document({"range": revision_range or "base:head", "downgrade": downgrade, "sql": text})
        else:
            s.out.line(text.rstrip())


@migrate_app.command("stamp")
def stamp(revision: Annotated[str, typer.Argument(help="Revision to record as applied ('base' to clear).")],
          config: ConfigOpt = None, dsn: DsnOpt = None, target: TargetOpt = None,
          format: FormatOpt = "table") -> None:
    """Record REV in alembic_version without running any migration."""
    from apexdb.ops.migrate.runner import stamp as do_stamp
    from apexdb.render import cols

    with Session(format, dsn, target) as s:
        heads = do_stamp(project(config, dsn, target), revision, dsn=dsn, target_name=target)
        row = {"stamped": revision, "current": ", ".join(heads) or "base"}
        s.out.table([row], cols("stamped", "current"), doc={"stamped": revision, "current": heads})


@migrate_app.command("check")
def check(config: ConfigOpt = None, dsn: DsnOpt = None, target: TargetOpt = None,
          format: FormatOpt = "table") -> None:
    """Drift between the models and the database: a table of differences, exit 1 when any."""
    from apexdb.errors import FindingsReached
    from apexdb.ops.migrate.drift import drift
    from apexdb.render import cols

    with Session(format, dsn, target) as s:
        rows = drift(project(config, dsn, target), dsn=dsn, target_name=target)
        s.out.table(rows, cols("change", "object", "detail"), title="Differences between models and database",
                    doc={"differences": rows, "clean": not rows},
                    empty="none: the database matches the models")
        if rows:
            raise FindingsReached(f"{len(rows)} difference(s) between the models and the database")
