"""A plan for a statement from pg_stat_statements, without running it.

PostgreSQL 16+: ``EXPLAIN (GENERIC_PLAN)`` plans the ``$n`` text as it is. Older servers:
the ``$n`` are replaced, at the positions PostgreSQL's parser gives, with typical values
from pg_stats for the column each is compared with (see ``params``), and the result is
EXPLAINed without ANALYZE. Either way the statement is only planned, never executed: the
audit's transaction is READ ONLY and each EXPLAIN runs in its own savepoint with
statement_timeout, so one that fails is skipped and the rest go on.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from apexdb.db.connection import set_local
from apexdb.ops.explain.runner import ExplainOptions, ExplainRun

PLANNABLE = {"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"}


class Skip(Exception):
    """A statement that cannot be planned: the reason, one line."""


@dataclass
class Planner:
    conn: object
    generic: bool  # PostgreSQL 16+: EXPLAIN (GENERIC_PLAN)
    statement_timeout: str = "10s"
    _stats: dict | None = None
    _outer_timeout: str | None = None  # restored after each EXPLAIN: SET LOCAL outlives RELEASE

    @property
    def method(self) -> str:
        return "generic_plan" if self.generic else "pg_stats_values"

    def parse(self, text: str):
        """The pglast statement; None for statements that have no plan (SET, BEGIN, utility)."""
        from apexdb.errors import BadInput
        from apexdb.ops.explain.statement import parse_statement

        try:
            statement = parse_statement(text)
        except BadInput as exc:
            if "cannot be explained" in str(exc) or "without EXPLAIN" in str(exc):
                return None
            raise Skip(f"PostgreSQL's parser (pglast) refuses it: {exc}") from None
        if statement.kind not in PLANNABLE or not _user_relations(statement.node):
            return None  # nothing to plan, or only catalogs and functions: no index of ours can help
        return statement

    def plan(self, statement) -> ExplainRun:
        """EXPLAIN the statement (planning only) and gather what the findings need."""
        from apexdb.ops.workload.params import fill_params

        text = statement.text
        if statement.param_count and not self.generic:
            if self._stats is None:
                self._stats = {}
            text = fill_params(self.conn, statement, self._stats)
        return self.explain_text(statement, text)

    def explain_text(self, statement, text: str) -> ExplainRun:
        import psycopg

        from apexdb.ops.explain.context import gather_context
        from apexdb.ops.explain.plan import parse_plan

        prefix = "EXPLAIN (FORMAT JSON, GENERIC_PLAN) " if self.generic else "EXPLAIN (FORMAT JSON) "
        if self._outer_timeout is None:
            self._outer_timeout = self.conn.execute("SELECT current_setting('statement_timeout')").fetchone()[0]
        try:
            with self.conn.transaction():
                set_local(self.conn, statement_timeout=self.statement_timeout)
                cur = psycopg.RawCursor(self.conn)  # $n and % stay as written
                cur.execute(prefix + text)
                document = cur.fetchone()[0]
                if isinstance(document, str):
                    document = json.loads(document)
                plan = parse_plan(document[0])
                context = gather_context(self.conn, plan)
                set_local(self.conn, statement_timeout=self._outer_timeout)
        except psycopg.Error as exc:
            if exc.sqlstate is None or exc.sqlstate.startswith("08"):
                raise
            diag = exc.diag
            message = " ".join((diag.message_primary or str(exc)).split())
            raise Skip(f"EXPLAIN refused it: {message} [SQLSTATE {exc.sqlstate}]") from None
        return ExplainRun(statement, ExplainOptions(), plan, context, generic_plan=self.generic)


def _user_relations(node) -> bool:
    """Whether the statement names a relation outside the system catalogs."""
    from pglast.ast import RangeVar

    from apexdb.ops.explain.statement import walk

    return any(isinstance(n, RangeVar) and n.schemaname not in ("pg_catalog", "information_schema")
               and not (n.schemaname is None and n.relname.startswith("pg_")) for n in walk(node))
