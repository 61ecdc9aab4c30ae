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

from apexdb.db.connection import set_local
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
    queries = (file_queries(req.queries_file, target) if req.queries_file is not None
               else sample_queries(conn, target, req.queries, req.seed))
    if len(queries) < MIN_QUERIES:
        where = (f"{req.queries_file} holds" if req.queries_file is not None
                 else f"{col} has")
        raise BadInput(f"tuning needs at least {MIN_QUERIES} query vectors (half to choose on, half to check); "
                       f"{where} {len(queries)}")
    work = Workload(target, req.k, filters, queries)
    _check_index_used(conn, work, {parameter: str(floor)})
    notes: list[str] = []

    bar.update(description="exact answers", completed=0, total=len(queries), detail="index scans off")
    done = exact_answers(conn, work, out_of_time=out_of_time, tick=bar.advance)
    if done < len(queries):
        if done < MIN_QUERIES:
            raise BadInput(f"--budget {budget:g}s ran out after {done} exact answers; give more time or "
                           f"fewer --queries")
        notes.append(f"the budget allowed exact answers for {done} of {len(queries)} queries")
        work.queries = queries.subset(list(range(done)))
    order = list(range(len(work.queries)))
    random.Random(req.seed).shuffle(order)
    fit, heldout = sorted(order[: (len(order) + 1) // 2]), sorted(order[(len(order) + 1) // 2:])

    trials: dict[tuple, Trial] = {}

    def evaluate(family: str, extra: dict[str, str], value: int, force: bool = False) -> Trial:
        key = (family, value)
        if key not in trials:
            if trials and out_of_time() and not force:
                raise _OutOfTime()
            settings = {parameter: str(value), **extra}
            verdict = _verdict(conn, work, settings)
            if not verdict.index_used:
                nan = float("nan")
                trials[key] = Trial(value, settings, family, None, None, None, nan, nan, nan, index_used=False)
                raise _LeavesIndex(trials[key], verdict.reason)
            bar.update(description=f"{parameter.split('.')[1]} {value}" + (f" ({family})" if extra else ""),
                       completed=0, total=len(work.queries), detail=f"setting {len(trials) + 1}")
            m = measure(conn, work, _as_measured(settings, work), tick=bar.advance)
            trials[key] = Trial(value, settings, family, m.recall_over(fit),
                                m.recall_lower_bound(fit, CONFIDENCE_Z), m.recall_over(heldout),
                                m.percentile(50), m.percentile(95), m.percentile(99))
        return trials[key]

    budget_reached = False
    try:
        for family, extra in _families(conn, method, bool(filters), target.table.estimated_rows):
            try:
                found = doubling_then_bisection(lambda v: evaluate(family, extra, v).fit_lower, start=floor,
                                                maximum=ceiling, target=req.target_recall, out_of_time=out_of_time)
            except _LeavesIndex as left:
                found = None
                note = (f"at {parameter} {left.trial.value} the planner stops using {index.name}, so larger "
                        f"values were not measured: {left.reason}")
                if note not in notes:
                    notes.append(note)
            if found is not None and family != "plain":
                break  # a filtered search reached the target; stronger families would only cost more
    except _OutOfTime:
        budget_reached = True
    default_value, default_source = _current(conn, parameter)
    try:  # always shown beside the recommendation, budget or not
        default = evaluate("plain", {}, default_value, force=True)
    except _LeavesIndex as left:
        default = left.trial
    budget_reached = budget_reached or out_of_time()
    if budget_reached:
        notes.append(f"the --budget of {budget:g}s was reached: the sweep stopped early")

    candidates = [Candidate(key, t.value, t.fit_lower, t.p50_ms) for key, t in trials.items() if t.index_used]
    allowed = (lambda v: v >= req.k) if method == "hnsw" else (lambda v: v < ceiling + 1)
    best = choose(candidates, req.target_recall, allowed)
    recommended = trials[best.key] if best else None
    if recommended is None:
        notes.append(_no_recommendation(trials, req, parameter, method, bool(filters)))
    elif recommended.heldout_recall is not None and recommended.heldout_recall < req.target_recall:
        notes.append(f"on the held-out queries the recommended setting reached {recommended.heldout_recall:.3f}, "
                     f"under the target: allow for that, or rerun with more --queries")
    families = list(dict.fromkeys(t.family for t in trials.values()))  # in the order they were swept
    ordered = sorted(trials.values(), key=lambda t: (families.index(t.family), t.value))
    return TuneResult(target.table.display, target.column.column, index.name, method, parameter, req.k,
                      req.target_recall, recommended, default, default_source, ordered, len(work.queries),
                      len(fit), len(heldout), work.queries.source, time.monotonic() - started, budget,
                      budget_reached, list(req.filters), notes)


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


def apply_settings(conn, settings: dict[str, str], scope: str) -> list[str]:
    """``ALTER DATABASE|ROLE ... SET`` each setting (new sessions pick them up); the statements run."""
    from psycopg import sql

    if scope not in ("database", "role"):
        raise BadInput(f"--apply must be database or role (got {scope!r})")
    owner = "current_database()" if scope == "database" else "current_user"
    name = conn.execute(f"SELECT {owner}").fetchone()[0]
    done = []
    with conn.transaction():
        set_local(conn, lock_timeout="5s")
        for setting, value in settings.items():
            statement = sql.SQL("ALTER {} {} SET {} = {}").format(
                sql.SQL(scope.upper()), sql.Identifier(name), sql.SQL(setting), sql.Literal(value))
            conn.execute(statement)
            done.append(statement.as_string(conn))
    return done


def _label(family: str) -> str:
    return "without iterative scan" if family == "plain" else family
