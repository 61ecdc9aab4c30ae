"""What an audit produces: findings, the report, and the thresholds checks compare against."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from apexdb.errors import BadInput

SEVERITIES = ("info", "warning", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
KINDS = ("indexes", "vacuum", "config")

# Every check by family; names are what --exclude/--only and the [audit] exclude list take.
CHECKS: dict[str, tuple[str, ...]] = {
    "indexes": ("invalid_index", "duplicate_index", "redundant_index", "unused_index", "fk_without_index",
                "mostly_null_index", "index_bloat", "vector_column_without_index", "ivfflat_lists",
                "hnsw_exceeds_maintenance_work_mem", "vector_opclass_mismatch"),
    "vacuum": ("dead_tuples", "autovacuum_overdue", "xid_wraparound", "multixact_wraparound", "never_analyzed"),
    "config": ("pg_stat_statements_missing", "work_mem", "maintenance_work_mem", "shared_buffers",
               "vector_setting"),
    # over a primary and its replicas (apexdb.ops.cluster): `audit replication|all --cluster NAME`
    "replication": ("replica_lag", "replay_paused", "wal_receiver_not_streaming", "replication_slot",
                    "sync_standby_absent", "standby_conflicts", "member_settings_differ"),
}
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
    kinds: tuple[str, ...] = ()
    checks_run: list[str] = field(default_factory=list)
    stats_reset: Any = None
    stats_age_s: float | None = None
    target: str | None = None

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
                "stats_reset": self.stats_reset, "stats_age_s": self.stats_age_s, "notes": self.notes}


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*$", re.I)
_SIZE_UNITS = {None: 1, "b": 1, "kb": 1024, "kib": 1024, "mb": 1024 ** 2, "mib": 1024 ** 2, "gb": 1024 ** 3,
               "gib": 1024 ** 3, "tb": 1024 ** 4, "tib": 1024 ** 4}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$", re.I)
_DURATION_UNITS = {None: 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_size(value: Any, name: str) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    match = _SIZE.match(str(value))
    if not match:
        raise BadInput(f"threshold {name}: {value!r} is not a size (e.g. 1048576, 10MB, 1GB)")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower() or None])


def parse_duration(value: Any, name: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise BadInput(f"threshold {name}: {value!r} is not a duration (e.g. 3600, 12h, 7d)")
    return float(match.group(1)) * _DURATION_UNITS[(match.group(2) or "").lower() or None]


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
    # replication health over a cluster (apexdb.ops.cluster.health)
    replica_lag_bytes_warning: int = 64 * 1024 ** 2
    replica_lag_bytes_critical: int = 1024 ** 3
    replica_lag_time_warning: float = 60
    replica_lag_time_critical: float = 600
    slot_retained_bytes: int = 1024 ** 3  # an inactive slot retaining this much WAL is critical
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


def _convert(name: str, type_: str, value: Any) -> Any:
    if "bytes" in name:
        return parse_size(value, name)
    if name in ("stats_min_age", "vacuum_max_age", "replica_lag_time_warning", "replica_lag_time_critical"):
        return parse_duration(value, name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"threshold {name}: {value!r} is not a number") from None
    if number < 0:
        raise BadInput(f"threshold {name}: {value!r} must not be negative")
    return int(number) if type_ == "int" else number


def check_names(names: list[str] | tuple[str, ...], source: str) -> tuple[str, ...]:
    """Validated check names (BadInput on an unknown one)."""
    for name in names:
        if name not in ALL_CHECKS:
            raise BadInput(f"unknown audit check {name!r} in {source} (known: {', '.join(ALL_CHECKS)})")
    return tuple(names)
