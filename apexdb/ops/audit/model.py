"""What an audit produces: findings, the report, and the thresholds checks compare against."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from apexdb.errors import BadInput
from apexdb.units import parse_duration, parse_size

SEVERITIES = ("info", "warning", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
KINDS = ("indexes", "vacuum", "config", "schema", "activity", "queries", "custom")

# Every check by family; names are what --exclude/--only and the [audit] exclude list take.
CHECKS: dict[str, tuple[str, ...]] = {
    "indexes": ("invalid_index", "duplicate_index", "redundant_index", "unused_index", "fk_without_index",
                "mostly_null_index", "index_bloat", "vector_column_without_index", "ivfflat_lists",
                "hnsw_exceeds_maintenance_work_mem", "vector_opclass_mismatch", "btree_on_array",
                "boolean_index", "timestamp_mid_index", "redundant_not_null_predicate", "intersected_index"),
    "vacuum": ("dead_tuples", "autovacuum_overdue", "xid_wraparound", "multixact_wraparound", "never_analyzed",
               "table_bloat"),
    "config": ("pg_stat_statements_missing", "work_mem", "maintenance_work_mem", "shared_buffers",
               "vector_setting"),
    "schema": ("table_without_primary_key", "duplicate_foreign_key", "intersected_foreign_key",
               "fk_type_mismatch", "fk_nullable_columns", "not_valid_constraint", "disabled_trigger",
               "json_column", "money_column", "char_column", "timestamp_without_time_zone", "serial_column",
               "int4_key_on_big_table", "sequence_overflow", "missing_comment"),
    "activity": ("long_transaction", "idle_in_transaction", "prepared_transaction", "replication_slot",
                 "hot_standby_feedback", "connections"),
    "custom": (),  # the config file's [checks.NAME] entries, see custom.py
    "queries": ("query_index", "query_plan", "query_vector", "statement_regressed"),
    # over a primary and its replicas (apexdb.ops.cluster): `audit replication|all --cluster NAME`
    "replication": ("replica_lag", "replay_paused", "wal_receiver_not_streaming", "replication_slot",
                    "sync_standby_absent", "standby_conflicts", "member_settings_differ"),
}
# Checks that run only when named (--only, or [audit] include in the config file).
OFF_BY_DEFAULT = ("missing_comment",)
# Findings about the audit itself (always on): what it could not check, an unreachable target.
META_CHECKS = ("could_not_check", "unreachable_target")
ALL_CHECKS = tuple(c for family in CHECKS.values() for c in family) + META_CHECKS


@dataclass
class Finding:
    """One problem: the five public fields, plus structured ones for code built on audits."""

    check: str
    severity: str
    object: str
    detail: str
    fix: str = ""
    schema: str | None = None
    table: str | None = None
    index: str | None = None
    size_bytes: int | None = None
    statements: tuple[str, ...] = ()  # the fix as runnable statements, one per transaction
    target: str | None = None
    per_member: dict[str, Any] | None = None  # over a cluster: what each member saw (index scans...)

    def public(self, with_target: bool = False) -> dict[str, Any]:
        doc = {"check": self.check, "severity": self.severity, "object": self.object,
               "detail": self.detail, "fix": self.fix}
        if with_target:
            doc["target"] = self.target
        if self.per_member is not None:
            doc["per_member"] = self.per_member
        return doc


@dataclass
class AuditReport:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be seen or checked, one line each
    coverage: list[str] = field(default_factory=list)  # what a check cannot judge by design (summary only)
    # measured figures for monitoring perfdata: label -> (value, unit, warning, critical, max)
    metrics: dict[str, tuple] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()
    checks_run: list[str] = field(default_factory=list)
    stats_reset: Any = None
    stats_age_s: float | None = None
    target: str | None = None
    sections: dict[str, Any] = field(default_factory=dict)  # kind -> its own JSON (audit queries: proposals)

    def counts(self) -> dict[str, int]:
        counts = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            counts[f.severity] += 1
        return counts

    def reaches(self, level: str) -> bool:
        return any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[level] for f in self.findings)

    def summary(self) -> dict[str, Any]:
        counts = self.counts()
        return {**counts, "total": len(self.findings), "kinds": list(self.kinds), "checks": self.checks_run,
                "stats_reset": self.stats_reset, "stats_age_s": self.stats_age_s, "notes": self.notes,
                "coverage": self.coverage, "metrics": {k: v[0] for k, v in sorted(self.metrics.items())}}


@dataclass
class Thresholds:
    """Limits the checks use. Sizes in bytes, ages in seconds, ratios as fractions."""

    unused_index_min_bytes: int = 1024 * 1024
    stats_min_age: float = 7 * 86400  # younger statistics make "unused" an info, not a warning
    bloat_min_bytes: int = 100 * 1024 * 1024
    bloat_min_ratio: float = 0.5
    mostly_null_min_bytes: int = 10 * 1024 * 1024
    mostly_null_fraction: float = 0.5
    fk_min_rows: int = 0
    vector_min_rows: int = 10_000
    ivfflat_lists_factor: float = 4.0
    dead_tuple_ratio: float = 0.2
    dead_tuple_min: int = 1000
    vacuum_max_age: float = 7 * 86400
    never_analyzed_min_rows: int = 1000
    xid_age_warning: int = 1_000_000_000
    xid_age_critical: int = 1_500_000_000
    multixact_age_warning: int = 1_000_000_000
    multixact_age_critical: int = 1_500_000_000
    temp_bytes_warning: int = 1024 ** 3
    ram_bytes: int = 0  # the server's RAM; 0: read it from this machine when the server runs here
    sequence_warning_ratio: float = 0.8
    sequence_critical_ratio: float = 0.95
    int4_key_min_rows: int = 10_000_000
    table_bloat_min_bytes: int = 64 * 1024  # 8 pages: smaller tables cannot hold much
    table_bloat_ratio: float = 0.5
    transaction_age_warning: float = 3600
    transaction_age_critical: float = 6 * 3600
    idle_in_transaction_warning: float = 300
    idle_in_transaction_critical: float = 3600
    prepared_age_warning: float = 300
    prepared_age_critical: float = 3600
    slot_wal_warning_bytes: int = 1024 ** 3
    slot_wal_critical_bytes: int = 10 * 1024 ** 3
    connections_warning_ratio: float = 0.8
    connections_critical_ratio: float = 0.95
    queries_top: int = 20  # audit queries: statements by total time
    queries_top_mean: int = 10  # then by mean time, among those called at least queries_min_calls times
    queries_min_calls: int = 10
    queries_min_table_rows: int = 1000  # smaller tables get no index proposal
    # statement_regressed, from the history schema's snapshots (apexdb.ops.history): the mean time over the
    # last regression_window against the window before it, for statements called regression_min_calls
    # times in each and taking regression_min_ms or more on average now
    regression_window: float = 86400
    mean_time_rise_warning: float = 1.5
    mean_time_rise_critical: float = 3.0
    regression_min_calls: int = 10
    regression_min_ms: float = 1.0  # a mean below this after the rise is noise, not a regression
    # replication health over a cluster (apexdb.ops.cluster.health)
    replica_lag_bytes_warning: int = 64 * 1024 ** 2
    replica_lag_bytes_critical: int = 1024 ** 3
    replica_lag_time_warning: float = 60
    replica_lag_time_critical: float = 600
    standby_conflicts_min: int = 1  # queries cancelled on a replica before it is reported

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    def updated(self, values: dict[str, Any], source: str) -> "Thresholds":
        """A copy with ``values`` applied; unknown names and bad values are BadInput."""
        types = {f.name: f.type for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for key, value in values.items():
            name = key.replace("-", "_")
            if name not in types:
                raise BadInput(f"unknown audit threshold {key!r} in {source} "
                               f"(known: {', '.join(self.names())})")
            changes[name] = _convert(name, types[name], value)
        return dataclasses.replace(self, **changes)


DURATIONS = ("stats_min_age", "vacuum_max_age", "transaction_age_warning", "transaction_age_critical",
             "idle_in_transaction_warning", "idle_in_transaction_critical", "prepared_age_warning",
             "prepared_age_critical", "replica_lag_time_warning", "replica_lag_time_critical",
             "regression_window")


def _convert(name: str, type_: str, value: Any) -> Any:
    if "bytes" in name:
        return parse_size(value, error=f"threshold {name}: {{value!r}} is not a size (e.g. 1048576, 10MB, 1GB)")
    if name in DURATIONS:
        return parse_duration(value, error=f"threshold {name}: {{value!r}} is not a duration (e.g. 3600, 12h, 7d)")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"threshold {name}: {value!r} is not a number") from None
    if number < 0:
        raise BadInput(f"threshold {name}: {value!r} must not be negative")
    return int(number) if type_ == "int" else number


def check_names(names: list[str] | tuple[str, ...], source: str) -> tuple[str, ...]:
    """Validated check names (BadInput on an unknown one); the config file's custom checks count."""
    from apexdb.ops.audit.custom import custom_names

    known = ALL_CHECKS + custom_names()
    for name in names:
        if name not in known:
            raise BadInput(f"unknown audit check {name!r} in {source} (known: {', '.join(known)})")
    return tuple(names)
