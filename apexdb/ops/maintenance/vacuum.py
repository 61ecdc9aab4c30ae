"""VACUUM and ANALYZE steps: the statement, the before/after figures, what VACUUM reported.

The dead-tuple counts come from ``pg_stat_all_tables``: VACUUM writes its own counts
into the shared statistics when it ends, so the figure read right after it is
current (the snapshot is cleared first). VACUUM is always run VERBOSE so its own
report ("tuples: N removed, M remain, K are dead but not yet removable") can be
read; K > 0 means an old snapshot holds dead rows back, which the summary says.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apexdb.db.connection import read_only
from apexdb.db.queries import execute, fetch
from apexdb.errors import BadInput
from apexdb.ops.maintenance.connection import MaintenanceSettings
from apexdb.ops.maintenance.runner import RunResult, Step, run_steps
from apexdb.ops.maintenance.sizes import table_sizes
from apexdb.ops.catalog import TableRef, resolve_table

MAX_PARALLEL = 1024  # the server's own limit for VACUUM (PARALLEL n)

_REMOVED = re.compile(r"tuples: (\d+) removed, (\d+) remain, (\d+) are dead but not yet removable")
_REMOVED_FULL = re.compile(r"found (\d+) removable, \d+ nonremovable row versions")
_KEPT_FULL = re.compile(r"(\d+) dead row versions cannot be removed yet")
_PAGES = re.compile(r"pages: \d+ removed, \d+ remain, (\d+) scanned")
_INDEX_SCANS = re.compile(r"index scans: (\d+)")
# "index scan needed: 14 pages from table (24.14% of total) had 2890 dead item identifiers removed";
# "bypassed" means the dead items were left in place, so no page was vacuumed
_VACUUMED = re.compile(r"index scan (needed|not needed|bypassed|bypassed by failsafe): (\d+) pages from table")


@dataclass(frozen=True, kw_only=True)
class VacuumOptions:
    analyze: bool = False
    full: bool = False
    freeze: bool = False
    verbose: bool = False
    parallel: int | None = None

    def validate(self) -> "VacuumOptions":
        if self.parallel is not None:
            if not 0 <= self.parallel <= MAX_PARALLEL:
                raise BadInput(f"--parallel must be between 0 and {MAX_PARALLEL}, not {self.parallel}")
            if self.full:
                raise BadInput("--parallel cannot be combined with --full (VACUUM FULL does not run in parallel)")
        return self

    @property
    def action(self) -> str:
        return "vacuum full" if self.full else "vacuum"


def resolve_tables(conn, names: list[str]) -> list[TableRef]:
    """The tables named on the command line (each once), or BadInput naming the first missing one."""
    seen: dict[int, TableRef] = {}
    for name in names:
        ref = resolve_table(conn, name)
        if ref.kind not in ("r", "m", "p"):
            raise BadInput(f"{ref.display} is not a table or materialized view (it cannot be vacuumed or analyzed)")
        seen.setdefault(ref.oid, ref)
    return list(seen.values())


def table_stats(conn, oids: list[int]) -> dict[int, dict[str, Any]]:
    """The vacuum/analyze figures of ``oids`` read fresh from the statistics."""
    execute(conn, "maint_stat_snapshot_clear")
    return {row["oid"]: row for row in fetch(conn, "maint_table_stats", {"oids": list(oids)})}


def _measurer(oid: int):
    keys = ("dead_tuples", "live_tuples", "estimated_rows", "pages", "xid_age",
            "modified_since_analyze", "last_vacuum", "last_autovacuum", "last_analyze", "last_autoanalyze",
            "last_any_vacuum", "last_any_analyze")

    def measure(conn) -> dict[str, Any]:
        row = table_stats(conn, [oid]).get(oid) or {}
        figures = {k: row.get(k) for k in keys}
        # sizes lock the table: measured under a short lock_timeout, else pg_class's estimate
        size = table_sizes(conn, [oid]).get(oid, {})
        figures["table_bytes"], figures["index_bytes"] = size.get("table_bytes"), size.get("index_bytes")
        figures["size_exact"] = size.get("exact")
        return figures

    return measure


def vacuum_statement(table: TableRef, options: VacuumOptions):
    from psycopg import sql

    parts = [sql.SQL("VERBOSE")]
    if options.full:
        parts.append(sql.SQL("FULL"))
    if options.freeze:
        parts.append(sql.SQL("FREEZE"))
    if options.analyze:
        parts.append(sql.SQL("ANALYZE"))
    if options.parallel is not None:
        parts.append(sql.SQL("PARALLEL {}").format(sql.Literal(int(options.parallel))))
    return sql.SQL("VACUUM ({}) {}").format(sql.SQL(", ").join(parts), sql.Identifier(*table.ident))


def analyze_statement(table: TableRef):
    from psycopg import sql

    return sql.SQL("ANALYZE {}").format(sql.Identifier(*table.ident))


def vacuum_step(table: TableRef, options: VacuumOptions, *, reason: str = "", cost_bytes: int | None = None) -> Step:
    return Step(options.action, table.display, vacuum_statement(table, options),
                progress="cluster" if options.full else "vacuum", relid=table.oid, reason=reason,
                cost_bytes=cost_bytes, measure=_measurer(table.oid), report=vacuum_report)


def analyze_step(table: TableRef, *, reason: str = "", cost_bytes: int | None = None) -> Step:
    return Step("analyze", table.display, analyze_statement(table), progress="analyze", relid=table.oid,
                reason=reason, cost_bytes=cost_bytes, measure=_measurer(table.oid))


def vacuum_report(messages: list[str]) -> dict[str, int | None]:
    """What VACUUM said it did: tuples removed, dead tuples it could not remove yet, pages, index scans."""
    report: dict[str, int | None] = {"removed": None, "not_yet_removable": None, "pages_scanned": None,
                                     "pages_vacuumed": None, "index_scans": None}
    # the table's own report comes first; its TOAST table's follows and must not overwrite it
    for message in messages:
        match = _REMOVED.search(message)
        if match and report["removed"] is None:
            report["removed"], report["not_yet_removable"] = int(match.group(1)), int(match.group(3))
        match = _REMOVED_FULL.search(message)
        if match and report["removed"] is None:
            kept = _KEPT_FULL.search(message)
            report["removed"] = int(match.group(1))
            report["not_yet_removable"] = int(kept.group(1)) if kept else None
        for key, pattern in (("pages_scanned", _PAGES), ("index_scans", _INDEX_SCANS)):
            match = pattern.search(message)
            if match and report[key] is None:
                report[key] = int(match.group(1))
        match = _VACUUMED.search(message)
        if match and report["pages_vacuumed"] is None:
            report["pages_vacuumed"] = int(match.group(2)) if match.group(1).endswith("needed") else 0
    return report


def named_steps(conn, names: list[str], options: VacuumOptions | None) -> list[Step]:
    """A VACUUM step (ANALYZE when ``options`` is None) per named table, with its approximate cost."""
    with read_only(conn):
        tables = resolve_tables(conn, names)
    costs = table_sizes(conn, [t.oid for t in tables])
    steps = []
    for t in tables:
        cost = costs.get(t.oid, {})
        if options is None:
            steps.append(analyze_step(t, cost_bytes=cost.get("table_bytes")))
        else:
            steps.append(vacuum_step(t, options, cost_bytes=(cost.get("table_bytes") or 0)
                                     + (cost.get("index_bytes") or 0)))
    return steps


def vacuum_tables(conn, names: list[str], options: VacuumOptions, settings: MaintenanceSettings,
                  **hooks) -> RunResult:
    """``VACUUM`` each named table with before/after figures and what VACUUM reported (the Python entry point)."""
    return run_steps(conn, named_steps(conn, names, options.validate()), settings, **hooks)
