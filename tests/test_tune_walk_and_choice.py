"""tune's search strategy on its own: doubling then bisection, and the choice among trials."""
from __future__ import annotations

from apexdb.ops.tune.strategy import Candidate, choose, doubling_then_bisection


def recall_curve(threshold: int):
    """A monotone recall that reaches 0.95 exactly at ``threshold``; records what was asked."""
    asked = []

    def evaluate(value: int) -> float:
        asked.append(value)
        return 0.95 if value >= threshold else 0.5 + 0.4 * value / threshold

    return evaluate, asked


def test_doubles_then_bisects_to_the_least_passing_value():
    evaluate, asked = recall_curve(57)
    found = doubling_then_bisection(evaluate, start=10, maximum=1000, target=0.95, resolution=0)
    assert found == 57
    assert asked[:4] == [10, 20, 40, 80]  # doubling until the first hit
    assert all(40 < v < 80 for v in asked[4:])  # then only inside the bracket
    assert len(asked) <= 4 + 6  # log2(40) bisection steps, not a 40-point grid


def test_resolution_stops_bisection_early():
    evaluate, asked = recall_curve(700)
    found = doubling_then_bisection(evaluate, start=10, maximum=1000, target=0.95, resolution=0.03)
    assert 700 <= found <= 700 * 1.03 + 1
    assert len(asked) < 15


def test_start_already_passing_and_unreachable_target():
    evaluate, asked = recall_curve(5)
    assert doubling_then_bisection(evaluate, start=10, maximum=1000, target=0.95) == 10 and asked == [10]
    evaluate, asked = recall_curve(5000)
    assert doubling_then_bisection(evaluate, start=10, maximum=1000, target=0.95) is None
    assert asked[-1] == 1000 and asked == [10, 20, 40, 80, 160, 320, 640, 1000]


def test_out_of_time_stops_the_walk():
    evaluate, asked = recall_curve(500)
    assert doubling_then_bisection(evaluate, start=10, maximum=1000, target=0.95,
                                   out_of_time=lambda: len(asked) >= 3) is None
    assert asked == [10, 20, 40]


def test_choose_takes_each_familys_least_passing_value_then_the_fastest_family():
    cands = [Candidate(("plain", 40), 40, 0.93, 1.0), Candidate(("plain", 64), 64, 0.96, 1.30),
             Candidate(("plain", 80), 80, 0.97, 1.10), Candidate(("plain", 160), 160, 0.99, 2.0),
             Candidate(("it", 20), 20, 0.96, 1.9)]
    best = choose(cands, 0.95, allowed=lambda v: True)
    assert best.key == ("plain", 64)  # 80's lower p50 is noise: more ef_search is never faster
    assert choose(cands, 0.995, allowed=lambda v: True) is None
    assert choose(cands, 0.95, allowed=lambda v: v >= 100).value == 160  # e.g. never below k
    faster_family = [c for c in cands if c.key[0] == "plain"] + [Candidate(("it", 20), 20, 0.96, 0.9),
                                                                   Candidate(("it", 30), 30, 0.97, 0.7)]
    assert choose(faster_family, 0.95, allowed=lambda v: True).key == ("it", 20)  # the family's least value
    close = [Candidate(("plain", 64), 64, 0.96, 1.0), Candidate(("it", 20), 20, 0.96, 0.98)]
    assert choose(close, 0.95, allowed=lambda v: True).key == ("it", 20)


def test_the_walk_goes_on_below_where_the_planner_leaves_the_index():
    """Doubling from 8 lands on 16, where the planner prefers a scan (a small table): the least
    passing value lies between 8 and 16 and must still be found, not given up on."""
    from types import SimpleNamespace

    from apexdb.ops.tune.run import Trial, _LeavesIndex, _Sweep

    sweep = _Sweep.__new__(_Sweep)
    sweep.notes, sweep.parameter, sweep.out_of_time = [], "ivfflat.probes", lambda: False
    sweep.work = SimpleNamespace(target=SimpleNamespace(index=SimpleNamespace(name="items_ann")))
    asked = []

    def evaluate(family, extra, value, force=False):
        asked.append(value)
        if value >= 16:
            nan = float("nan")
            raise _LeavesIndex(Trial(value, {}, family, None, None, None, None, nan, nan, nan, index_used=False),
                               "the table is small")
        return SimpleNamespace(fit_lower=0.5 + 0.04 * value)  # 0.9 from 10 on

    sweep.evaluate = evaluate
    assert sweep.walk("plain", {}, 1, 19, 0.9) == 10
    assert 16 in asked and max(v for v in asked if v != 16) < 16
    assert any("stops using items_ann" in note for note in sweep.notes)
