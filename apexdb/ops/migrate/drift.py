"""Drift: what differs between a project's models (env.py's ``target_metadata``) and the database.

The comparison is Alembic's autogenerate (types, nullability, server defaults, indexes,
unique and foreign key constraints), run through the project's own env.py, so any project
whose env.py sets ``target_metadata`` can be checked. Each difference becomes one row.
"""
from __future__ import annotations

from typing import Any

from apexdb.errors import BadInput, DatabaseError
from apexdb.db.retry import sqlstate_of
from apexdb.ops.migrate.target import prepare_target, project_logging

_WHERE = {"add": "in the models, missing from the database", "remove": "in the database, not in the models"}


def drift(config, *, dsn: str | None = None, target_name: str | None = None) -> list[dict[str, Any]]:
    """Rows ``{"change", "object", "detail"}``; an empty list when database and models agree."""
    from alembic import autogenerate
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    prepare_target(config, dsn, target_name)
    config.attributes["apexdb_runner"] = True
    script = ScriptDirectory.from_config(config)
    args = dict(message=None, autogenerate=True, sql=False, head="head", splice=False, branch_label=None,
                version_path=None, rev_id=None, depends_on=None)
    revision_context = autogenerate.RevisionContext(config, script, args)
    saw_metadata: list[bool] = []

    def compare(rev, context):
        saw_metadata.append(context.opts.get("target_metadata") is not None)
        if saw_metadata[-1]:
            revision_context.run_autogenerate(rev, context)
        return []

    try:
        with project_logging(), EnvironmentContext(config, script, fn=compare, as_sql=False,
                                                   template_args=revision_context.template_args,
                                                   revision_context=revision_context):
            script.run_env()
    except Exception as exc:
        if "not up to date" in str(exc):
            raise BadInput("the database is not at head, so models and database cannot be compared yet",
                           hint="apply the pending revisions first: apexdb migrate") from None
        state = sqlstate_of(exc)
        if state:
            raise DatabaseError(str(getattr(exc, "orig", exc)).splitlines()[0], sqlstate=state) from None
        raise BadInput(f"cannot compare models and database: {str(exc).splitlines()[0]}") from None
    if saw_metadata and not saw_metadata[-1]:
        raise BadInput("this project's env.py sets no target_metadata, so there are no models to compare",
                       hint="pass target_metadata=YourBase.metadata to context.configure in env.py")
    rows: list[dict[str, Any]] = []
    for migration_script in revision_context.generated_revisions:
        for upgrade_ops in migration_script.upgrade_ops_list:
            for diff in upgrade_ops.as_diffs():
                for item in (diff if isinstance(diff, list) else [diff]):
                    rows.append(describe(item))
    return rows


def _table_of(obj) -> str:
    table = getattr(obj, "table", None)
    return getattr(table, "name", "?")


def describe(diff: tuple) -> dict[str, Any]:
    """One autogenerate diff tuple as a row a person can read."""
    change = diff[0]
    verb, _, kind = change.partition("_")
    if change.startswith("modify_"):
        _, schema, table, column, _existing, old, new = diff[:7]
        if kind == "nullable":
            show = {True: "nullable", False: "NOT NULL"}
            return {"change": change, "object": f"{table}.{column}",
                    "detail": f"database: {show.get(old, old)}, models: {show.get(new, new)}"}
        what = kind.replace("_", " ")
        return {"change": change, "object": f"{table}.{column}",
                "detail": f"{what}: database has {_show(old)}, models say {_show(new)}"}
    if kind == "table":
        return {"change": change, "object": diff[1].name, "detail": f"table {_WHERE.get(verb, '')}"}
    if kind == "column":
        _, schema, table, column = diff[:4]
        return {"change": change, "object": f"{table}.{column.name}",
                "detail": f"column ({column.type}) {_WHERE.get(verb, '')}"}
    obj = diff[1]
    name = getattr(obj, "name", None) or "(unnamed)"
    label = {"index": "index", "constraint": "constraint", "fk": "foreign key"}.get(kind, kind.replace("_", " "))
    return {"change": change, "object": f"{_table_of(obj)}.{name}", "detail": f"{label} {_WHERE.get(verb, '')}"}


def _show(value) -> str:
    if value is None:
        return "none"
    if hasattr(value, "arg"):  # a server default
        value = getattr(value.arg, "text", value.arg)
    return str(value)
