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
    return {"pid": sample.pid, "kind": sample.kind, "command": command, "database": row.get("database"),
            "relation": row.get("relation"), "phase": sample.phase, "unit": sample.unit, "done": sample.done,
            "total": sample.total, "fraction": sample.fraction, "elapsed_s": sample.elapsed_s, "eta_s": sample.eta_s,
            "role": row.get("role"), "application": row.get("application"), "client": row.get("client"),
            "wait_event_type": row.get("wait_event_type"), "wait_event": row.get("wait_event"),
            "detail": sample.detail, "query": row.get("query")}


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
