"""Watching a CREATE INDEX / REINDEX from a second connection (pg_stat_progress_create_index).

The build's own connection is busy for the whole build, so a background thread polls
``progress_create_index.sql`` by the builder's backend pid and hands each sample to a
callback. Reusable for any command that builds indexes (create, reindex).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from apexdb.db.queries import fetch_one


@dataclass
class ProgressSample:
    pid: int
    command: str
    phase: str
    unit: str | None  # tuples, blocks or lockers: what done/total count
    done: int | None
    total: int | None
    elapsed_s: float
    eta_s: float | None
    row: dict  # the full row of progress_create_index.sql

    @property
    def fraction(self) -> float | None:
        if self.done is None or not self.total:
            return None
        return min(1.0, self.done / self.total)


def read_progress(conn, pid: int | None = None) -> list[dict]:
    """Rows of pg_stat_progress_create_index (all builds, or one backend's)."""
    from apexdb.db.queries import fetch

    return fetch(conn, "progress_create_index", {"pid": pid})


class ProgressWatcher:
    """Polls one backend's build progress every ``interval`` seconds until stopped."""

    def __init__(self, conn, pid: int, callback: Callable[[ProgressSample], None], interval: float = 0.5):
        self.conn, self.pid, self.callback, self.interval = conn, pid, callback, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="apexdb-progress", daemon=True)
        self._phase_started: tuple[str, float, int] | None = None  # (phase, time, done at start)
        self.last: ProgressSample | None = None

    def __enter__(self) -> "ProgressWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                row = fetch_one(self.conn, "progress_create_index", {"pid": self.pid})
            except Exception:  # the watcher must never break the build it watches
                return
            if row is not None:
                sample = self._sample(row)
                self.last = sample
                try:
                    self.callback(sample)
                except Exception:
                    pass
            self._stop.wait(self.interval)

    def _sample(self, row: dict) -> ProgressSample:
        """ETA from the rate within the current phase (phases count different things)."""
        phase, now = row["phase"] or "starting", time.monotonic()
        done, total = row["work_done"], row["work_total"]
        if self._phase_started is None or self._phase_started[0] != phase:
            self._phase_started = (phase, now, done or 0)
        eta = None
        _, since, done0 = self._phase_started
        if done is not None and total and done > done0 and now > since:
            rate = (done - done0) / (now - since)
            eta = max(0.0, (total - done) / rate)
        return ProgressSample(row["pid"], row["command"] or "", phase, row["work_unit"], done, total,
                              float(row["elapsed_s"] or 0.0), eta, row)
