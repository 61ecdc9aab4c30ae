"""``apexdb explain``: run EXPLAIN on one statement (always rolled back) and say what to fix.

statement.py parses and checks the SQL, runner.py runs EXPLAIN, plan.py walks the JSON
plan (the one plan walker), context.py gathers settings and table facts, find_*.py produce
the findings. vector_diagnosis.py is the one "why was the vector index not used?"
diagnosis, shared with ``apexdb search --explain`` and ``apexdb audit``. :func:`explain` is
the whole thing, usable from Python; the view (tree, findings table) is
:mod:`apexdb.render.explain`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apexdb.ops.explain.findings import Finding, collect_findings
from apexdb.ops.explain.runner import ExplainOptions, ExplainRun, run_explain
from apexdb.ops.explain.statement import parse_statement


@dataclass
class ExplainReport:
    run: ExplainRun
    findings: list[Finding]

    def as_json(self) -> dict[str, Any]:
        plan = self.run.plan
        return {"plan": plan.document, "findings": [f.as_json() for f in self.findings],
                "planning_ms": plan.planning_ms, "execution_ms": plan.execution_ms}


def explain(conn, sql_text: str, options: ExplainOptions | None = None) -> ExplainReport:
    """Parse ``sql_text`` (exactly one statement), EXPLAIN it and judge the plan."""
    statement = parse_statement(sql_text)
    run = run_explain(conn, statement, options or ExplainOptions())
    return ExplainReport(run, collect_findings(run))


__all__ = ["ExplainOptions", "ExplainReport", "Finding", "explain"]
