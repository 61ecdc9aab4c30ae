"""Measuring one index setting for ``apexdb tune``: query vectors, their exact answers, and
recall@k with latency percentiles of the indexed answers.

Every query is the same statement ``search`` runs (``ORDER BY col <op> q LIMIT k``); the
exact answer is that statement with index scans off. A query sampled from the table
leaves its own row out of both answers, or it would find itself and inflate recall.
All of it runs in READ ONLY transactions; settings are ``SET LOCAL``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from apexdb.db.connection import read_only, set_local
from apexdb.errors import BadInput
from apexdb.ops.search_filters import Filter
from apexdb.ops.search_query import DISTANCE, ROW_ID, build_search, id_expression
from apexdb.ops.search_recall import recall
from apexdb.ops.search_target import SearchTarget
from apexdb.ops.search_vector import load_query_file, vector_text

# Above this many rows, sampling reads a random share of pages instead of sorting every id.
TABLESAMPLE_ROWS = 1_000_000
# Untimed queries run first under each setting, so the first timed ones are not paying for cold caches.
WARMUP_QUERIES = 10

Tick = Callable[[], None]


@dataclass
class QuerySet:
    vectors: list[str]  # pgvector text, ready to bind
    exclude: list[Any]  # the row each query came from (left out of its answers), or None
    source: str  # "sampled" or the file name

    def __len__(self) -> int:
        return len(self.vectors)

    def subset(self, keep: list[int]) -> "QuerySet":
        return QuerySet([self.vectors[i] for i in keep], [self.exclude[i] for i in keep], self.source)


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
        import statistics

        values = [self.recalls[i] for i in indices if self.recalls[i] is not None]
        if not values:
            return None
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return statistics.fmean(values) - z * spread / len(values) ** 0.5

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


def sample_queries(conn, target: SearchTarget, n: int, seed: int) -> QuerySet:
    """``n`` rows' vectors, picked by a seeded hash of their id (repeatable, no table writes)."""
    from psycopg import sql

    col, table, rid = sql.Identifier(target.column.column), sql.Identifier(*target.table.ident), id_expression(target)
    sample = sql.SQL("")
    if target.table.estimated_rows > TABLESAMPLE_ROWS:
        share = min(100.0, 100.0 * 20 * n / target.table.estimated_rows)
        sample = sql.SQL(" TABLESAMPLE BERNOULLI ({}) REPEATABLE ({})").format(sql.Literal(share), sql.Literal(seed))
    pick = sql.SQL("SELECT {rid} FROM {table}{sample} WHERE {col} IS NOT NULL "
                   "ORDER BY md5({rid}::text || %(seed)s) LIMIT %(n)s").format(
        rid=rid, table=table, sample=sample, col=col)
    fetch = sql.SQL("SELECT {rid} AS rid, {col}::text AS vec FROM {table} WHERE {rid} = ANY(%(ids)s) "
                    "ORDER BY md5({rid}::text || %(seed)s)").format(rid=rid, col=col, table=table)
    with read_only(conn):
        ids = [r[0] for r in conn.execute(pick, {"seed": str(seed), "n": n})]
        rows = conn.execute(fetch, {"ids": ids, "seed": str(seed)}).fetchall() if ids else []
    if len(rows) < 2:
        raise BadInput(f"{target.table.display}.{target.column.column} has {len(rows)} non-NULL vectors; "
                       f"tuning needs at least 2")
    return QuerySet([r[1] for r in rows], [r[0] for r in rows], "sampled")


def file_queries(path: Path, target: SearchTarget) -> QuerySet:
    vectors = load_query_file(path, target.column.dims, target.column.column)
    return QuerySet([vector_text(v) for v in vectors], [None] * len(vectors), str(path))


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
