"""The maintenance the audits call for, as steps: no copies of the checks here.

``run_audit`` (apexdb.ops.audit) finds the problems; this module only maps its
findings to work:

| finding                                   | step                                   |
| dead_tuples, autovacuum_overdue           | VACUUM (ANALYZE) the table             |
| xid_wraparound, multixact_wraparound      | VACUUM (FREEZE) the table              |
| never_analyzed                            | ANALYZE the table                      |
| invalid_index                             | REINDEX CONCURRENTLY (a _ccnew leftover: DROP INDEX CONCURRENTLY) |
| index_bloat                               | REINDEX CONCURRENTLY                   |

Several findings on one table become one step with every reason. The cost is the
size the step reads or rewrites, from pg_class (no lock taken while planning).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from apexdb.db.connection import read_only
from apexdb.ops.maintenance.sizes import table_sizes
from apexdb.ops.maintenance.reindex import IndexTarget, index_targets, reindex_steps, with_table_sizes
from apexdb.ops.maintenance.runner import Step
from apexdb.ops.maintenance.vacuum import VacuumOptions, analyze_step, vacuum_step
from apexdb.ops.catalog import TableRef, resolve_table

VACUUM_CHECKS = ("dead_tuples", "autovacuum_overdue")
FREEZE_CHECKS = ("xid_wraparound", "multixact_wraparound")
ANALYZE_CHECKS = ("never_analyzed",)
INDEX_CHECKS = ("invalid_index", "index_bloat")


def audit_findings(conn, kinds: tuple[str, ...], checks: tuple[str, ...], *, thresholds=None,
                   exclude: tuple[str, ...] = (), notes: list[str] | None = None) -> list[Any]:
    """The findings of ``checks`` from one audit run of ``kinds``; what it could not check goes to ``notes``."""
    from apexdb.ops.audit import run_audit

    report = run_audit(conn, kinds=kinds, thresholds=thresholds, exclude=exclude)
    if notes is not None:
        notes.extend(f"audit could not check {f.object}: {f.detail}" for f in report.findings
                     if f.check == "could_not_check")
        notes.extend(report.notes)
    return [f for f in report.findings if f.check in checks]


def _table_of(conn, finding) -> TableRef | None:
    """The table a finding is about, or None (a database-wide wraparound finding names no table)."""
    from apexdb.errors import BadInput

    if not finding.table:
        return None
    name = f"{finding.schema}.{finding.table}" if finding.schema else finding.table
    try:
        ref = resolve_table(conn, name)
    except BadInput:
        return None
    return ref if ref.kind in ("r", "m", "p") else None


def _reason(finding) -> str:
    return f"{finding.check}: {finding.detail}"


def _grouped(conn, findings) -> dict[int, tuple[TableRef, list[Any]]]:
    groups: dict[int, tuple[TableRef, list[Any]]] = {}
    for finding in findings:
        ref = _table_of(conn, finding)
        if ref is not None:
            groups.setdefault(ref.oid, (ref, []))[1].append(finding)
    return groups


def table_steps(conn, findings, options: VacuumOptions, *, analyze_only: bool = False) -> list[Step]:
    """One VACUUM (or ANALYZE) step per table the findings name, reasons joined."""
    with read_only(conn):
        groups = _grouped(conn, findings)
    costs = table_sizes(conn, list(groups))
    steps = []
    for oid, (ref, found) in groups.items():
        reason = "; ".join(_reason(f) for f in found)
        cost = costs.get(oid, {})
        if analyze_only:
            steps.append(analyze_step(ref, reason=reason, cost_bytes=cost.get("table_bytes")))
            continue
        opts = replace(options, freeze=options.freeze or any(f.check in FREEZE_CHECKS for f in found))
        # VACUUM reads the heap and every index of the table (FULL rewrites them all)
        size = (cost.get("table_bytes") or 0) + (cost.get("index_bytes") or 0)
        steps.append(vacuum_step(ref, opts, reason=reason, cost_bytes=size))
    return steps


def vacuum_plan(conn, options: VacuumOptions, **audit) -> list[Step]:
    """``apexdb vacuum`` without tables: the tables the vacuum audit flags."""
    return table_steps(conn, audit_findings(conn, ("vacuum",), VACUUM_CHECKS + FREEZE_CHECKS, **audit), options)


def analyze_plan(conn, **audit) -> list[Step]:
    """``apexdb analyze`` without tables: the tables the vacuum audit says were never analyzed."""
    return table_steps(conn, audit_findings(conn, ("vacuum",), ANALYZE_CHECKS, **audit), VacuumOptions(),
                       analyze_only=True)


def index_plan(conn, findings) -> list[IndexTarget]:
    """The indexes ``findings`` name, each with its reasons (busy ones left out)."""
    reasons: dict[str, list[str]] = {}
    for f in findings:
        if not f.index:
            continue
        schema = f.schema or (f.object.split(".", 1)[0] if "." in f.object else "public")
        name = f.index
        reasons.setdefault(f"{schema}.{name}", []).append(_reason(f))
    with read_only(conn):
        targets = index_targets(conn, list(reasons), {k: "; ".join(v) for k, v in reasons.items()}, strict=False)
    return with_table_sizes(conn, targets)


def bloated_plan(conn, **audit) -> list[IndexTarget]:
    """``apexdb reindex --bloated``: the indexes the bloat estimate of the index audit flags."""
    return index_plan(conn, audit_findings(conn, ("indexes",), ("index_bloat",), **audit))


def check_reindex_choice(*, indexes=None, table=None, invalid=False, bloated=False) -> None:
    """BadInput unless exactly one way of choosing the indexes was given (checked before connecting)."""
    from apexdb.errors import BadInput

    if sum(bool(x) for x in (indexes, table, invalid, bloated)) != 1:
        raise BadInput("name the indexes, or give exactly one of --table, --invalid or --bloated")


def reindex_targets(conn, *, indexes: list[str] | None = None, table: str | None = None, invalid: bool = False,
                    bloated: bool = False, **audit) -> list[IndexTarget]:
    """What ``apexdb reindex`` rebuilds: the named indexes, a table's, the invalid ones or the bloated ones
    (exactly one of them), with the leftovers of earlier failed rebuilds."""
    from apexdb.ops.maintenance.reindex import plan_for_indexes, plan_for_invalid, plan_for_table

    check_reindex_choice(indexes=indexes, table=table, invalid=invalid, bloated=bloated)
    if indexes:
        return plan_for_indexes(conn, indexes)
    if table:
        return plan_for_table(conn, table)
    if invalid:
        return plan_for_invalid(conn)
    return bloated_plan(conn, **audit)


def maintain_plan(conn, notes: list[str] | None = None, **audit) -> list[Step]:
    """Everything the vacuum and index audits call for, in a safe order.

    Leftover drops first (they cost writes until gone), then VACUUM (ANALYZE) and
    ANALYZE, then REINDEX CONCURRENTLY: a freshly vacuumed table gives the rebuild
    less to read.
    """
    findings = audit_findings(conn, ("vacuum", "indexes"),
                              VACUUM_CHECKS + FREEZE_CHECKS + ANALYZE_CHECKS + INDEX_CHECKS, notes=notes, **audit)
    vacuum_findings = [f for f in findings if f.check in VACUUM_CHECKS + FREEZE_CHECKS]
    vacuums = table_steps(conn, vacuum_findings, VacuumOptions(analyze=True))
    vacuumed = {s.object for s in vacuums}
    analyzes = [s for s in table_steps(conn, [f for f in findings if f.check in ANALYZE_CHECKS], VacuumOptions(),
                                       analyze_only=True) if s.object not in vacuumed]
    index_steps = reindex_steps(index_plan(conn, [f for f in findings if f.check in INDEX_CHECKS]))
    drops = [s for s in index_steps if s.action == "drop leftover"]
    rebuilds = [s for s in index_steps if s.action != "drop leftover"]
    return drops + vacuums + analyzes + rebuilds
