"""An Alembic project's revisions as lint units: each revision's offline SQL, generated on
its own (``upgrade DOWN:REV --sql``), oldest first.

Revisions before the requested range are generated too, but only read for the schema they
build (so an index in revision 5 knows the column type revision 2 declared); only the
requested ones are reported. ``# apexdb: ignore RULE reason`` comments in a revision's Python
script apply to that whole revision, for ops (op.create_index...) that cannot carry SQL comments.

Real projects do not all render offline, and none of that stops the run: a revision whose
``upgrade()`` reads the database, or whose script cannot be imported, becomes one ``not-linted``
finding naming its file and the reason, and every other revision is still linted. The SQL is
taken from Alembic's output buffer, never from stdout, so what env.py prints is not read as SQL.
"""
from __future__ import annotations

import io
import os
import tokenize
import traceback
from contextlib import contextmanager, redirect_stderr, redirect_stdout

from apexdb.errors import BadInput, one_line
from apexdb.ops.lint.engine import SqlUnit
from apexdb.ops.lint.findings import Finding, Ignore, parse_directive
from apexdb.ops.lint.revision_loading import tolerant_revision_loading


def ordered_revisions(script, range_: str | None):
    """(all revisions base→last wanted, ids of the wanted ones); ``A:B`` is inclusive like
    ``alembic history -r A:B``; a single id is that revision alone."""
    from alembic.util import CommandError

    text = (range_ or "").strip()
    try:
        if not text:
            wanted = list(script.walk_revisions("base", "heads"))
        elif ":" in text:
            lower, _, upper = text.partition(":")
            wanted = list(script.walk_revisions(lower.strip() or "base", upper.strip() or "heads"))
        else:
            rev = script.get_revision(text)
            if rev is None:
                raise BadInput(f"unknown revision {text!r}")
            wanted = [rev]
        everything = list(reversed(list(script.walk_revisions("base", "heads"))))
    except Exception as exc:  # CommandError, and ResolutionError / RangeNotAncestorError, which are not
        if isinstance(exc, CommandError) or type(exc).__module__.startswith("alembic"):
            what = "revision range" if ":" in text else "revision"
            raise BadInput(f"unknown {what} {text!r}: {one_line(exc)}", hint="see 'apexdb migrate history'") from None
        raise
    if not wanted and not text:
        return [], set()
    if not wanted:
        raise BadInput(f"revision range {text!r} holds no revisions")
    ids = {r.revision for r in wanted}
    last = max(i for i, r in enumerate(everything) if r.revision in ids)
    return everything[: last + 1], ids


def revision_units(cfg, range_: str | None = None) -> list[SqlUnit]:
    """The lint units of ``cfg``'s project for ``range_`` (all revisions when None)."""
    from alembic.script import ScriptDirectory

    with tolerant_revision_loading():
        try:
            script = ScriptDirectory.from_config(cfg)
        except Exception as exc:
            raise BadInput(f"not an Alembic project: {one_line(exc)}") from None
        revisions, wanted = ordered_revisions(script, range_)
    cfg.attributes["apexdb_runner"] = True  # apexdb's env.py then leaves logging alone (no INFO lines)
    workdir = os.path.dirname(os.path.abspath(cfg.config_file_name)) if cfg.config_file_name else None
    units, dialects = [], set()
    with _dialects_seen(dialects), tolerant_revision_loading():
        for rev in revisions:
            unit = SqlUnit(rev.revision, "", python_ignores(rev.path), report=rev.revision in wanted, workdir=workdir)
            try:
                unit.text = offline_sql(cfg, rev, script)
            except RenderFailed as exc:
                unit.error, unit.error_fix = exc.reason, exc.fix
            units.append(unit)
    other = sorted(d for d in dialects if d != "postgresql")
    first = next((u for u in units if u.report), None)
    if other and first is not None:
        first.extra_findings.append(Finding(
            first.source, 1, "alembic-not-postgresql", "warning",
            f"env.py rendered the offline SQL for {', '.join(other)}, not PostgreSQL (its database URL fell back "
            f"to another database), so the SQL linted is not what PostgreSQL will run",
            "set what env.py reads for its URL (DATABASE_URL, sqlalchemy.url, ...) to a postgresql:// URL "
            "when linting; the URL is not connected to"))
    return units


class RenderFailed(Exception):
    def __init__(self, reason: str, fix: str):
        super().__init__(reason)
        self.reason, self.fix = reason, fix


def offline_sql(cfg, rev, script=None) -> str:
    """The SQL ``alembic upgrade DOWN:REV --sql`` writes for this one revision (RenderFailed if none).

    What ``alembic.command.upgrade`` does, with the project's ScriptDirectory read once for all
    revisions instead of once per revision (which made a long history quadratic)."""
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    from apexdb.ops.migrate.target import project_logging  # env.py's fileConfig() must not outlive the run

    down = rev.down_revision
    if isinstance(down, (tuple, list)):
        down = down[0] if len(down) == 1 else None
        if down is None:  # a merge point: only the version row moves; lint it from its branches' SQL
            return ""
    script = script or ScriptDirectory.from_config(cfg)

    def upgrade(heads, context):
        return script._upgrade_revs(rev.revision, heads)

    buffer, chatter = io.StringIO(), io.StringIO()
    saved = cfg.output_buffer
    cfg.output_buffer = buffer  # the SQL; env.py's print()s and logging go to chatter, not into it
    try:
        with project_logging(), redirect_stdout(chatter), redirect_stderr(chatter), EnvironmentContext(
                cfg, script, fn=upgrade, as_sql=True, starting_rev=down, destination_rev=rev.revision):
            script.run_env()
    except BadInput:
        raise
    except (Exception, SystemExit) as exc:
        raise _render_failed(rev, exc) from None
    finally:
        cfg.output_buffer = saved
    return buffer.getvalue()


def _render_failed(rev, exc: BaseException) -> RenderFailed:
    name = os.path.basename(rev.path) if rev.path else rev.revision
    detail = f"{type(exc).__name__}: {one_line(exc)}"
    if isinstance(exc, ImportError) or getattr(exc, "apexdb_import_failed", False):
        fix = ("fix the script's syntax" if "SyntaxError" in str(exc) else
               "install what the script imports in this environment, or fix the import")
        return RenderFailed(f"{name} could not be imported ({one_line(exc)}), so its SQL was not linted", fix)
    frames = {os.path.abspath(f.f_code.co_filename) for f, _ in traceback.walk_tb(exc.__traceback__)}
    if rev.path and os.path.abspath(rev.path) not in frames and any(f.endswith("env.py") for f in frames):
        return RenderFailed(f"{name}: env.py failed while rendering it offline ({detail})",
                            "make env.py work in offline mode (alembic upgrade --sql): no connection, "
                            "no required environment variable without a default")
    return RenderFailed(f"{name}: its offline SQL could not be generated ({detail}); upgrade() probably reads "
                        f"the database (op.get_bind(), a query), which offline mode cannot do",
                        "keep data reads out of schema migrations, or lint this revision's SQL from "
                        "'alembic upgrade --sql' run against a copy of the database")


@contextmanager
def _dialects_seen(seen: set):
    """Record the dialect env.py configures for each rendering (SQLite when its URL fell back)."""
    from alembic.runtime.migration import MigrationContext

    original = MigrationContext.__dict__["configure"]

    def configure(cls, *args, **kwargs):
        context = original.__func__(cls, *args, **kwargs)
        seen.add(getattr(context.dialect, "name", "unknown"))
        return context

    MigrationContext.configure = classmethod(configure)
    try:
        yield seen
    finally:
        MigrationContext.configure = original


def python_ignores(path: str | None) -> list[Ignore]:
    """``# apexdb: ignore RULE reason`` comments of a revision script; each covers the revision."""
    if not path:
        return []
    out = []
    try:
        with open(path, "rb") as fh:
            for tok in tokenize.tokenize(fh.readline):
                if tok.type == tokenize.COMMENT:
                    ignore = parse_directive(tok.string.lstrip("#"), tok.start[0])
                    if ignore is not None:
                        ignore.scope = "file"
                        ignore.where = f" (in {os.path.basename(path)})"
                        out.append(ignore)
    except (OSError, tokenize.TokenError, SyntaxError):
        return out
    return out
