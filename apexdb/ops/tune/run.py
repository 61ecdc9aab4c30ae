"""``apexdb tune``: the ef_search (HNSW) or probes (IVFFlat) that meets a recall target at
the least latency, measured with queries that are not nodes of the index they search.

The queries come from a file, from logged queries in the database, or (the default) from
rows held out of a scratch copy of the table that gets the same index
(:mod:`apexdb.ops.tune.sources`, :mod:`apexdb.ops.tune.scratch`); ``--fast`` measures rows
of the live index instead and is labelled optimistic. Queries are split in two: the
setting is chosen on one half and its recall reported, with an interval, on the other, so
the recommendation is not fitted to its own sample. The walk over the setting is in
:mod:`apexdb.ops.tune.strategy`, the measuring in :mod:`apexdb.ops.tune.measure`, the view
in :mod:`apexdb.render.tune`.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexdb.db.queries import fetch, fetch_one
from apexdb.errors import BadInput
from apexdb.ops.search.explain import explain_search
from apexdb.ops.search.filters import parse_filters
from apexdb.ops.search.query import check_k
from apexdb.ops.search.target import resolve_search_target
from apexdb.ops.tune import scratch, sources
from apexdb.ops.tune.measure import Workload, exact_answers, measure
from apexdb.ops.tune.strategy import Candidate, choose, doubling_then_bisection

MIN_QUERIES = 10
DEFAULT_SAMPLE = 400
# At the target, the half the choice is made on must expect at least this many missed
# neighbours (recall's normal approximation holds, as n*p >= 10 does for a proportion).
EXPECTED_MISSES = 10
# Two-sided 95% interval of the recall reported on the queries the choice did not see.
INTERVAL_Z = 1.96
# Most rows --queries-sql may return.
MAX_SQL_QUERIES = 100_000
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


@dataclass(kw_only=True)
class TuneRequest:
    table: str
    column: str | None = None
    target_recall: float = 0.95
    k: int = 10
    sample: int | None = None  # rows held out (default method) or sampled (--fast); None: DEFAULT_SAMPLE
    queries_file: Path | None = None
    queries_sql: str | None = None
    fast: bool = False
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
    heldout_interval: tuple[float, float] | None
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
    query_source: str  # file, sql, heldout or rows (see sources.LABELS)
    query_label: str
    query_origin: str
    optimistic: bool
    elapsed_s: float
    budget_s: float
    budget_reached: bool
    filters: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scratch: dict | None = None  # the default method's copy: its estimate and what it took


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
    given = [name for name, on in (("--queries", req.queries_file is not None),
                                   ("--queries-sql", req.queries_sql is not None), ("--fast", req.fast)) if on]
    if len(given) > 1:
        raise BadInput(f"choose one query source, not {' and '.join(given)}")
    if req.sample is not None and req.sample < MIN_QUERIES:
        raise BadInput(f"--sample must be at least {MIN_QUERIES}, so both halves have some (got {req.sample})")
    if req.sample is not None and (req.queries_file is not None or req.queries_sql is not None):
        raise BadInput("--sample sets how many rows are held out (or, with --fast, sampled); "
                       "with --queries or --queries-sql every query given is used")
    if req.budget_s is not None and req.budget_s <= 0:
        raise BadInput(f"--budget must be positive seconds (got {req.budget_s})")


def needed_queries(target_recall: float, k: int) -> int:
    """Queries (both halves) needed to judge ``target_recall``: each half must expect at least
    EXPECTED_MISSES missed neighbours at the target, or recall's interval means little."""
    if target_recall >= 1:
        return 2 * MIN_QUERIES
    return 2 * max(MIN_QUERIES, math.ceil(EXPECTED_MISSES / ((1 - target_recall) * k) - 1e-9))


def run_tune(conn, req: TuneRequest, progress=None, *, db_target=None, on_event=None) -> TuneResult:
    """Tune ``req``'s index. ``db_target`` (a db.connection.Target) opens the scratch copy's own
    connection for the default method; ``on_event`` hears what is about to happen (its cost)."""
    check_request(req)
    bar = progress or _Quiet()
    say = on_event or (lambda _msg: None)
    started = time.monotonic()
    budget = req.budget_s or DEFAULT_BUDGET_S
    out_of_time = lambda: time.monotonic() - started > budget  # noqa: E731
    target = resolve_search_target(conn, req.table, req.column)
    col = f"{target.table.display}.{target.column.column}"
    if target.index is None:
        raise BadInput(f"{col} has no HNSW or IVFFlat index to tune", hint=target.index_hint())
    fetch(conn, "load_vector_library")
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
    needed = needed_queries(req.target_recall, req.k)
    queries = _queries(conn, req, target, needed, col)
    shape = _Shape(parameter, method, floor, ceiling, filters)
    if queries.source != "heldout":
        sweep = _sweep(conn, conn, Workload(target, req.k, filters, queries), shape, req, bar, out_of_time, budget)
        return _result(target, index, req, sweep, queries, started, budget)
    if db_target is None:
        raise BadInput("the default method needs a connection target for its scratch copy")
    cost = _scratch_cost(conn, target, queries, budget)
    say(f"measuring with {len(queries)} {queries.label}: the scratch copy {cost.describe(method)}")

    def on_copy(done: int) -> None:
        bar.update(description="scratch copy", completed=min(done, cost.copy_bytes), total=cost.copy_bytes,
                   detail=f"{cost.rows:,} rows")

    def on_build(sample) -> None:
        bar.update(description=f"scratch {method} build", completed=round((sample.fraction or 0) * 1000),
                   total=1000, detail=getattr(sample, "phase", "") or "")

    copy_started = time.monotonic()
    remaining = max(60.0, budget - (time.monotonic() - started)) + 30
    with scratch.scratch_copy(conn, db_target, target, queries.ids, filters, cost.sizing,
                              statement_timeout_s=remaining, on_copy=on_copy,
                              on_build=on_build) as (wconn, copy_target):
        built_s = time.monotonic() - copy_started
        copied = copy_target.table.estimated_rows
        sweep = _sweep(conn, wconn, Workload(copy_target, req.k, filters, queries), shape, req, bar,
                       out_of_time, budget)
    result = _result(target, index, req, sweep, queries, started, budget)
    result.scratch = {"rows": copied, "held_out": cost.held_out, "estimated_s": round(cost.total_s, 1),
                      "estimated_build_s": round(cost.build_s, 1), "copy_and_build_s": round(built_s, 1),
                      "estimated_disk_bytes": cost.disk_bytes, "workers": cost.workers,
                      "maintenance_work_mem_bytes": cost.sizing.maintenance_work_mem_bytes}
    return result


@dataclass
class _Shape:
    parameter: str
    method: str
    floor: int
    ceiling: int
    filters: list


def _queries(conn, req: TuneRequest, target, needed: int, col: str):
    dims, column = target.column.dims, target.column.column
    if req.queries_file is not None:
        queries = sources.file_queries(req.queries_file, dims, column)
        have = f"{req.queries_file} holds {len(queries)}"
    elif req.queries_sql is not None:
        queries = sources.sql_queries(conn, req.queries_sql, dims, column, MAX_SQL_QUERIES)
        have = f"--queries-sql returned {len(queries)}"
    else:
        if req.sample is not None and req.sample < needed:
            raise BadInput(_too_few(req, needed, f"--sample asks for {req.sample}"))
        if not req.fast:
            scratch.check_writable(conn, target)
        wanted = max(req.sample or DEFAULT_SAMPLE, needed)
        queries = sources.sampled_rows(conn, target, wanted, req.seed, source="rows" if req.fast else "heldout")
        have = f"{col} has {len(queries)} non-NULL vectors"
    if len(queries) < needed:
        raise BadInput(_too_few(req, needed, have))
    return queries


def _too_few(req: TuneRequest, needed: int, have: str) -> str:
    return (f"judging recall@{req.k} against {req.target_recall:g} needs at least {needed} query vectors (half to "
            f"choose on, half to check, each half expecting {EXPECTED_MISSES} or more missed neighbours at the "
            f"target); {have}")


def _scratch_cost(conn, target, queries, budget: float):
    from types import SimpleNamespace

    from apexdb.ops.index.sizing import size_build

    rows = max(target.table.estimated_rows, target.index.table_rows, len(queries))
    plan = SimpleNamespace(method=target.index.method, rows=rows, key_type=scratch.key_type(target),
                           dims=target.column.dims, options=scratch.index_options(target.index))
    sizing = size_build(conn, plan)
    cost = scratch.estimate(target, rows, len(queries), len(queries), sizing.workers)
    cost.sizing = sizing
    if cost.total_s > budget:
        raise BadInput(f"the default method {cost.describe(target.index.method)}: over the --budget of "
                       f"{budget:g} s. Allow it with --budget {math.ceil(cost.total_s * 1.5)}, or measure real "
                       f"queries on the live index with --queries FILE or --queries-sql \"SELECT ...\" (no copy), "
                       f"or use --fast (optimistic: the queries are rows of the index)")
    return cost


def _sweep(conn, mconn, work: Workload, shape: _Shape, req: TuneRequest, bar, out_of_time, budget: float):
    """Exact answers and the walk over the setting, measured on ``mconn`` (the live connection,
    or the scratch copy's); the current default is read on ``conn``."""
    _check_index_used(mconn, work, {shape.parameter: str(shape.floor)})
    sweep = _Sweep(mconn, work, shape.parameter, bar, out_of_time, req.seed)
    sweep.exact_answers(budget)
    try:
        for family, extra in _families(conn, shape.method, bool(shape.filters), work.target.table.estimated_rows):
            found = sweep.walk(family, extra, shape.floor, shape.ceiling, req.target_recall)
            if found is not None and family != "plain":
                break  # a filtered search reached the target; stronger families would only cost more
    except _OutOfTime:
        sweep.budget_reached = True
    sweep.default_value, sweep.default_source = _current(conn, shape.parameter)
    sweep.default_trial = sweep.default(sweep.default_value)
    if sweep.budget_reached or out_of_time():
        sweep.budget_reached = True
        sweep.notes.append(f"the --budget of {budget:g}s was reached: the sweep stopped early")
    sweep.recommended = sweep.recommend(req.target_recall, (lambda v: v >= req.k) if shape.method == "hnsw"
                                        else (lambda v: v <= shape.ceiling))
    if sweep.recommended is None:
        sweep.notes.append(_no_recommendation(sweep.trials, req, shape.parameter, shape.method, bool(shape.filters)))
    elif (sweep.recommended.heldout_recall is not None
          and sweep.recommended.heldout_recall < req.target_recall):
        sweep.notes.append(f"on the queries the choice did not see, the recommended setting reached "
                           f"{sweep.recommended.heldout_recall:.3f}, under the target: allow for that, or rerun "
                           f"with more queries")
    if work.queries.optimistic:
        sweep.notes.append("optimistic (--fast): the queries are rows of the index, so real queries get lower "
                           "recall at the same setting; drop --fast to measure rows held out of a scratch copy")
    return sweep


def _result(target, index, req: TuneRequest, sweep: "_Sweep", queries, started: float, budget: float) -> TuneResult:
    return TuneResult(target.table.display, target.column.column, index.name, index.method, PARAMETER[index.method],
                      req.k, req.target_recall, sweep.recommended, sweep.default_trial, sweep.default_source,
                      sweep.ordered(), len(sweep.work.queries), len(sweep.fit), len(sweep.heldout), queries.source,
                      queries.label, queries.origin, queries.optimistic, time.monotonic() - started, budget,
                      sweep.budget_reached, list(req.filters), sweep.notes)


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
            self.trials[key] = Trial(value, settings, family, None, None, None, None, nan, nan, nan, index_used=False)
            raise _LeavesIndex(self.trials[key], verdict.reason)
        label = f"{self.parameter.split('.')[1]} {value}" + (f" ({family})" if extra else "")
        self.bar.update(description=label, completed=0, total=len(self.work.queries),
                        detail=f"setting {len(self.trials) + 1}")
        m = measure(self.conn, self.work, _as_measured(settings, self.work), tick=self.bar.advance)
        self.trials[key] = Trial(value, settings, family, m.recall_over(self.fit),
                                 m.recall_lower_bound(self.fit, CONFIDENCE_Z), m.recall_over(self.heldout),
                                 m.recall_interval(self.heldout, INTERVAL_Z), m.percentile(50), m.percentile(95), m.percentile(99))
        return self.trials[key]

    def walk(self, family: str, extra: dict[str, str], floor: int, ceiling: int, target: float) -> int | None:
        """Doubling then bisection over one family; the least passing value, or None. Where the
        planner leaves the index at a value, the walk goes on below it (measurements are cached)."""
        while ceiling >= floor:
            try:
                return doubling_then_bisection(lambda v: self.evaluate(family, extra, v).fit_lower, start=floor,
                                               maximum=ceiling, target=target, out_of_time=self.out_of_time)
            except _LeavesIndex as left:
                note = (f"at {self.parameter} {left.trial.value} the planner stops using "
                        f"{self.work.target.index.name}, so larger values were not measured: {left.reason}")
                if note not in self.notes:
                    self.notes.append(note)
                ceiling = left.trial.value - 1
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
