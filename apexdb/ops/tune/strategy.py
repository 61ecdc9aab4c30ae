"""How ``apexdb tune`` walks a setting: doubling, then bisection, then the choice.

Recall grows with ef_search (or probes) and so does latency, so the least setting that
meets the target is found by doubling from the floor until recall reaches the target,
then bisecting between the last miss and the first hit. That takes about log2 of the
range in measurements, where a grid would measure every step. Nothing here touches the
database: ``evaluate(value)`` measures and returns the recall on the queries the choice
is made on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# Bisection stops when the bracket is this narrow relative to its top: closer than that,
# latency differences drown in measurement noise.
RESOLUTION = 0.03
# Settings whose p50 latency is within this share of the fastest passing one count as
# equally fast; the smallest of them is recommended (latency is noisy, the setting is not).
LATENCY_TIE = 0.05


def doubling_then_bisection(evaluate: Callable[[int], float | None], *, start: int, maximum: int,
                            target: float, out_of_time: Callable[[], bool] = lambda: False,
                            resolution: float = RESOLUTION) -> int | None:
    """The least value in [start, maximum] (to within ``resolution``) whose recall meets ``target``;
    None when even the largest value tried misses it."""
    if start > maximum:
        raise ValueError(f"start {start} is above maximum {maximum}")
    miss, hit = None, None
    value = start
    while True:
        if _meets(evaluate(value), target):
            hit = value
            break
        miss = value
        if value >= maximum or out_of_time():
            return None
        value = min(value * 2, maximum)
    while miss is not None and hit - miss > max(1, int(hit * resolution)) and not out_of_time():
        middle = (miss + hit) // 2
        if _meets(evaluate(middle), target):
            hit = middle
        else:
            miss = middle
    return hit


def _meets(recall: float | None, target: float) -> bool:
    # No exact neighbours at all (a filter matched nothing): any setting is as good as another.
    return recall is None or recall >= target - 1e-12


@dataclass
class Candidate:
    key: tuple  # identifies the trial (family, value)
    value: int
    score: float | None  # the recall the choice is made on (fit recall, less a safety margin)
    p50_ms: float


def choose(candidates: list[Candidate], target: float, allowed: Callable[[int], bool]) -> Candidate | None:
    """The least-latency candidate whose score meets ``target``.

    Within one family of settings latency grows with the value, so its least passing value
    is its fastest; a measured p50 that says otherwise is noise (on a busy machine two
    neighbouring settings can differ twofold), so only the families' least passing values
    are compared by latency, ties (within LATENCY_TIE) going to the smaller value.
    """
    passing = [c for c in candidates if allowed(c.value) and _meets(c.score, target)]
    if not passing:
        return None
    heads: dict = {}
    for c in passing:
        family = c.key[0] if isinstance(c.key, tuple) else c.key
        if family not in heads or c.value < heads[family].value:
            heads[family] = c
    fastest = min(c.p50_ms for c in heads.values())
    near = [c for c in heads.values() if c.p50_ms <= fastest * (1 + LATENCY_TIE)]
    return min(near, key=lambda c: (c.value, c.p50_ms))
