"""Running EXPLAIN on the user's statement: always in a transaction that is rolled back,
with a statement timeout, and with ``$n`` parameters bound by the server."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from apexdb.db.connection import rolled_back, server_versions
from apexdb.errors import BadInput, DatabaseError
from apexdb.ops.explain.context import Context, gather_context
from apexdb.ops.explain.plan import Plan, PlanNode, parse_plan
from apexdb.ops.explain.statement import Statement, where

DEFAULT_TIMEOUT_S = 60.0


@dataclass(kw_only=True)
class ExplainOptions:
    analyze: bool = False
    buffers: bool | None = None  # None: with ANALYZE
    settings: bool = False
    verbose: bool = False
    params: list[str] = field(default_factory=list)
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass
class ExplainRun:
    statement: Statement
    options: ExplainOptions
    plan: Plan
    context: Context
    generic_plan: bool = False  # PostgreSQL 16+ GENERIC_PLAN for $n without values
    # Plans the statement again (never runs it) with sequential and bitmap scans off: what the
    # planner does when it has no cheaper choice. None when there is no connection to ask.
    replan: Callable[[], PlanNode | None] | None = field(default=None, repr=False)


def explain_options(opts: ExplainOptions, generic: bool) -> str:
    """The option list; every word comes from this allow-list, never from the user."""
    words = ["FORMAT JSON"]
    if opts.analyze:
        words.append("ANALYZE")
    buffers = opts.analyze if opts.buffers is None else opts.buffers
    if buffers:
        words.append("BUFFERS")
    elif opts.buffers is False:
        words.append("BUFFERS false")  # PostgreSQL 18 turns BUFFERS on with ANALYZE
    if opts.settings:
        words.append("SETTINGS")
    if opts.verbose:
        words.append("VERBOSE")
    if generic:
        words.append("GENERIC_PLAN")
    return "EXPLAIN (" + ", ".join(words) + ") "


def run_explain(conn, statement: Statement, opts: ExplainOptions) -> ExplainRun:
    """EXPLAIN the statement; nothing it does survives (the transaction is rolled back)."""
    import psycopg

    if opts.timeout_s <= 0:
        raise BadInput("--timeout must be more than 0 seconds")
    generic = _check_params(conn, statement, opts)
    prefix = explain_options(opts, generic)
    timeout = f"{max(int(opts.timeout_s * 1000), 1)}ms"
    with rolled_back(conn, statement_timeout=timeout):
        cur = psycopg.RawCursor(conn)  # $1..$n as written; a '%' in the SQL stays a '%'
        try:
            cur.execute(prefix + statement.text, opts.params or None)
            document = cur.fetchone()[0]
        except psycopg.Error as exc:
            raise _explained_error(exc, statement, len(prefix), opts) from None
        if isinstance(document, str):
            import json

            document = json.loads(document)
        plan = parse_plan(document[0])
        context = gather_context(conn, plan)
    return ExplainRun(statement, opts, plan, context, generic,
                      replan=lambda: _forced_plan(conn, statement, opts, generic, timeout))


def _forced_plan(conn, statement: Statement, opts: ExplainOptions, generic: bool, timeout: str) -> PlanNode | None:
    """EXPLAIN (no ANALYZE: nothing runs) with sequential and bitmap scans off, rolled back."""
    import psycopg

    from apexdb.db.connection import set_local

    prefix = explain_options(ExplainOptions(), generic)
    with rolled_back(conn, statement_timeout=timeout):
        set_local(conn, enable_seqscan="off", enable_bitmapscan="off")
        try:
            document = psycopg.RawCursor(conn).execute(prefix + statement.text, opts.params or None).fetchone()[0]
        except psycopg.Error:
            return None
    if isinstance(document, str):
        import json

        document = json.loads(document)
    return parse_plan(document[0]).root


def _check_params(conn, statement: Statement, opts: ExplainOptions) -> bool:
    """Whether to ask for a generic plan; BadInput when $n and --param do not match."""
    need, given = statement.param_count, len(opts.params)
    if need == given:
        return False
    if given:
        raise BadInput(f"the statement uses {_dollars(need)} but {given} --param value"
                       f"{'s were' if given != 1 else ' was'} given")
    if opts.analyze:
        raise BadInput(f"the statement uses {_dollars(need)}: give a --param for each to run it with "
                       "--analyze, or drop --analyze for a generic plan")
    if server_versions(conn).server < (16, 0):
        raise BadInput(f"the statement uses {_dollars(need)}: give a --param for each "
                       "(generic plans need PostgreSQL 16+)")
    return True


def _dollars(count: int) -> str:
    return "$1" if count == 1 else f"$1..${count}"


def _explained_error(exc, statement: Statement, prefix_len: int, opts: ExplainOptions) -> DatabaseError:
    diag = exc.diag
    state = exc.sqlstate
    primary = diag.message_primary or str(exc).strip()
    if state == "57014":
        return DatabaseError(f"the statement ran past the {opts.timeout_s:g} s timeout and was cancelled; "
                             "nothing it did was kept", sqlstate=state,
                             hint="raise it with --timeout, or explain without --analyze")
    located = ""
    if diag.statement_position:
        offset = int(diag.statement_position) - 1 - prefix_len
        if 0 <= offset <= len(statement.text):
            located = where(statement.source, statement.start + offset)
    return DatabaseError(f"{primary}{located}", sqlstate=state, hint=diag.message_hint)
