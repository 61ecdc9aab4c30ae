"""Measuring one index setting for ``apexdb tune``: the exact answers of the query vectors,
and recall@k with latency percentiles of the indexed answers.

Every query is the same statement ``search`` runs (``ORDER BY col <op> q LIMIT k``); the
exact answer is that statement with index scans off. A query that is a row of the table
(``--fast``) leaves its own row out of both answers. All of it runs in READ ONLY
transactions (savepoints, inside the scratch copy's transaction) that are rolled back, so
every ``SET LOCAL`` ends with its measurement. The query vectors come from
:mod:`apexdb.ops.tune.sources`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from apexdb.db.connection import read_only, set_local
from apexdb.ops.search.filters import Filter
from apexdb.ops.search.query import DISTANCE, ROW_ID, build_search, id_expression
from apexdb.ops.search.recall import recall
from apexdb.ops.search.target import SearchTarget
from apexdb.ops.tune.sources import QuerySet

# Untimed queries run first under each setting, so the first timed ones are not paying for cold caches.
WARMUP_QUERIES = 10

Tick = Callable[[], None]


@dataclass
class Measurement:
    settings: dict[str, str]
    recalls: list[float | None]  # per query; None when the exact answer is empty (a filter left nothing)
    latencies_ms: list[float]  # per query

    def recall_over(self, indices: list[int]) -> float | None:
        values = [self.recalls[i] for i in indices if self.recalls[i] is not None]
        return sum(values) / len(values) if values else None

    def recall_lower_bound(self, indices: list[int], z: float) -> float | None:
        """Mean recall minus ``z`` standard errors: what the mean is unlikely to be below on
        other queries like these (per-query recall varies a lot on a weak graph)."""
        stats = self._mean_se(indices)
        return None if stats is None else stats[0] - z * stats[1]

    def recall_interval(self, indices: list[int], z: float) -> tuple[float, float] | None:
        """Mean recall plus and minus ``z`` standard errors, clipped to [0, 1]."""
        stats = self._mean_se(indices)
        if stats is None:
            return None
        mean, se = stats
        return max(0.0, mean - z * se), min(1.0, mean + z * se)

    def _mean_se(self, indices: list[int]) -> tuple[float, float] | None:
        import statistics

        values = [self.recalls[i] for i in indices if self.recalls[i] is not None]
        if not values:
            return None
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return statistics.fmean(values), spread / len(values) ** 0.5

    def percentile(self, q: float) -> float:
        import numpy as np

        return float(np.percentile(self.latencies_ms, q))


@dataclass
class Workload:
    """What every measurement shares: the target, the statement, the queries, their exact answers."""

    target: SearchTarget
    k: int
    filters: list[Filter]
    queries: QuerySet
    exact: list[list[tuple[Any, float]]] = field(default_factory=list)

    def statement(self):
        return build_search(self.target, k=self.k, filters=self.filters,
                            exclude=any(e is not None for e in self.queries.exclude), ids_only=True)


def exact_answers(conn, work: Workload, *, out_of_time: Callable[[], bool], tick: Tick) -> int:
    """Fill ``work.exact`` (index scans off), stopping early when out of time; how many were done."""
    statement = work.statement()
    work.exact = []
    with read_only(conn):
        set_local(conn, enable_indexscan="off")  # the same statement, answered by scan and sort
        for vector, exclude in zip(work.queries.vectors, work.queries.exclude):
            if work.exact and out_of_time():
                break
            work.exact.append(_answer(conn, statement, vector, exclude)[0])
            tick()
    return len(work.exact)


def measure(conn, work: Workload, settings: dict[str, str], *, tick: Tick) -> Measurement:
    """Recall and latency of every query under ``settings``, in one READ ONLY transaction."""
    statement = work.statement()
    recalls, latencies = [], []
    pairs = list(zip(work.queries.vectors, work.queries.exclude))
    with read_only(conn):
        set_local(conn, **settings)
        for vector, exclude in pairs[:WARMUP_QUERIES]:
            _answer(conn, statement, vector, exclude)
        for (vector, exclude), truth in zip(pairs, work.exact):
            found, ms = _answer(conn, statement, vector, exclude)
            recalls.append(recall(found, truth))
            latencies.append(ms)
            tick()
    return Measurement(dict(settings), recalls, latencies)


def _answer(conn, statement, vector: str, exclude) -> tuple[list[tuple[Any, float]], float]:
    params = dict(statement.params, q=vector)
    if exclude is not None:
        params["exclude"] = exclude
    with conn.cursor() as cur:
        started = time.perf_counter()
        cur.execute(statement.query, params)
        rows = cur.fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        names = [d.name for d in cur.description]
    rid, dist = names.index(ROW_ID), names.index(DISTANCE)
    return [(r[rid], float(r[dist])) for r in rows if r[dist] is not None], elapsed  # NULL vectors: no distance
