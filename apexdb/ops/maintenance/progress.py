"""Live progress of a maintenance statement, read on a second connection.

The statement runs on the maintenance connection and blocks it, so a background
thread polls the server's progress view for that connection's backend pid:
``pg_stat_progress_vacuum`` (VACUUM, version-gated column names),
``pg_stat_progress_cluster`` (VACUUM FULL) and ``pg_stat_progress_create_index``
(REINDEX). The last row seen is kept, because the row vanishes when the work ends.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from apexdb.db.queries import fetch_one

# what runs -> the registry query that reports its progress
PROGRESS_QUERIES = {
    "vacuum": "progress_vacuum",
    "vacuum_full": "maint_progress_cluster",
    "reindex": "progress_create_index",
}

ProgressCallback = Callable[[str, dict[str, Any]], None]


def describe_progress(kind: str, row: dict[str, Any]) -> tuple[int | None, int | None, str]:
    """(done, total, one-line detail) of a progress row, for a bar or a log line."""
    if kind == "vacuum":
        detail = f"{row['phase']}; heap blocks vacuumed {row['heap_blks_vacuumed']}"
        detail += f"; index passes {row['index_vacuum_count']}"
        if row.get("indexes_total"):
            detail += f"; indexes {row['indexes_processed']}/{row['indexes_total']}"
        return row["heap_blks_scanned"], row["heap_blks_total"] or None, detail
    if kind == "vacuum_full":
        detail = f"{row['phase']}; tuples written {row['heap_tuples_written']}"
        return row["heap_blks_scanned"], row["heap_blks_total"] or None, detail
    detail = str(row["phase"])
    if row.get("current_locker_pid"):
        detail += f" (waiting for pid {row['current_locker_pid']})"
    if row.get("work_unit"):
        detail += f"; {row['work_unit']}"
    return row.get("work_done"), row.get("work_total") or None, detail


class ProgressWatcher:
    """Polls the progress view for ``pid`` every ``interval`` seconds while the block runs."""

    def __init__(self, open_connection: Callable[[], Any] | None, pid: int, kind: str,
                 on_progress: ProgressCallback | None, label: str, interval: float = 0.5):
        self._open, self.pid, self.kind = open_connection, pid, kind
        self._callback, self.label, self.interval = on_progress, label, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn = None
        self.last: dict[str, Any] | None = None
        self.samples = 0

    def __enter__(self) -> "ProgressWatcher":
        if self._open is not None:
            self._thread = threading.Thread(target=self._run, name="apexdb-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            if self._conn is None:
                self._conn = self._open()
            query = PROGRESS_QUERIES[self.kind]
            while not self._stop.wait(self.interval):
                row = fetch_one(self._conn, query, {"pid": self.pid})
                if row is None:
                    continue
                self.last, self.samples = row, self.samples + 1
                if self._callback is not None:
                    self._callback(self.label, {"kind": self.kind, **row})
        except Exception:  # progress is best effort: the work itself goes on
            return
