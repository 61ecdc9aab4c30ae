"""Looking at a migration project: status, history, offline SQL and new revision files."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from apexdb.errors import BadInput, DatabaseError
from apexdb.ops.migrate.project import is_apex_project
from apexdb.ops.migrate.runner import check_revision, current_heads, revision_title
from apexdb.ops.migrate.target import prepare_target, project_logging


@dataclass
class Status:
    target: str
    current: list[str]
    heads: list[str]
    pending: list[dict] = field(default_factory=list)

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)


def _script(config):
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config)


def status(config, *, dsn: str | None = None, target_name: str | None = None) -> Status:
    """Where the database is, where the project's head is, and what lies between."""
    from alembic.util import CommandError

    target = prepare_target(config, dsn, target_name)
    config.attributes["apexdb_runner"] = True
    script = _script(config)
    current = current_heads(config)
    try:
        steps = script._upgrade_revs("heads", tuple(current) or None)
    except CommandError as exc:
        raise BadInput(f"the database is at revision {', '.join(current)}, which this project does not "
                       f"know ({exc})", hint="is this the right project (--config) and database?") from None
    pending = [{"revision": s.revision.revision, "message": revision_title(s.revision.doc),
                "file": Path(s.revision.path).name} for s in steps]
    return Status(target.display, current, sorted(script.get_heads()), pending)


def history(config, current: list[str] | None = None) -> list[dict]:
    """Every revision, newest first; ``applied`` when ``current`` (the database's heads) is given."""
    script = _script(config)
    applied: set[str] = set()
    if current:
        for rev in script.revision_map.iterate_revisions(tuple(current), "base"):
            applied.add(rev.revision)
    rows = []
    for rev in script.walk_revisions():
        down = rev.down_revision
        rows.append({
            "revision": rev.revision,
            "down_revision": ", ".join(down) if isinstance(down, (tuple, list)) else down,
            "message": revision_title(rev.doc),
            "head": rev.is_head,
            "applied": (rev.revision in applied) if current is not None else None,
            "file": Path(rev.path).name,
        })
    return rows


def _offline_config(config) -> None:
    config.attributes["apexdb_runner"] = True
    if not is_apex_project(config):
        url = config.get_main_option("sqlalchemy.url")
        if not url or url.startswith("driver://"):
            config.set_main_option("sqlalchemy.url", "postgresql://")  # offline needs only the dialect


def parse_range(revision_range: str | None) -> tuple[str, str]:
    text = (revision_range or "base:head").strip()
    start, sep, end = text.partition(":")
    if not sep:
        start, end = "base", text
    return start or "base", end or "head"


def offline_sql(config, revision_range: str | None = None, *, downgrade: bool = False) -> str:
    """The SQL a run over ``revision_range`` (``FROM:TO``, or ``TO`` from base) would execute."""
    from alembic import command

    start, end = parse_range(revision_range)
    script = _script(config)
    for rev in (start, end):
        check_revision(script, rev)
    _offline_config(config)
    buffer = io.StringIO()
    config.output_buffer = buffer
    try:
        with project_logging():
            if downgrade:
                command.downgrade(config, f"{start}:{end}", sql=True)
            else:
                command.upgrade(config, f"{start}:{end}", sql=True)
    except BadInput:
        raise
    except Exception as exc:
        raise BadInput(f"cannot write the SQL for {start}:{end}: {str(exc).splitlines()[0]}") from None
    finally:
        config.output_buffer = None
    return buffer.getvalue()


def offline_sql_by_revision(config, revision_range: str | None = None) -> list[dict]:
    """Each revision's upgrade SQL on its own, oldest first: ``{"revision", "message", "file", "sql"}``."""
    start, end = parse_range(revision_range)
    script = _script(config)
    for rev in (start, end):
        check_revision(script, rev)
    revisions = list(script.revision_map.iterate_revisions(end, start, inclusive=False))
    out = []
    for rev in reversed(revisions):
        if rev.revision == start:
            continue
        down = rev.down_revision
        if isinstance(down, (tuple, list)):
            down = down[0] if down else None
        sql = offline_sql(config, f"{down or 'base'}:{rev.revision}")
        out.append({"revision": rev.revision, "message": revision_title(rev.doc), "file": rev.path, "sql": sql})
    return out


def new_revision(config, message: str, *, autogenerate: bool = False, dsn: str | None = None,
                 target_name: str | None = None) -> dict:
    """Write a new revision file (from the models' drift when ``autogenerate``)."""
    from alembic import command

    if not message or not message.strip():
        raise BadInput("a message is needed: apexdb migrate new -m 'add a column'")
    location = Path(config.get_main_option("script_location") or "")
    if is_apex_project(config) and location.name == "_alembic":
        raise BadInput("apexdb's own migrations are part of the installed package and are not edited there",
                       hint="write revisions in a checkout of apexdb, or in your project (./alembic.ini or --config)")
    if autogenerate:
        prepare_target(config, dsn, target_name)
    config.attributes["apexdb_runner"] = True
    try:
        with project_logging():
            made = command.revision(config, message=message, autogenerate=autogenerate)
    except PermissionError as exc:
        raise BadInput(f"cannot write the revision file: {exc.strerror}: {exc.filename}") from None
    except Exception as exc:
        from apexdb.db.retry import sqlstate_of

        state = sqlstate_of(exc)
        if state:
            raise DatabaseError(str(getattr(exc, "orig", exc)).splitlines()[0], sqlstate=state) from None
        raise BadInput(f"cannot write the revision: {str(exc).splitlines()[0]}") from None
    scripts = made if isinstance(made, list) else [made]
    script = scripts[0]
    return {"revision": script.revision, "down_revision": script.down_revision, "message": message,
            "path": script.path, "autogenerate": autogenerate}
