"""An Alembic project's revisions as lint units: each revision's offline SQL, generated on
its own (``upgrade DOWN:REV --sql``), oldest first.

Revisions before the requested range are generated too, but only read for the schema they
build (so an index in revision 5 knows the column type revision 2 declared); only the
requested ones are reported. ``# apexdb: ignore RULE reason`` comments in a revision's Python
script apply to that whole revision, for ops (op.create_index...) that cannot carry SQL comments.
"""
from __future__ import annotations

import io
import os
import tokenize
from contextlib import redirect_stdout

from apexdb.errors import BadInput, one_line
from apexdb.ops.lint.engine import SqlUnit
from apexdb.ops.lint.findings import Ignore, parse_directive


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

    try:
        script = ScriptDirectory.from_config(cfg)
    except Exception as exc:
        raise BadInput(f"not an Alembic project: {one_line(exc)}") from None
    revisions, wanted = ordered_revisions(script, range_)
    cfg.attributes["apexdb_runner"] = True  # apexdb's env.py then leaves logging alone (no INFO lines)
    workdir = os.path.dirname(os.path.abspath(cfg.config_file_name)) if cfg.config_file_name else None
    return [SqlUnit(rev.revision, offline_sql(cfg, rev), python_ignores(rev.path),
                    report=rev.revision in wanted, workdir=workdir) for rev in revisions]


def offline_sql(cfg, rev) -> str:
    """The SQL ``alembic upgrade DOWN:REV --sql`` prints for this one revision."""
    from alembic import command

    down = rev.down_revision
    if isinstance(down, (tuple, list)):
        down = down[0] if len(down) == 1 else None
        if down is None:  # a merge point: only the version row moves; lint it from its branches' SQL
            return ""
    target = f"{down}:{rev.revision}" if down else rev.revision
    buffer = io.StringIO()
    saved = cfg.output_buffer
    cfg.output_buffer = buffer
    try:
        with redirect_stdout(buffer):
            command.upgrade(cfg, target, sql=True)
    except BadInput:
        raise
    except Exception as exc:
        raise BadInput(f"revision {rev.revision}: its offline SQL could not be generated "
                       f"({type(exc).__name__}: {one_line(exc)}); does upgrade() read from the database?") from None
    finally:
        cfg.output_buffer = saved
    return buffer.getvalue()


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
