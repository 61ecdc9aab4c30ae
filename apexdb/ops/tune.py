"""``apexdb tune``: the ef_search (HNSW) or probes (IVFFlat) that meets a recall target at
the least latency, measured on the table's own vectors.

Queries are split in two: the setting is chosen on one part and its recall reported on
the other, so the recommendation is not fitted to its own sample. The walk over the
setting is in :mod:`tune_strategy`, the measuring in :mod:`tune_measure`, the output in
:mod:`tune_report`.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexdb.db.queries import fetch, fetch_one
from apexdb.errors import BadInput
from apexdb.ops.search_explain import explain_search
from apexdb.ops.search_filters import parse_filters
from apexdb.ops.search_query import check_k
from apexdb.ops.search_target import resolve_search_target
from apexdb.ops.tune_measure import (Workload, exact_answers, file_queries, measure, sample_queries)
from apexdb.ops.tune_strategy import Candidate, choose, doubling_then_bisection

MIN_QUERIES = 10
# The choice is made on the fit queries' recall minus this many standard errors (one-sided 95%),
# so that the held-out (and the production) queries also meet the target, not just the sample it
# was fitted on: per-query recall is heavy-tailed, and with z = 1 a 100k-row run missed by 0.015.
CONFIDENCE_Z = 1.645
DEFAULT_BUDGET_S = 300.0
PARAMETER = {"hnsw": "hnsw.ef_search", "ivfflat": "ivfflat.probes"}
MAX_EF_SEARCH = 1000
# With a filter, HNSW's iterative scan stops after hnsw.max_scan_tuples; these multiples of its
# default are tried when iterative scan alone misses the target.
MAX_SCAN_TUPLES_STEPS = (4, 16)


@dataclass
class TuneRequest:
    table: str
    column: str | None = None
    target_recall: float = 0.95
    k: int = 10
    queries: int = 200
    queries_file: Path | None = None
    filters: list[str] = field(default_factory=list)
    budget_s: float | None = None
    seed: int = 0


@dataclass
class Trial:
    value: int
    settings: dict[str, str]  # everything SET LOCAL for this trial, the swept parameter included
    family: str  # "plain", "iterative scan", "iterative scan, max_scan_tuples 80000"
    fit_recall: float | None
    fit_lower: float | None  # fit_recall minus CONFIDENCE_Z standard errors: what the choice uses
    heldout_recall: float | None
    p50_ms: float
    p95_ms: float
    p99_ms: float
    index_used: bool = True  # False: under these settings the planner left the index (not measured)


@dataclass
class TuneResult:
    table: str
    column: str
    index: str
    method: str
    parameter: str
    k: int
    target_recall: float
    recommended: Trial | None
    default: Trial
    default_source: str
    trials: list[Trial]
    queries_total: int
    queries_fit: int
    queries_heldout: int
    query_source: str
    elapsed_s: float
    budget_s: float
    budget_reached: bool
    filters: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _OutOfTime(Exception):
    pass


class _LeavesIndex(Exception):
    """Under a trial's settings the planner stops using the index: larger values are moot."""

    def __init__(self, trial: "Trial", reason: str):
        super().__init__(reason)
        self.trial, self.reason = trial, reason


class _Quiet:
    def update(self, **_: Any) -> None: ...

    def advance(self, amount: float = 1) -> None: ...


def check_request(req: TuneRequest) -> None:
    if not 0 < req.target_recall <= 1:
        raise BadInput(f"--target-recall must be in (0, 1] (got {req.target_recall})")
    check_k(req.k)
    if req.queries_file is None and req.queries < MIN_QUERIES:
        raise BadInput(f"--queries must be at least {MIN_QUERIES}, so both halves have some (got {req.queries})")
    if req.budget_s is not None and req.budget_s <= 0:
        raise BadInput(f"--budget must be positive seconds (got {req.budget_s})")


def run_tune(conn, req: TuneRequest, progress=None) -> TuneResult:
    check_request(req)
    bar = progress or _Quiet()
    started = time.monotonic()
    budget = req.budget_s or DEFAULT_BUDGET_S
    out_of_time = lambda: time.monotonic() - started > budget  # noqa: E731
    target = resolve_search_target(conn, req.table, req.column)
    col = f"{target.table.display}.{target.column.column}"
    if target.index is None:
        raise BadInput(f"{col} has no HNSW or IVFFlat index to tune", hint=target.index_hint())
    fetch(conn, "settings_load_vector_library")
    index, method = target.index, target.index.method
    parameter = PARAMETER[method]
    if method == "hnsw":
        floor, ceiling = req.k, MAX_EF_SEARCH  # below k, an HNSW scan cannot even return k rows
    else:
        lists = int(index.options.get("lists", 100))
        if lists < 2:
            raise BadInput(f"{index.name} has {lists} list: there is no probes setting to tune")
        floor, ceiling = 1, lists - 1  # probes = lists makes the planner skip the index
    filters = parse_filters(req.filters, target.columns)
    work = _workload(conn, req, target, filters, col)
    _check_index_used(conn, work, {parameter: str(floor)})
    sweep = _Sweep(conn, work, parameter, bar, out_of_time, req.seed)
    sweep.exact_answers(budget)
    try:
        for family, extra in _families(conn, method, bool(filters), target.table.estimated_rows):
            found = sweep.walk(family, extra, floor, ceiling, req.target_recall)
            if found is not None and family != "plain":
                break  # a filtered search reached the target; stronger families would only cost more
    except _OutOfTime:
        sweep.budget_reached = True
    default_value, default_source = _current(conn, parameter)
    default = sweep.default(default_value)
    if sweep.budget_reached or out_of_time():
        sweep.budget_reached = True
        sweep.notes.append(f"the --budget of {budget:g}s was reached: the sweep stopped early")

    recommended = sweep.recommend(req.target_recall, (lambda v: v >= req.k) if method == "hnsw"
                                  else (lambda v: v <= ceiling))
    if recommended is None:
        sweep.notes.append(_no_recommendation(sweep.trials, req, parameter, method, bool(filters)))
    elif recommended.heldout_recall is not None and recommended.heldout_recall < req.target_recall:
        sweep.notes.append(f"on the held-out queries the recommended setting reached "
                           f"{recommended.heldout_recall:.3f}, under the target: allow for that, or rerun "
                           f"with more --queries")
    return TuneResult(target.table.display, target.column.column, index.name, method, parameter, req.k,
                      req.target_recall, recommended, default, default_source, sweep.ordered(),
                      len(work.queries), len(sweep.fit), len(sweep.heldout), work.queries.source,
                      time.monotonic() - started, budget, sweep.budget_reached, list(req.filters), sweep.notes)


def _workload(conn, req: TuneRequest, target, filters, col: str) -> Workload:
    queries = (file_queries(req.queries_file, target) if req.queries_file is not None
               else sample_queries(conn, target, req.queries, req.seed))
    if len(queries) < MIN_QUERIES:
        where = f"{req.queries_file} holds" if req.queries_file is not None else f"{col} has"
        raise BadInput(f"tuning needs at least {MIN_QUERIES} query vectors (half to choose on, half to check); "
                       f"{where} {len(queries)}")
    return Workload(target, req.k, filters, queries)


class _Sweep:
    """The trials of one tune run: exact answers, the held-out split, measuring each setting once."""

    def __init__(self, conn, work: Workload, parameter: str, bar, out_of_time, seed: int = 0):
        self.conn, self.work, self.parameter, self.bar, self.out_of_time = conn, work, parameter, bar, out_of_time
        self.seed = seed
        self.trials: dict[tuple, Trial] = {}
        self.notes: list[str] = []
        self.budget_reached = False
        self.fit: list[int] = []
        self.heldout: list[int] = []

    def exact_answers(self, budget: float) -> None:
        """Exact answers (as many as the budget allows, at least MIN_QUERIES), then the split."""
        work, queries = self.work, self.work.queries
        self.bar.update(description="exact answers", completed=0, total=len(queries), detail="index scans off")
        done = exact_answers(self.conn, work, out_of_time=self.out_of_time, tick=self.bar.advance)
        if done < len(queries):
            if done < MIN_QUERIES:
                raise BadInput(f"--budget {budget:g}s ran out after {done} exact answers; give more time or "
                               f"fewer --queries")
            self.notes.append(f"the budget allowed exact answers for {done} of {len(queries)} queries")
            work.queries = queries.subset(list(range(done)))
        order = list(range(len(work.queries)))
        random.Random(self.seed).shuffle(order)
        half = (len(order) + 1) // 2
        self.fit, self.heldout = sorted(order[:half]), sorted(order[half:])

    def evaluate(self, family: str, extra: dict[str, str], value: int, force: bool = False) -> Trial:
        """The trial of ``value`` in ``family``, measured the first time it is asked for."""
        key = (family, value)
        if key in self.trials:
            return self.trials[key]
        if self.trials and self.out_of_time() and not force:
            raise _OutOfTime()
        settings = {self.parameter: str(value), **extra}
        verdict = _verdict(self.conn, self.work, settings)
        if not verdict.index_used:
            nan = float("nan")
            self.trials[key] = Trial(value, settings, family, None, None, None, nan, nan, nan, index_used=False)
            raise _LeavesIndex(self.trials[key], verdict.reason)
        label = f"{self.parameter.split('.')[1]} {value}" + (f" ({family})" if extra else "")
        self.bar.update(description=label, completed=0, total=len(self.work.queries),
                        detail=f"setting {len(self.trials) + 1}")
        m = measure(self.conn, self.work, _as_measured(settings, self.work), tick=self.bar.advance)
        self.trials[key] = Trial(value, settings, family, m.recall_over(self.fit),
                                 m.recall_lower_bound(self.fit, CONFIDENCE_Z), m.recall_over(self.heldout),
                                 m.percentile(50), m.percentile(95), m.percentile(99))
        return self.trials[key]

    def walk(self, family: str, extra: dict[str, str], floor: int, ceiling: int, target: float) -> int | None:
        """Doubling then bisection over one family; the least passing value, or None."""
        try:
            return doubling_then_bisection(lambda v: self.evaluate(family, extra, v).fit_lower, start=floor,
                                           maximum=ceiling, target=target, out_of_time=self.out_of_time)
        except _LeavesIndex as left:
            note = (f"at {self.parameter} {left.trial.value} the planner stops using "
                    f"{self.work.target.index.name}, so larger values were not measured: {left.reason}")
            if note not in self.notes:
                self.notes.append(note)
            return None

    def default(self, value: int) -> Trial:
        """The current setting's trial: always shown beside the recommendation, budget or not."""
        try:
            return self.evaluate("plain", {}, value, force=True)
        except _LeavesIndex as left:
            return left.trial

    def recommend(self, target: float, allowed) -> Trial | None:
        candidates = [Candidate(key, t.value, t.fit_lower, t.p50_ms) for key, t in self.trials.items()
                      if t.index_used]
        best = choose(candidates, target, allowed)
        return self.trials[best.key] if best else None

    def ordered(self) -> list[Trial]:
        families = list(dict.fromkeys(t.family for t in self.trials.values()))  # in the order they were swept
        return sorted(self.trials.values(), key=lambda t: (families.index(t.family), t.value))


def _as_measured(settings: dict[str, str], work: Workload) -> dict[str, str]:
    """A query sampled from the table finds its own row first, which then is left out: that
    row takes one of HNSW's ef_search candidate slots, which a query from outside the table
    would not spend. One more slot makes the sample behave like real queries (without it,
    ef_search = k could never return k rows and every figure would be pessimistic)."""
    ef = settings.get("hnsw.ef_search")
    if ef is None or not any(e is not None for e in work.queries.exclude):
        return settings
    return {**settings, "hnsw.ef_search": str(min(int(ef) + 1, MAX_EF_SEARCH))}


def _families(conn, method: str, filtered: bool, rows: int):
    """(label, extra settings) to sweep the parameter under, cheapest first."""
    yield "plain", {}
    if not filtered:
        return
    if method == "ivfflat":
        yield "iterative scan", {"ivfflat.iterative_scan": "relaxed_order"}
        return
    yield "iterative scan", {"hnsw.iterative_scan": "relaxed_order"}
    base = int(_current(conn, "hnsw.max_scan_tuples")[0] or 20000)
    covered = base
    for factor in MAX_SCAN_TUPLES_STEPS:
        if covered >= rows:  # the scan may already visit every row: a higher limit changes nothing
            return
        tuples = covered = base * factor
        yield f"iterative scan, max_scan_tuples {tuples}", {"hnsw.iterative_scan": "relaxed_order",
                                                           "hnsw.max_scan_tuples": str(tuples)}


def _current(conn, name: str) -> tuple[int, str]:
    row = fetch_one(conn, "tune_current_setting", {"name": name})
    if row is None:
        raise BadInput(f"this server has no setting {name} (is pgvector 0.8 installed?)")
    return int(row["setting"]), row["source"]


def _verdict(conn, work: Workload, settings: dict[str, str]):
    """Whether the planner uses the index for the first query under ``settings`` (EXPLAIN only)."""
    search = work.statement()
    search.params["q"] = work.queries.vectors[0]
    if work.queries.exclude[0] is not None:
        search.params["exclude"] = work.queries.exclude[0]
    return explain_search(conn, work.target, search, settings)


def _check_index_used(conn, work: Workload, settings: dict[str, str]) -> None:
    verdict = _verdict(conn, work, settings)
    if not verdict.index_used:
        raise BadInput(f"the planner does not use {work.target.index.name} for these queries, so its settings "
                       f"change nothing: {verdict.reason}")


def _no_recommendation(trials: dict, req: TuneRequest, parameter: str, method: str, filtered: bool) -> str:
    best = max((t for t in trials.values() if t.fit_recall is not None), key=lambda t: t.fit_recall, default=None)
    reached = f"; the best was {best.fit_recall:.3f} at {parameter} {best.value} ({_label(best.family)})" if best else ""
    advice = ("a selective filter may need a partial index or iterative scan with more max_scan_tuples"
              if filtered else
              "rebuild the index with a larger m / ef_construction" if method == "hnsw" else
              "rebuild the index with a better list count (rows/1000)")
    return f"no setting tried reaches recall {req.target_recall:g}{reached}: {advice}"


def _label(family: str) -> str:
    return "without iterative scan" if family == "plain" else family
