"""``apexdb snapshot``: one snapshot of pg_stat_statements deltas, relation sizes and vector-index scans.

Everything is diffed on the server in a few INSERT ... SELECTs (``sql/history_store_*.sql``):
what a server reports is staged in the schema's unlogged stage tables, compared with the
member's counters at its previous snapshot (``statement_last``/``relation_last``), and only
what changed is stored, as one row of arrays per snapshot. A snapshot runs in one
transaction on the primary with statement_timeout and lock_timeout, serialised with any
other snapshot by a transaction advisory lock, retried by the one retry on a lock timeout.

A replica cannot be written to: its statistics are read on it (read-only) and stored on the
primary of its cluster, tagged with its member name, role and system identifier
(``snapshot --cluster NAME``). Sizes are the primary's (a replica's files are the same);
statements and vector-index scans are each member's own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apexdb.db.connection import read_only, set_local
from apexdb.db.queries import execute, fetch, fetch_one, query_text
from apexdb.errors import BadInput, NotEnabled
from apexdb.ops.history.schema import ident, require_history, retention_seconds

PRIMARY = "primary"  # the member name of the server that holds the schema
STATEMENT_COLUMNS = ("userid", "queryid", "calls", "total_ms", "rows", "blks_hit", "blks_read", "query")
RELATION_COLUMNS = ("relid", "kind", "schema_name", "name", "table_name", "method", "bytes", "scans")


@dataclass
class SnapshotResult:
    member: str
    role: str
    snapshot_id: int
    taken_at: datetime
    baseline: bool
    statements: int | None  # statements the server reported (None: pg_stat_statements unreadable)
    statements_changed: int
    relations: int
    relations_changed: int
    server_ms: float
    pruned: int
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def take_snapshot(conn, *, retention: str | None = None, target_name: str | None = None) -> SnapshotResult:
    """Snapshot the server ``conn`` is connected to (it must be the primary: a replica is refused
    with where to snapshot it instead)."""
    facts = fetch_one(conn, "cluster_member") or {}
    if facts.get("in_recovery"):
        raise BadInput(replica_refusal(target_name))
    retention_s = retention_seconds(retention)
    schema = require_history(conn).schema
    return _store(conn, schema, PRIMARY, "primary", facts.get("system_identifier"), None, retention_s)


def snapshot_cluster(cluster, *, retention: str | None = None) -> tuple[list[SnapshotResult], list[str]]:
    """Snapshot every reachable member of ``cluster``, all stored on its primary; notes for the others."""
    retention_s = retention_seconds(retention)
    primary = cluster.primary
    if primary is None:
        raise BadInput(f"cluster {cluster.name!r} has no reachable primary: snapshots are stored on the primary "
                       f"({', '.join(f'{m.name}: {m.role}' for m in cluster.members)})")
    schema = require_history(primary.conn).schema
    notes = list(cluster.notes)
    results = [_store(primary.conn, schema, PRIMARY, "primary", primary.facts.get("system_identifier"), None,
                      retention_s)]
    for member in cluster.members:
        if member is primary:
            continue
        if not member.reachable:
            notes.append(f"{member.name}: not snapshotted: {member.error}")
            continue
        if member.role != "replica":
            notes.append(f"{member.name}: not snapshotted: it is a primary too ({cluster.primary.name} is taken "
                         "as the primary)")
            continue
        results.append(_store(primary.conn, schema, member.name, "replica", member.facts.get("system_identifier"),
                              member.conn, retention_s))
    return results, notes


def replica_refusal(target_name: str | None) -> str:
    """Where to snapshot a replica instead: the cluster that names it, when the config has one."""
    from apexdb.config import load_config

    name = target_name or "this server"
    cfg = load_config()
    for cluster, entry in cfg.clusters.items():
        members = entry.get("members") if isinstance(entry, dict) else None
        if target_name and isinstance(members, list) and target_name in members:
            others = [m for m in members if m != target_name]
            return (f"{name} is a read-only replica: snapshot it with --cluster {cluster} to store its statistics "
                    f"on the primary ({', '.join(others) or 'none named'})")
    return (f"{name} is a read-only replica: snapshots are stored on the primary; name both in a [clusters.NAME] "
            "of apexdb.toml and run `apexdb snapshot --cluster NAME`")


def _store(conn, schema: str, member: str, role: str, system_identifier: str | None, source,
           retention_s: float) -> SnapshotResult:
    """One snapshot of ``source`` (None: the primary ``conn`` itself) stored on ``conn``."""
    from apexdb.config import load_config
    from apexdb.db.retry import retry_on_lock
    from apexdb.ops.migrate.safety import lock_key

    cfg = load_config()
    notes: list[str] = []
    h = ident(schema)
    pgss, reset_at, replica_rows = _read_source(source, schema, notes, conn)

    def attempt(_n: int) -> SnapshotResult:
        with conn.transaction():
            set_local(conn, statement_timeout=cfg.setting("statement_timeout"), lock_timeout=cfg.setting("lock_timeout"))
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key("snapshot", schema)])
            local_reset = reset_at
            if source is None and pgss is not None:
                local_reset = fetch_one(conn, "history_statements_reset", pgss_info=(pgss, "pg_stat_statements_info"))[
                    "stats_reset"]
            previous = fetch_one(conn, "history_previous_snapshot", {"member": member}, **h)
            begun = fetch_one(conn, "history_snapshot_begin", {
                "member": member, "role": role, "system_identifier": system_identifier,
                "baseline": previous is None, "statements_reset": local_reset}, **h)
            reset = pgss is not None and previous is not None and previous["statements_reset"] != local_reset
            execute(conn, "history_stage_clear", **h)
            _stage(conn, schema, source, pgss, replica_rows)
            params = {"member": member, "snapshot_id": begun["snapshot_id"], "baseline": begun["baseline"],
                      "reset": reset}
            # unreadable statements leave the member's counters alone (an empty stage would forget them all)
            statements = (fetch_one(conn, "history_store_statements", params, **h) if pgss is not None
                          else {"changed": 0, "statements": 0})
            relations = fetch_one(conn, "history_store_relations", params, **h)
            execute(conn, "history_stage_clear", **h)
            pruned = int(fetch_one(conn, "history_prune", {"retention_s": retention_s}, **h)["snapshots"])
            if pruned:
                execute(conn, "history_prune_texts", **h)
            end = fetch_one(conn, "history_snapshot_end", {
                "snapshot_id": begun["snapshot_id"], "statements_changed": statements["changed"],
                "relations_changed": relations["changed"]}, **h)
        if begun["baseline"]:
            notes.append(f"{member}: first snapshot: a baseline (the next one stores what changed since)")
        if reset:
            notes.append(f"{member}: pg_stat_statements was reset since the previous snapshot: statements count "
                         "from the reset")
        return SnapshotResult(member, role, begun["snapshot_id"], begun["taken_at"], begun["baseline"],
                              None if pgss is None else int(statements["statements"]),
                              int(statements["changed"]), int(relations["relations"]), int(relations["changed"]),
                              float(end["server_ms"]), pruned, notes)

    return retry_on_lock(attempt, retries=int(cfg.setting("ddl_retries")))


def _read_source(source, schema: str, notes: list[str], conn=None):
    """pg_stat_statements' schema on the server read (None: unreadable, noted) and, for a replica
    (``source``), its reset time and the rows read on it, read-only."""
    from apexdb.ops.stats import statements_access

    server = source if source is not None else conn
    with read_only(server):
        try:
            pgss = statements_access(server)["schema"]
        except NotEnabled as exc:
            pgss = None
            notes.append(f"statements not stored: {exc.message}")
        if source is None:
            return pgss, None, None
        reset_at = None
        statements: list[dict] = []
        if pgss is not None:
            reset_at = fetch_one(source, "history_statements_reset",
                                 pgss_info=(pgss, "pg_stat_statements_info"))["stats_reset"]
            statements = fetch(source, "history_read_statements", pgss=(pgss, "pg_stat_statements"))
        relations = fetch(source, "history_read_relations", {"with_sizes": False, "history_schema": schema})
    return pgss, reset_at, (statements, relations)


def _stage(conn, schema: str, source, pgss: str | None, replica_rows) -> None:
    """Fill the stage tables: on the server from its own views, or with a replica's rows (COPY)."""
    from psycopg import sql

    def into(table: str, columns: tuple[str, ...]):
        return sql.SQL("INSERT INTO {}.{} ({}) ").format(sql.Identifier(schema), sql.Identifier(table),
                                                        sql.SQL(", ").join(map(sql.Identifier, columns)))

    if source is None:
        if pgss is not None:
            conn.execute(into("stage_statements", STATEMENT_COLUMNS)
                         + query_text(conn, "history_read_statements", pgss=(pgss, "pg_stat_statements")))
        conn.execute(into("stage_relations", RELATION_COLUMNS)
                     + sql.SQL(query_text(conn, "history_read_relations")),
                     {"with_sizes": True, "history_schema": schema})
        return
    statements, relations = replica_rows
    for table, columns, rows in (("stage_statements", STATEMENT_COLUMNS, statements),
                                 ("stage_relations", RELATION_COLUMNS, relations)):
        copy = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(sql.Identifier(schema), sql.Identifier(table),
                                                           sql.SQL(", ").join(map(sql.Identifier, columns)))
        with conn.cursor() as cur, cur.copy(copy) as sink:
            for row in rows:
                sink.write_row([row[c] for c in columns])
