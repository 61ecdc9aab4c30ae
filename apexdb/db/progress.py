"""The one watcher of the server's progress views (``pg_stat_progress_*``).

Long work blocks the connection that runs it, so its progress is read on a second
connection, by the worker's backend pid, from the view the server fills for that kind of
work. Each row is read into a :class:`ProgressSample`: the phase, what the phase counts
(``unit``), ``done`` of ``total``, a one-line ``detail`` and an ETA from the rate within
the current phase (phases count different things, so the rate restarts with each).

| kind           | view                              | registry query        | runs                           |
| -------------- | --------------------------------- | --------------------- | ------------------------------ |
| ``create_index`` | pg_stat_progress_create_index   | progress_create_index | CREATE INDEX, REINDEX; pgvector's HNSW/IVFFlat phases ("building index: loading tuples", "performing k-means", "assigning tuples") |
| ``vacuum``     | pg_stat_progress_vacuum           | progress_vacuum(_17)  | VACUUM                         |
| ``analyze``    | pg_stat_progress_analyze          | progress_analyze      | ANALYZE, VACUUM (ANALYZE)      |
| ``cluster``    | pg_stat_progress_cluster          | progress_cluster      | CLUSTER, VACUUM FULL           |
| ``basebackup`` | pg_stat_progress_basebackup       | progress_basebackup   | a base backup (pg_basebackup), on its WAL sender |

Every row also says who runs the work and since when (role, application, client,
``elapsed_s`` since the statement began) and, for work on a relation of the connected
database, its schema-qualified ``relation`` (the index being built, for CREATE INDEX).

:class:`ProgressWatcher` polls one backend in a background thread while a block runs
(``index create``, ``vacuum``, ``analyze``, ``reindex``, ``maintain``);
:func:`read_progress` takes one look at every session's work of a kind, and
:func:`read_all_progress` at every kind, for watching work other sessions run
(``stats progress``); a :class:`PhaseClock` carried from one look to the next gives
their ETAs. The watcher is best effort: a failed poll stops it, never the work.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from apexdb.db.queries import fetch

QUERIES = {"create_index": "progress_create_index", "vacuum": "progress_vacuum",
           "analyze": "progress_analyze", "cluster": "progress_cluster", "basebackup": "progress_basebackup"}


@dataclass
class ProgressSample:
    kind: str  # a key of QUERIES
    pid: int
    phase: str
    unit: str | None  # what done/total count in this phase: tuples, blocks, lockers, heap blocks, bytes...
    done: int | None
    total: int | None
    detail: str  # one line for a bar or a log
    elapsed_s: float | None  # since the statement started (for a base backup: since the WAL sender started)
    eta_s: float | None
    row: dict[str, Any]  # the registry query's row, as it is

    @property
    def fraction(self) -> float | None:
        if self.done is None or not self.total:
            return None
        return min(1.0, self.done / self.total)


def _counts(kind: str, row: dict[str, Any]) -> tuple[str | None, int | None, int | None, str]:
    """(unit, done, total, detail) of one row of ``kind``'s view."""
    phase = str(row.get("phase") or "starting")
    if kind == "vacuum":
        detail = f"{phase}; heap blocks vacuumed {row['heap_blks_vacuumed']}; index passes {row['index_vacuum_count']}"
        if row.get("indexes_total"):
            detail += f"; indexes {row['indexes_processed']}/{row['indexes_total']}"
        return "heap blocks", row["heap_blks_scanned"], row["heap_blks_total"] or None, detail
    if kind == "cluster":
        detail = f"{phase}; tuples written {row['heap_tuples_written']}"
        return "heap blocks", row["heap_blks_scanned"], row["heap_blks_total"] or None, detail
    if kind == "analyze":
        detail = phase
        if row.get("child_tables_total"):
            detail += f"; child tables {row['child_tables_done']}/{row['child_tables_total']}"
        if row.get("ext_stats_total"):
            detail += f"; extended statistics {row['ext_stats_computed']}/{row['ext_stats_total']}"
        return "sample blocks", row["sample_blks_scanned"], row["sample_blks_total"] or None, detail
    if kind == "basebackup":
        detail = phase
        if row.get("tablespaces_total"):
            detail += f"; tablespaces {row['tablespaces_streamed']}/{row['tablespaces_total']}"
        return "bytes", row["backup_streamed"], row["backup_total"] or None, detail  # no total: --no-estimate-size
    detail = phase
    if row.get("current_locker_pid"):
        detail += f" (waiting for pid {row['current_locker_pid']})"
    if row.get("work_unit"):
        detail += f"; {row['work_unit']}"
    if row.get("tuples_done") and not row.get("tuples_total"):  # pgvector HNSW: tuples put in the graph so far
        detail += f"; {row['tuples_done']} tuples loaded"
    return row.get("work_unit"), row.get("work_done"), row.get("work_total") or None, detail


def sample_of(kind: str, row: dict[str, Any], eta_s: float | None = None) -> ProgressSample:
    """A row of ``kind``'s registry query, read."""
    unit, done, total, detail = _counts(kind, row)
    elapsed = row.get("elapsed_s")
    return ProgressSample(kind, row["pid"], str(row.get("phase") or "starting"), unit, done, total, detail,
                          float(elapsed) if elapsed is not None else None, eta_s, row)


def read_progress(conn, kind: str, pid: int | None = None) -> list[ProgressSample]:
    """Every running ``kind`` of work (or backend ``pid``'s) as samples, without ETA (one look)."""
    if kind not in QUERIES:
        raise ValueError(f"unknown progress kind {kind!r} (one of {', '.join(QUERIES)})")
    return [sample_of(kind, row) for row in fetch(conn, QUERIES[kind], {"pid": pid})]


def read_all_progress(conn, clock: "PhaseClock | None" = None) -> list[ProgressSample]:
    """Every running piece of work of every kind on the server (one look), oldest first; with
    ``clock`` (kept from one look to the next) each sample gets its ETA."""
    samples = [sample for kind in QUERIES for sample in read_progress(conn, kind)]
    samples.sort(key=lambda s: (-(s.elapsed_s or 0.0), s.pid, s.kind))
    if clock is not None:
        for sample in samples:
            sample.eta_s = clock.eta(sample)
        clock.forget_except(samples)
    return samples


class PhaseClock:
    """ETAs from the rate seen since each piece of work's current phase began.

    Phases count different things (blocks, then tuples), so the rate restarts with each;
    the first look at a phase has no ETA. Work is told apart by (kind, pid)."""

    def __init__(self, now: Callable[[], float] = time.monotonic):
        self._now = now
        self._phases: dict[tuple[str, int], tuple[str, float, int]] = {}  # -> (phase, first seen, done then)

    def eta(self, sample: ProgressSample) -> float | None:
        """Seconds left for ``sample``'s phase at the rate seen so far in it."""
        now, key = self._now(), (sample.kind, sample.pid)
        seen = self._phases.get(key)
        if seen is None or seen[0] != sample.phase:
            self._phases[key] = seen = (sample.phase, now, sample.done or 0)
        _, since, done0 = seen
        if sample.done is None or not sample.total or sample.done <= done0 or now <= since:
            return None
        rate = (sample.done - done0) / (now - since)
        return max(0.0, (sample.total - sample.done) / rate)

    def forget_except(self, samples: list[ProgressSample]) -> None:
        """Drop the work that has ended (a pid is reused by later, unrelated work)."""
        live = {(s.kind, s.pid) for s in samples}
        for key in [k for k in self._phases if k not in live]:
            del self._phases[key]


class ProgressWatcher:
    """``with ProgressWatcher(kind="vacuum", pid=..., conn=...):`` polls while the block runs.

    Give ``conn`` (a connection of its own, idle while the block runs) or ``open_connection``
    (called in the thread, once, when the first poll is due; the caller closes what it
    returns). With neither, nothing is watched. ``on_sample`` gets each sample; ``last`` and
    ``samples`` say what was seen (the row vanishes when the work ends).
    """

    def __init__(self, *, kind: str, pid: int, conn=None, open_connection: Callable[[], Any] | None = None,
                 on_sample: Callable[[ProgressSample], None] | None = None, interval: float = 0.5):
        if kind not in QUERIES:
            raise ValueError(f"unknown progress kind {kind!r} (one of {', '.join(QUERIES)})")
        self.kind, self.pid, self.interval = kind, pid, interval
        self._conn, self._open, self._on_sample = conn, open_connection, on_sample
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._clock = PhaseClock()
        self.last: ProgressSample | None = None
        self.samples = 0

    def __enter__(self) -> "ProgressWatcher":
        if self._conn is not None or self._open is not None:
            self._thread = threading.Thread(target=self._run, name="apexdb-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        query = QUERIES[self.kind]
        try:
            if self._conn is None:
                if self._stop.wait(self.interval):
                    return  # over before the first poll: no connection opened for nothing
                self._conn = self._open()
            while not self._stop.is_set():
                rows = fetch(self._conn, query, {"pid": self.pid})
                if rows:
                    self._seen(rows[0])
                self._stop.wait(self.interval)
        except Exception:  # progress is best effort: the work itself goes on
            return

    def _seen(self, row: dict[str, Any]) -> None:
        sample = sample_of(self.kind, row)
        sample.eta_s = self._clock.eta(sample)
        self.last, self.samples = sample, self.samples + 1
        if self._on_sample is not None:
            try:
                self._on_sample(sample)
            except Exception:  # a broken display must not stop the sampling
                pass
