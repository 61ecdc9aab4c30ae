"""History: snapshots of pg_stat_statements deltas, relation sizes and vector-index scans, kept in a
schema apexdb owns (``apexdb_history`` unless ``[history] schema`` says otherwise), and what
``stats queries --since``, ``stats tables|indexes --growth``, ``audit`` and ``report`` read from it.

Public API (names are stable: other commands and the HTML report code against them)::

    history_state(conn) -> HistoryState | None          # None: the schema is not installed
    install(conn) -> [migrations applied]               # apexdb snapshot init
    take_snapshot(conn, retention=None) -> SnapshotResult; snapshot_cluster(cluster) -> ([...], notes)
    statement_changes(conn, since, until=None, member=None, limit=20) -> [dict]
    statement_series(conn, queryid, since, member=None) -> [dict]
    relation_growth(conn, kind, since, member=None, limit=50) -> [dict]   # kind: 'table' or 'index'
    store_tune_result(conn, result) -> run id | None; tune_results(conn, latest_only=True) -> [dict]

``member`` is None for the primary (the server holding the schema), or a replica's cluster member name.
Times are timezone-aware datetimes; durations people type are parsed by :func:`resolve_period`.
"""
from apexdb.ops.history.reading import (STATEMENT_KEYS, relation_growth, resolve_member, resolve_period,
                                        statement_changes, statement_series, snapshots)
from apexdb.ops.history.schema import (DEFAULT_SCHEMA, LATEST, HistoryState, history_schema, history_state, install,
                                       pending_migrations, require_history, retention_seconds)
from apexdb.ops.history.snapshot import PRIMARY, SnapshotResult, replica_refusal, snapshot_cluster, take_snapshot
from apexdb.ops.history.tune import store_tune_result, tune_results

__all__ = ["DEFAULT_SCHEMA", "LATEST", "PRIMARY", "STATEMENT_KEYS", "HistoryState", "SnapshotResult",
           "history_schema", "history_state", "install", "pending_migrations", "relation_growth", "replica_refusal",
           "require_history", "resolve_member", "resolve_period", "retention_seconds", "snapshot_cluster",
           "snapshots", "statement_changes", "statement_series", "store_tune_result", "take_snapshot",
           "tune_results"]
