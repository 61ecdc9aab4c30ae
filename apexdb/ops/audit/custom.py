"""Custom checks from the config file (check_postgres' custom_query, pg-index-health's extension point)::

    [checks.big_queue]
    sql = "SELECT queue, count(*) AS waiting FROM jobs WHERE done_at IS NULL GROUP BY queue"
    column = "waiting"          # the returned column the thresholds compare (optional)
    threshold = 1000            # a row is a finding from this value on (default: every row is one)
    critical = 10000            # ...and critical from this one (optional)
    severity = "warning"        # the severity below `critical` (info, warning, critical)
    object = "jobs.{queue}"     # templates take the returned columns by name
    message = "{waiting} jobs wait in {queue}"
    fix = "-- scale the {queue} workers"

The SQL must be one SELECT (checked with PostgreSQL's parser before anything runs) and it
runs inside the audit's READ ONLY transaction, in its own savepoint, with the audit's
statement_timeout and lock_timeout, so a function that writes fails instead of writing.
"""
from __future__ import annotations

import re
import string
from typing import Any, Callable

from apexdb.errors import BadInput
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import SEVERITIES, Finding

KEYS = ("sql", "column", "threshold", "critical", "severity", "object", "message", "fix")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_WRITES = ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt")
# SQLSTATEs that mean the check itself is wrong (not the database): a write, a syntax or name error.
_CONFIG_ERRORS = ("25006", "42")


def _section() -> dict[str, Any]:
    from apexdb.config import load_config

    return load_config().section("checks")


def custom_names() -> tuple[str, ...]:
    try:
        return tuple(sorted(_section()))
    except BadInput:
        return ()


def specs() -> dict[str, dict[str, Any]]:
    """Every [checks.NAME] entry, validated (BadInput naming the check on the first problem)."""
    from apexdb.ops.audit.model import ALL_CHECKS

    out = {}
    for name, spec in sorted(_section().items()):
        where = f"custom check [checks.{name}]"
        if not _NAME.match(name) or name in ALL_CHECKS:
            raise BadInput(f"{where}: the name must be lower_case and not a built-in check's name")
        if not isinstance(spec, dict):
            raise BadInput(f"{where} must be a table with at least sql = \"SELECT ...\"")
        unknown = sorted(set(spec) - set(KEYS))
        if unknown:
            raise BadInput(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(KEYS)})")
        if not isinstance(spec.get("sql"), str) or not spec["sql"].strip():
            raise BadInput(f"{where}: sql = \"SELECT ...\" is required")
        severity = spec.get("severity", "warning")
        if severity not in SEVERITIES:
            raise BadInput(f"{where}: severity {severity!r}: choose from {', '.join(SEVERITIES)}")
        for key in ("threshold", "critical"):
            if key in spec and (isinstance(spec[key], bool) or not isinstance(spec[key], (int, float))):
                raise BadInput(f"{where}: {key} must be a number")
        if ("threshold" in spec or "critical" in spec) and "column" not in spec:
            raise BadInput(f"{where}: threshold and critical compare a returned column: name it with column = ...")
        _check_select(where, spec["sql"])
        out[name] = {**spec, "severity": severity}
    return out


def _check_select(where: str, sql: str) -> None:
    import json

    from pglast import parser

    try:
        tree = json.loads(parser.parse_sql_json(sql))
    except Exception as exc:  # pglast.parser.ParseError
        raise BadInput(f"{where}: the SQL does not parse: {' '.join(str(exc).split())}") from None
    stmts = tree.get("stmts") or []
    if len(stmts) != 1 or "SelectStmt" not in (stmts[0].get("stmt") or {}):
        kinds = ", ".join(next(iter(s.get("stmt") or {"nothing": 0})) for s in stmts) or "nothing"
        raise BadInput(f"{where}: the SQL must be exactly one SELECT (found {kinds})")
    text = json.dumps(stmts[0])
    for kind in _WRITES:
        if f'"{kind}"' in text:
            raise BadInput(f"{where}: the SQL writes ({kind[:-4].upper()}); a check may only read")
    if '"intoClause"' in text:
        raise BadInput(f"{where}: SELECT ... INTO creates a table; a check may only read")


def families() -> list[tuple[str, Callable, tuple[str, ...]]]:
    return [(f"custom check {name}", _runner(name, spec), (name,)) for name, spec in specs().items()]


def _runner(name: str, spec: dict[str, Any]) -> Callable[[AuditContext], None]:
    return lambda ctx: run_custom(ctx, name, spec)


def run_custom(ctx: AuditContext, name: str, spec: dict[str, Any]) -> None:
    import psycopg
    from psycopg.rows import dict_row

    where = f"custom check [checks.{name}]"
    try:
        with ctx.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(spec["sql"].encode())
            rows = cur.fetchall() if cur.description else []
            columns = [d.name for d in cur.description or []]
    except psycopg.Error as exc:
        state = getattr(exc, "sqlstate", None) or ""
        if not state.startswith(_CONFIG_ERRORS):
            raise  # timeouts, locks, privileges: the audit's guard makes them could_not_check
        diag = getattr(exc, "diag", None)
        message = " ".join(((diag.message_primary if diag else None) or str(exc)).split())
        what = "tried to write, and checks run READ ONLY" if state == "25006" else "failed"
        raise BadInput(f"{where} {what}: {message} [SQLSTATE {state}]") from None
    column = spec.get("column")
    if column is not None and column not in columns:
        raise BadInput(f"{where}: column {column!r} is not among the columns the SQL returns "
                       f"({', '.join(columns) or 'none'})")
    for row in rows:
        severity = _severity(where, spec, row)
        if severity:
            ctx.add(_finding(where, name, spec, severity, row, columns))


def _severity(where: str, spec: dict[str, Any], row: dict[str, Any]) -> str | None:
    column = spec.get("column")
    if column is None or ("threshold" not in spec and "critical" not in spec):
        return spec["severity"]
    value = row[column]
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"{where}: column {column!r} returned {value!r}, not a number") from None
    if "critical" in spec and value >= spec["critical"]:
        return "critical"
    if value >= spec.get("threshold", spec.get("critical")):
        return spec["severity"]
    return None


def _fill(where: str, key: str, template: str, row: dict[str, Any], columns: list[str]) -> str:
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    missing = [f for f in names if f not in row]
    if missing:
        raise BadInput(f"{where}: {key} template names {{{missing[0]}}}, which the SQL does not return "
                       f"(it returns {', '.join(columns) or 'nothing'})")
    try:
        return template.format(**{k: "" if v is None else v for k, v in row.items()})
    except (ValueError, IndexError, KeyError) as exc:
        raise BadInput(f"{where}: {key} template {template!r}: {exc}") from None


def _finding(where: str, name: str, spec: dict[str, Any], severity: str, row: dict[str, Any],
             columns: list[str]) -> Finding:
    first = str(row[columns[0]]) if columns else name
    obj = _fill(where, "object", spec["object"], row, columns) if "object" in spec else first
    detail = (_fill(where, "message", spec["message"], row, columns) if "message" in spec else
              ", ".join(f"{k}={v}" for k, v in row.items()))
    fix = _fill(where, "fix", spec["fix"], row, columns) if "fix" in spec else ""
    statements = tuple(line for line in fix.splitlines() if line.strip() and not line.lstrip().startswith("--"))
    return Finding(name, severity, obj, detail, fix, statements=statements)
