"""``apexdb audit queries``: from the workload to the fix.

The top statements of pg_stat_statements (``statements``) are planned without running
(``plans``: EXPLAIN (GENERIC_PLAN) on PostgreSQL 16+, typical values from pg_stats before,
``params``), judged by the explain engine's findings, turned into B-tree candidates
(``candidates``) consolidated into ranked proposals (``proposals``), checked with
hypothetical indexes when HypoPG is installed (``hypo``), and searched for vector causes
that need the workload's figures (``vector``). :func:`advise` is the whole thing; it runs
in the caller's READ ONLY transaction (the audit's) and returns data only.

    from apexdb.ops.workload import WorkloadRequest, advise
    with read_only(conn):
        report = advise(conn, WorkloadRequest(top=20, top_mean=10, min_calls=10))
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from apexdb.ops.explain.findings import Finding
from apexdb.ops.workload.proposals import Proposal
from apexdb.ops.workload.statements import WorkloadStatement


@dataclass(kw_only=True)
class WorkloadRequest:
    top: int = 20  # statements by total time
    top_mean: int = 10  # then by mean time, among those called at least min_calls times
    min_calls: int = 10
    min_table_rows: int = 1000  # smaller tables get no index proposal
    statement_timeout: str = "10s"  # per EXPLAIN
    verify: bool = True  # with HypoPG when it is installed


@dataclass
class StatementResult:
    statement: WorkloadStatement
    kind: str
    cost: float
    findings: list[Finding] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**self.statement.as_json(), "query": self.statement.query, "kind": self.kind,
                "plan_cost": self.cost, "findings": [f.as_json() for f in self.findings]}


@dataclass
class WorkloadReport:
    method: str  # generic_plan | pg_stats_values
    hypopg: bool
    statements: list[StatementResult] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    served: list[dict[str, Any]] = field(default_factory=list)  # candidates an existing index serves
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {"queryid", "reason"}
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"plan_method": self.method, "hypopg": self.hypopg,
                "proposals": [p.as_json() for p in self.proposals],
                "statements": [s.as_json() for s in self.statements],
                "already_indexed": self.served, "skipped": self.skipped, "unavailable": None}


def advise(conn, request: WorkloadRequest | None = None, *,
           on_statement: Callable[[WorkloadStatement], None] | None = None) -> WorkloadReport:
    from apexdb.db.connection import server_versions
    from apexdb.db.queries import fetch
    from apexdb.errors import BadInput
    from apexdb.ops.explain.findings import collect_findings
    from apexdb.ops.workload import candidates, hypo, proposals, vector
    from apexdb.ops.workload.params import table_stats
    from apexdb.ops.workload.plans import Planner, Skip
    from apexdb.ops.workload.statements import top_statements

    request = request or WorkloadRequest()
    if request.top < 1 or request.top_mean < 0 or request.min_calls < 0 or request.min_table_rows < 0:
        raise BadInput("the statement limits must be at least 1 (top) and 0 (top by mean, min calls, min rows)")
    planner = Planner(conn, server_versions(conn).server >= (16, 0), request.statement_timeout)
    schema = hypo.hypopg_schema(conn) if request.verify else None
    report = WorkloadReport(planner.method, schema is not None)
    found, hidden = top_statements(conn, top=request.top, top_mean=request.top_mean, min_calls=request.min_calls)
    if hidden:
        report.notes.append(f"{hidden} statement(s) of other roles show no text to this role and were not "
                            "analysed: GRANT pg_read_all_stats (or pg_monitor) to it")
    if not found and not hidden:
        report.notes.append("pg_stat_statements holds no statements for this database yet: nothing to analyse")
    stats_cache: dict = {}
    parsed: dict[int, Any] = {}
    gathered: list = []
    for stmt in found:
        if on_statement:
            on_statement(stmt)
        try:
            statement = planner.parse(stmt.query)
            if statement is None:
                continue  # SET, BEGIN, VACUUM...: nothing to plan
            run = planner.plan(statement)
        except Skip as exc:
            report.skipped.append({"queryid": stmt.queryid, "reason": str(exc)})
            continue
        parsed[stmt.queryid] = statement
        findings = collect_findings(run)
        extra = vector.vector_findings(run, stmt, lambda s, t: table_stats(conn, s, t, stats_cache),
                                       lambda oids: {r["oid"]: r["scans"] for r in fetch(
                                           conn, "workload_index_scans", {"oids": oids})})
        if extra:  # the workload's figures say more than find_vector's "filter after the scan" info
            findings = [f for f in findings if f.severity != "info" or "vector" not in f.message]
        findings += extra
        report.statements.append(StatementResult(stmt, statement.kind, float(run.plan.root.raw.get("Total Cost", 0)),
                                                 findings))
        gathered += [(c, stmt) for c in candidates.candidates(run, min_table_rows=request.min_table_rows)]
    report.proposals, served = proposals.propose(gathered, conn)
    report.served = [{"table": f"{c.schema}.{c.table}", "columns": c.columns, "index": name} for c, name in served]
    if schema and report.proposals:
        before = {r.statement.queryid: r.cost for r in report.statements}
        hypo.verify(conn, schema, report.proposals, lambda s: planner.plan(parsed[s.queryid]), before)
    elif report.proposals:
        report.notes.append("index proposals not verified: HypoPG is not installed in this database "
                            "(CREATE EXTENSION hypopg verifies each with a hypothetical index)")
    return report


__all__ = ["WorkloadRequest", "WorkloadReport", "StatementResult", "advise"]
