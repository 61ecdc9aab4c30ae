"""Audits: index, vacuum and configuration checks that return findings with fixes.

Public API (used by ``apexdb audit`` and by the maintenance commands)::

    from apexdb.ops.audit import Finding, run_audit
    report = run_audit(conn, kinds=("indexes",), thresholds={"unused_index_min_bytes": 0},
                       exclude=("fk_without_index",))
    for f in report.findings:  # f.check, f.severity, f.object, f.detail, f.fix,
        ...                    # f.schema, f.table, f.index, f.size_bytes, f.statements

Everything runs in one READ ONLY transaction with statement_timeout and lock_timeout;
every check runs in its own savepoint (see ``context``), so one check that cannot run
becomes a ``could_not_check`` finding and the rest still run.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from apexdb.ops.audit.model import (ALL_CHECKS, CHECKS, KINDS, SEVERITIES, SEVERITY_RANK, AuditReport, Finding,
                                    Thresholds, check_names)

__all__ = ["ALL_CHECKS", "CHECKS", "KINDS", "SEVERITIES", "SEVERITY_RANK", "AuditReport", "Finding", "Thresholds",
           "run_audit", "thresholds_from_config", "excluded_from_config"]


def _families(kinds: Iterable[str] = KINDS) -> dict[str, list[tuple[str, Callable, tuple[str, ...]]]]:
    """kind -> [(name for messages, check function, the check names it produces)] in run order.

    The config file's custom checks are read (and validated) only when ``kinds`` has ``custom``."""
    from apexdb.ops.audit import (column_types, connections, custom, heap_bloat, horizon, index_shapes, schema,
                                  sequences)
    from apexdb.ops.audit import config_checks as cfg, history, index_stats, indexes, queries, vacuum, vectors

    return {
        "indexes": [
            ("invalid indexes", indexes.check_invalid, ("invalid_index",)),
            ("duplicate indexes", indexes.check_duplicates, ("duplicate_index", "redundant_index")),
            ("mostly-NULL indexes", index_stats.check_mostly_null, ("mostly_null_index",)),
            ("unused indexes", indexes.check_unused, ("unused_index",)),
            ("foreign keys", indexes.check_fk_without_index, ("fk_without_index",)),
            ("btree bloat", index_stats.check_bloat, ("index_bloat",)),
            ("vector columns", vectors.check_without_index, ("vector_column_without_index",)),
            ("IVFFlat lists", vectors.check_ivfflat_lists, ("ivfflat_lists",)),
            ("HNSW memory", vectors.check_hnsw_memory, ("hnsw_exceeds_maintenance_work_mem",)),
            ("vector opclasses", vectors.check_opclass_mismatch, ("vector_opclass_mismatch",)),
            ("index WHERE IS NOT NULL", index_shapes.check_not_null_predicate, ("redundant_not_null_predicate",)),
            ("array and boolean indexes", index_shapes.check_array_and_boolean, ("btree_on_array", "boolean_index")),
            ("timestamp key order", index_shapes.check_timestamp_in_middle, ("timestamp_mid_index",)),
            ("intersected indexes", index_shapes.check_intersected, ("intersected_index",)),
            ("bloat coverage", index_shapes.bloat_coverage, ("index_bloat",)),
        ],
        "vacuum": [
            ("dead tuples", vacuum.check_dead_tuples, ("dead_tuples",)),
            ("autovacuum", vacuum.check_autovacuum_overdue, ("autovacuum_overdue",)),
            ("wraparound", vacuum.check_wraparound, ("xid_wraparound", "multixact_wraparound")),
            ("analyze", vacuum.check_never_analyzed, ("never_analyzed",)),
            ("table bloat", heap_bloat.check_table_bloat, ("table_bloat",)),
        ],
        "config": [
            ("pg_stat_statements", cfg.check_pg_stat_statements, ("pg_stat_statements_missing",)),
            ("work_mem", cfg.check_work_mem, ("work_mem",)),
            ("maintenance_work_mem", cfg.check_maintenance_work_mem, ("maintenance_work_mem",)),
            ("shared_buffers", cfg.check_shared_buffers, ("shared_buffers",)),
            ("vector settings", cfg.check_vector_settings, ("vector_setting",)),
        ],
        "schema": [
            ("primary keys", schema.check_primary_keys, ("table_without_primary_key",)),
            ("foreign keys", schema.check_foreign_keys, ("duplicate_foreign_key", "intersected_foreign_key",
                                                         "fk_type_mismatch", "fk_nullable_columns")),
            ("NOT VALID constraints", schema.check_not_valid, ("not_valid_constraint",)),
            ("disabled triggers", schema.check_disabled_triggers, ("disabled_trigger",)),
            ("column types", column_types.check_column_types, (
                "json_column", "money_column", "char_column", "timestamp_without_time_zone", "serial_column",
                "int4_key_on_big_table")),
            ("sequences", sequences.check_sequences, ("sequence_overflow",)),
            ("comments", schema.check_comments, ("missing_comment",)),
        ],
        "activity": [
            ("transactions", horizon.check_sessions, ("long_transaction", "idle_in_transaction")),
            ("prepared transactions", horizon.check_prepared, ("prepared_transaction",)),
            ("replication slots", horizon.check_slots, ("replication_slot",)),
            ("standby", horizon.check_standby, ("hot_standby_feedback",)),
            ("connections", connections.check_connections, ("connections",)),
        ],
        "custom": custom.families() if "custom" in kinds else [],
        "queries": [("top statements", queries.check_queries, ("query_index", "query_plan", "query_vector")),
                    ("statement history", history.check_regressions, ("statement_regressed",))],
    }


def check_groups(kinds: Iterable[str]) -> int:
    """How many groups of checks ``run_audit`` runs for ``kinds`` (the length of its progress)."""
    kinds = tuple(kinds)
    families = _families(kinds)
    return sum(len(families[k]) for k in kinds if k in families)


def thresholds_from_config() -> Thresholds:
    """Defaults overlaid with the config file's [audit] section (its threshold keys)."""
    from apexdb.config import load_config

    section = {k: v for k, v in load_config().section("audit").items() if k not in _NON_THRESHOLD_KEYS}
    return Thresholds().updated(section, "the [audit] section of the config file")


def excluded_from_config() -> tuple[str, ...]:
    """Checks the [audit] exclude list skips."""
    return _config_checks("exclude")


def included_from_config() -> tuple[str, ...]:
    """Off-by-default checks the [audit] include list turns on."""
    return _config_checks("include")


def _config_checks(key: str) -> tuple[str, ...]:
    from apexdb.config import load_config
    from apexdb.errors import BadInput

    value = load_config().section("audit").get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise BadInput(f"[audit] {key} in the config file must be a list of check names")
    return check_names(value, f"the [audit] {key} list of the config file")


_NON_THRESHOLD_KEYS = ("exclude", "include", "statement_timeout", "lock_timeout", "fail_on", "exit_codes",
                       "perfdata")


def run_audit(conn, kinds: Iterable[str] = KINDS, thresholds: Thresholds | dict[str, Any] | None = None,
              exclude: Iterable[str] = (), only: Iterable[str] | None = None, *,
              statement_timeout: str | None = None, lock_timeout: str | None = None,
              target: str | None = None, on_check: Callable[[str], None] | None = None,
              index_usage: Any = None) -> AuditReport:
    """Run the checks of ``kinds`` on ``conn``; thresholds default to the config file's [audit].

    ``on_check(name)`` is called after each group of checks (for a progress bar).
    ``index_usage`` (an ``apexdb.ops.cluster.usage.IndexUsage``) replaces this server's index
    scan counts with those of every member of its cluster, so "unused" means unused everywhere.
    """
    from apexdb.config import load_config
    from apexdb.db.connection import read_only
    from apexdb.errors import BadInput
    from apexdb.ops.audit.context import AuditContext

    kinds = tuple(kinds)
    for kind in kinds:
        if kind not in KINDS:
            raise BadInput(f"unknown audit kind {kind!r} (choose from {', '.join(KINDS)} or all)")
    if thresholds is None:
        thresholds = thresholds_from_config()
    elif isinstance(thresholds, dict):
        thresholds = thresholds_from_config().updated(thresholds, "thresholds")
    report = AuditReport(kinds=kinds, target=target)
    ctx = AuditContext(conn, thresholds, frozenset(check_names(tuple(exclude), "exclude")),
                       frozenset(check_names(tuple(only), "only")) if only is not None else None, report,
                       include=frozenset(included_from_config()), index_usage=index_usage)
    families = _families(kinds)  # validates the config file's custom checks before anything runs
    statement_timeout, lock_timeout = _timeouts(statement_timeout, lock_timeout)
    ctx.statement_timeout = statement_timeout or load_config().setting("statement_timeout")
    # The transaction itself runs with no statement timeout; each check's savepoint gets it
    # (see AuditContext.run): a cancelled SAVEPOINT/RELEASE would abort every later check.
    with read_only(conn, statement_timeout="0", lock_timeout=lock_timeout):
        ctx.load_facts()
        for kind in kinds:
            for name, check, produces in families[kind]:
                ctx.run(name, check, produces)
                if on_check:
                    on_check(name)
        ctx.report_locked()
    report.findings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.check, f.object))
    for finding in report.findings:
        finding.target = target
    return report


def _timeouts(statement_timeout: str | None, lock_timeout: str | None) -> tuple[str | None, str | None]:
    """Flags > [audit] in the config file > the general settings (read_only applies those)."""
    from apexdb.config import load_config

    section = load_config().section("audit")
    return (statement_timeout or section.get("statement_timeout"), lock_timeout or section.get("lock_timeout"))
