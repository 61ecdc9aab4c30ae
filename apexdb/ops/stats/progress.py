"""``stats progress``: every CREATE INDEX/REINDEX, VACUUM, ANALYZE, CLUSTER/VACUUM FULL and base backup
running on the server, read by the one progress engine (:mod:`apexdb.db.progress`), once or look
after look (``--watch``) until no work remains."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from apexdb.db.connection import read_only
from apexdb.db.progress import PhaseClock, ProgressSample, read_all_progress

# What each kind of work is called when its row does not say (create_index and cluster rows do).
COMMANDS = {"vacuum": "VACUUM", "analyze": "ANALYZE", "basebackup": "BASE BACKUP"}


@dataclass
class ProgressReport:
    work: list[dict[str, Any]]  # one row per running piece of work, oldest first
    taken_at: float  # time.time() of the look

    def as_json(self) -> dict[str, Any]:
        return {"work": self.work, "taken_at": self.taken_at}


def work_row(sample: ProgressSample) -> dict[str, Any]:
    """A sample as a row of ``stats progress`` (stable keys; JSON keeps the raw numbers)."""
    row = sample.row
    command = row.get("command") or COMMANDS.get(sample.kind, sample.kind)
    if sample.kind == "vacuum" and (row.get("query") or "").startswith("autovacuum:"):
        command = "autovacuum"
    relation = row.get("relation")
    if sample.kind == "create_index":
        relation = _index_being_built(row) or relation
    return {"pid": sample.pid, "kind": sample.kind, "command": command, "database": row.get("database"),
            "relation": relation, "table": row.get("table"), "phase": sample.phase, "unit": sample.unit, "done": sample.done,
            "total": sample.total, "fraction": sample.fraction, "elapsed_s": sample.elapsed_s, "eta_s": sample.eta_s,
            "role": row.get("role"), "application": row.get("application"), "client": row.get("client"),
            "wait_event_type": row.get("wait_event_type"), "wait_event": row.get("wait_event"),
            "detail": sample.detail, "query": row.get("query")}


def _index_being_built(row: dict[str, Any]) -> str | None:
    """The schema-qualified name of the index a CREATE INDEX builds: the server says it once the index is
    committed (REINDEX, CONCURRENTLY); a plain CREATE INDEX has it only in its statement (read with
    pglast), in its table's schema. None when neither says (an unnamed index)."""
    if row.get("index_oid") or not row.get("table_schema") or not row.get("query"):
        return None
    import pglast
    from pglast import ast

    from apexdb.sql import quote_ident

    try:
        statements = pglast.parse_sql(row["query"])
    except Exception:  # a statement pglast cannot read (or cut short by track_activity_query_size)
        return None
    for raw in statements:
        if isinstance(raw.stmt, ast.IndexStmt) and raw.stmt.idxname:
            return f"{quote_ident(row['table_schema'])}.{quote_ident(raw.stmt.idxname)}"
    return None


def look(conn, clock: PhaseClock | None = None) -> ProgressReport:
    """One look at every running piece of work (READ ONLY, with the usual timeouts)."""
    with read_only(conn):
        samples = read_all_progress(conn, clock)
    return ProgressReport([work_row(s) for s in samples], time.time())


def progress_report(conn, *, interval: float = 1.0) -> ProgressReport:
    """What runs now. When something does, a second look ``interval`` seconds later gives each piece of
    work the ETA of its current phase (from the rate between the looks; none when it did not move)."""
    clock = PhaseClock()
    first = look(conn, clock)
    if not first.work or interval <= 0:
        return first
    time.sleep(interval)
    return look(conn, clock)


def watch_progress(conn, *, interval: float = 2.0,
                   sleep: Callable[[float], None] = time.sleep) -> Iterator[ProgressReport]:
    """Look after look, ``interval`` seconds apart, until a look finds no work (that look included)."""
    clock = PhaseClock()
    while True:
        report = look(conn, clock)
        yield report
        if not report.work:
            return
        sleep(interval)
