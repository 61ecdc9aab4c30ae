"""``apexdb report``: one page about one database, gathered from the engines that already know it.

Nothing here queries the database itself: the audit is :func:`apexdb.ops.audit.run_audit` (what
``audit all`` runs, with the config file's thresholds and exclusions), the statements are
:func:`apexdb.ops.stats.top_statements`, sizes :func:`~apexdb.ops.stats.table_stats` and
:func:`~apexdb.ops.stats.index_stats`, vector indexes :func:`apexdb.ops.index.list_indexes`, and
history and stored tune results :mod:`apexdb.ops.history` (when its schema is installed). Each of
those reads in a READ ONLY transaction with the configured timeouts.

Public API::

    from apexdb.ops.report import ReportRequest, gather_report
    report = gather_report(conn, target, ReportRequest(since_s=7 * 86400))
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from apexdb.errors import BadInput

STEPS = ("server", "audit", "statements", "sizes", "vector indexes", "history")


@dataclass
class ReportRequest:
    since_s: float = 30 * 86400  # how far back history (statement series, growth) goes
    top: int = 15  # statements by total time
    relations: int = 20  # tables and indexes by size
    thresholds: Any = None  # audit thresholds; None: the config file's, as `audit all` uses
    exclude: tuple[str, ...] = ()  # audit checks to skip, beyond the config file's [audit] exclude

    def check(self) -> None:
        if self.top < 1 or self.relations < 1:
            raise BadInput("--top and --relations must be at least 1")
        if self.since_s <= 0:
            raise BadInput("--since must be a positive duration (e.g. 7d, 12h)")


@dataclass
class Report:
    generated_at: dt.datetime
    target: dict[str, str]
    server: dict[str, Any]
    vector_version: str | None
    audit: Any  # AuditReport
    statements: Any = None  # StatementsReport, or None with statements_missing saying why
    statements_missing: str | None = None
    tables: list[dict[str, Any]] = field(default_factory=list)
    indexes: list[dict[str, Any]] = field(default_factory=list)
    vector_indexes: list[Any] = field(default_factory=list)  # ops.index.IndexInfo
    history: Any = None  # ops.history.HistoryState, None when its schema is not installed (or not readable)
    history_unreadable: str | None = None  # why an installed history could not be read
    since: dt.datetime | None = None
    statement_history: dict[int, dict[str, Any]] = field(default_factory=dict)  # queryid -> change, series
    growth: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {"table": {}, "index": {}})
    tune: list[dict[str, Any]] = field(default_factory=list)  # the latest stored tune result of each index

    def tune_of(self, ix) -> dict[str, Any] | None:
        """The latest stored tune result of vector index ``ix`` (tune stores the bare index name and schema.table)."""
        return next((t for t in self.tune if t.get("index") == ix.name
                     and t.get("table") in (f"{ix.schema}.{ix.table}", ix.table)), None)

    def summary(self) -> dict[str, Any]:
        """What the page holds, in numbers (the command's stdout)."""
        return {"findings": self.audit.counts(), "statements": len(self.statements.rows) if self.statements else 0,
                "statements_with_history": sum(1 for h in self.statement_history.values() if h.get("series")),
                "tables": len(self.tables), "indexes": len(self.indexes),
                "relations_with_history": len(self.growth["table"]) + len(self.growth["index"]),
                "vector_indexes": len(self.vector_indexes),
                "tune_results": sum(1 for ix in self.vector_indexes if self.tune_of(ix) is not None),
                "history": self.history is not None}


def gather_report(conn, target, request: ReportRequest | None = None,
                  on_step: Callable[[str], None] | None = None) -> Report:
    """Everything the page shows, read-only; ``on_step(name)`` after each part (for a progress bar)."""
    from apexdb.ops.audit import KINDS, excluded_from_config, run_audit
    from apexdb.ops.index import list_indexes
    from apexdb.ops.info import gather_info
    from apexdb.ops.stats import index_stats, table_stats

    request = request or ReportRequest()
    request.check()
    step = on_step or (lambda name: None)
    info = gather_info(conn, target)
    report = Report(generated_at=dt.datetime.now(dt.timezone.utc), target=info["target"], server=info["server"],
                    vector_version=info["vector_version"], audit=None)
    step("server")
    report.audit = run_audit(conn, kinds=KINDS, thresholds=request.thresholds,
                             exclude=excluded_from_config() + tuple(request.exclude), target=target.name)
    step("audit")
    _statements(conn, report, request)
    step("statements")
    report.tables = table_stats(conn, request.relations)
    report.indexes = index_stats(conn, request.relations)
    step("sizes")
    report.vector_indexes = list_indexes(conn, vector_only=True)
    step("vector indexes")
    from apexdb.ops.report.history import add_history

    add_history(conn, report, request)
    step("history")
    return report


def _statements(conn, report: Report, request: ReportRequest) -> None:
    from apexdb.errors import NotEnabled
    from apexdb.ops.stats import top_statements

    try:
        report.statements = top_statements(conn, sort="total", limit=request.top, all_users=True)
    except NotEnabled as exc:  # not preloaded, not created, or not readable: the section says which
        report.statements_missing = str(exc)
