"""The state one audit run shares between its checks, and the guard every check runs under.

Checks run inside one READ ONLY transaction with ``lock_timeout`` set. Each check runs in
its own savepoint, with ``statement_timeout`` set inside it (the savepoint bookkeeping
itself runs without one, so a short timeout can never abort the whole transaction), so a check that times out, waits too long
for a lock or lacks a privilege becomes a ``could_not_check`` finding or a note, and the
checks after it still run. Relations another session holds (or waits for) an ACCESS
EXCLUSIVE lock on are found first and never touched by the size functions, which
take an ACCESS SHARE lock and would otherwise wait.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from apexdb.db.connection import set_local
from apexdb.db.queries import fetch, fetch_one
from apexdb.db.retry import retry_on_lock
from apexdb.ops.audit.model import OFF_BY_DEFAULT, AuditReport, Finding, Thresholds

log = logging.getLogger("apexdb.audit")

# SQLSTATEs a check survives: lock wait, statement timeout, missing privilege, object gone meanwhile.
LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"
INSUFFICIENT_PRIVILEGE = "42501"


@dataclass
class AuditContext:
    conn: Any
    thresholds: Thresholds
    exclude: frozenset[str]
    only: frozenset[str] | None
    report: AuditReport
    statement_timeout: str = "60s"  # applied to each check's savepoint, not to the transaction
    include: frozenset[str] = frozenset()  # off-by-default checks asked for ([audit] include)
    index_usage: Any = None  # a cluster's scan counts (apexdb.ops.cluster.usage.IndexUsage), else this server's
    facts: dict[str, Any] = field(default_factory=dict)
    locked: dict[int, dict[str, Any]] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)

    # -- which checks run ---------------------------------------------------
    def enabled(self, check: str) -> bool:
        if check in self.exclude:
            return False
        if self.only is not None:
            return check in self.only
        return check not in OFF_BY_DEFAULT or check in self.include

    def add(self, finding: Finding) -> None:
        if self.enabled(finding.check) or finding.check in ("could_not_check",):
            self.report.findings.append(finding)

    def note(self, message: str) -> None:
        if message not in self.report.notes:
            self.report.notes.append(message)
            log.info(message)

    # -- shared facts -------------------------------------------------------
    def load_facts(self) -> None:
        self.run("audit context", AuditContext._load_facts, ("could_not_check",))

    def _load_facts(self) -> None:
        self.facts = fetch_one(self.conn, "audit_context") or {}
        self.report.stats_reset = self.facts.get("stats_reset")
        self.report.stats_age_s = self.facts.get("stats_age_s")
        self.refresh_locks()
        if not (self.facts.get("is_superuser") or self.facts.get("reads_all_stats")):
            self.note(f"role {self.facts.get('role')} has neither pg_monitor nor pg_read_all_stats: statistics "
                      "and pg_stat_statements of other roles are hidden, so some checks see less")

    def refresh_locks(self) -> None:
        self.locked = {int(r["oid"]): r for r in fetch(self.conn, "audit_locked_relations")}

    @property
    def locked_oids(self) -> list[int]:
        return sorted(self.locked)

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """One catalog read shared by several checks (the index catalog, the settings)."""
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def report_locked(self) -> None:
        """A finding per relation the audit skipped because of someone's ACCESS EXCLUSIVE lock."""
        for oid, row in sorted(self.locked.items(), key=lambda kv: kv[1]["name"]):
            state = "holds" if row["granted"] else "waits for"
            query = f" ({' '.join((row.get('query') or '').split())[:120]})" if row.get("query") else ""
            self.report.findings.append(Finding(
                "could_not_check", "info", row["name"],
                f"pid {row['pid']} {state} an ACCESS EXCLUSIVE lock{query}; the index checks skipped this "
                "relation and its indexes instead of waiting", "", table=row["name"]))

    # -- the guard ----------------------------------------------------------
    def run(self, name: str, check: Callable[["AuditContext"], None], checks: tuple[str, ...]) -> None:
        """Run one check function in a savepoint; survive timeouts, lock waits and missing privileges."""
        meta = checks == ("could_not_check",)  # the audit's own groundwork: always runs
        if not meta and not any(self.enabled(c) for c in checks):
            return
        import psycopg

        # What a failed attempt added (findings, "already flagged" marks) is undone with its savepoint.
        kept = len(self.report.findings)
        marks = {k: set(v) for k, v in self._cache.items() if isinstance(v, set)}

        def attempt(_n: int) -> None:
            try:
                with self.conn.transaction():
                    set_local(self.conn, statement_timeout=self.statement_timeout)
                    check(self)
                    set_local(self.conn, statement_timeout="0")  # so RELEASE SAVEPOINT cannot be cancelled
            except psycopg.Error:
                del self.report.findings[kept:]
                for key in [k for k, v in self._cache.items() if isinstance(v, set)]:
                    if key in marks:
                        self._cache[key] = set(marks[key])
                    else:
                        del self._cache[key]
                raise

        def before_retry(_exc) -> None:
            # someone took a lock since we looked: note it, re-read the index catalog without it, retry once
            self.refresh_locks()
            for key in ("indexes", "indexes_by_table"):
                self._cache.pop(key, None)

        try:
            retry_on_lock(attempt, retries=1, before_retry=before_retry)
        except psycopg.Error as exc:
            state = getattr(exc, "sqlstate", None)
            if state is None or state.startswith("08"):
                raise  # the connection is gone: nothing else can run
            self._could_not(name, exc, state)
            return
        if not meta:
            self.report.checks_run.extend(c for c in checks if self.enabled(c) and c not in self.report.checks_run)

    def _could_not(self, name: str, exc, state: str) -> None:
        diag = getattr(exc, "diag", None)
        message = " ".join(((diag.message_primary if diag else None) or str(exc)).split())
        if state == INSUFFICIENT_PRIVILEGE:
            self.note(f"{name}: not checked, role {self.facts.get('role')} lacks a privilege ({message})")
            return
        why = {LOCK_NOT_AVAILABLE: "a lock was not granted within lock_timeout",
               QUERY_CANCELED: "the query hit statement_timeout"}.get(state, f"the query failed [SQLSTATE {state}]")
        self.report.findings.append(Finding(
            "could_not_check", "warning", name, f"{why}: {message}; the other checks ran", ""))
        self.note(f"{name}: not checked: {why}")
