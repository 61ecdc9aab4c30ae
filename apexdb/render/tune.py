"""What ``apexdb tune`` shows: the JSON document, the sweep rows, the summary, and a
terminal chart of recall and latency against the setting (a rich renderable; the CLI
prints it). Every form says which queries the recall was measured with, and an
optimistic source (``--fast``) says so in the recall's own label."""
from __future__ import annotations

import math
from typing import Any

from apexdb.ops.tune.run import Trial, TuneResult

BAR_WIDTH = 16
MODE_LABEL = {"plain": "standard"}


def _is(a: Trial | None, b: Trial | None) -> bool:
    return a is not None and b is not None and a.value == b.value and a.family == b.family


def trial_doc(t: Trial, result: TuneResult) -> dict[str, Any]:
    tuples = t.settings.get("hnsw.max_scan_tuples")
    iterative = t.settings.get("hnsw.iterative_scan") or t.settings.get("ivfflat.iterative_scan") or "off"
    return {"value": t.value, "recall": t.heldout_recall,
            "recall_interval": list(t.heldout_interval) if t.heldout_interval else None, "fit_recall": t.fit_recall,
            "fit_recall_low": t.fit_lower, "p50_ms": t.p50_ms,
            "p95_ms": t.p95_ms, "p99_ms": t.p99_ms, "iterative_scan": iterative,
            "max_scan_tuples": int(tuples) if tuples else None,
            "recommended": _is(t, result.recommended), "default": _is(t, result.default),
            "index_used": t.index_used}


def tune_document(result: TuneResult) -> dict[str, Any]:
    """The ``--format json`` document (keys documented in docs/tune.md)."""
    rec, default = result.recommended, result.default
    return {
        "parameter": result.parameter,
        "recommended": rec.value if rec else None,
        "settings": dict(rec.settings) if rec else {},
        "target_recall": result.target_recall,
        "heldout_recall": rec.heldout_recall if rec else None,
        "heldout_interval": list(rec.heldout_interval) if rec and rec.heldout_interval else None,
        "fit_recall": rec.fit_recall if rec else None,
        "p50_ms": rec.p50_ms if rec else None,
        "p95_ms": rec.p95_ms if rec else None,
        "p99_ms": rec.p99_ms if rec else None,
        "k": result.k,
        "default": {"value": default.value, "source": result.default_source, "recall": default.heldout_recall,
                    "fit_recall": default.fit_recall, "p50_ms": default.p50_ms, "p95_ms": default.p95_ms,
                    "p99_ms": default.p99_ms},
        "sweep": [trial_doc(t, result) for t in result.trials],
        "table": result.table,
        "column": result.column,
        "index": result.index,
        "method": result.method,
        "filters": result.filters,
        "queries": {"total": result.queries_total, "fit": result.queries_fit, "heldout": result.queries_heldout,
                    "source": result.query_source, "label": result.query_label, "origin": result.query_origin,
                    "optimistic": result.optimistic},
        "scratch": result.scratch,
        "elapsed_s": result.elapsed_s,
        "budget_s": result.budget_s,
        "budget_reached": result.budget_reached,
        "notes": result.notes,
    }


def sweep_columns(result: TuneResult):
    """The sweep's columns; the recall column names the queries it was measured with."""
    from apexdb.render import Column, cols

    which = "rows of the index, OPTIMISTIC" if result.optimistic else "queries not seen by the choice"
    return cols("value:int", "mode", Column("recall", f"recall ({which})", kind="float"),
                Column("fit_recall", "recall (choice half)", kind="float"), "p50_ms:ms", "p95_ms:ms",
                "p99_ms:ms", "mark")


def sweep_rows(result: TuneResult) -> list[dict[str, Any]]:
    rows = []
    for t in result.trials:
        marks = [m for m, on in (("◀ recommended", _is(t, result.recommended)), ("default", _is(t, result.default)),
                                 ("planner leaves the index: not measured", not t.index_used)) if on]
        p50 = t.p50_ms if t.index_used else None
        rows.append({"value": t.value, "mode": MODE_LABEL.get(t.family, t.family), "recall": t.heldout_recall, "fit_recall": t.fit_recall,
                     "p50_ms": p50, "p95_ms": t.p95_ms if p50 else None, "p99_ms": t.p99_ms if p50 else None,
                     "mark": ", ".join(marks)})
    return rows


def summary_rows(result: TuneResult) -> list[dict[str, str]]:
    from apexdb.render.format import human_ms

    rec, default, name = result.recommended, result.default, result.parameter
    rows = [{"item": "index", "value": f"{result.index} ({result.method}) on {result.table}.{result.column}"},
            {"item": "queries", "value": f"{result.queries_total} {result.query_label}"
                                         + (f" ({result.query_origin})" if result.query_source in ("file", "sql")
                                            else "")
                                         + f": chosen on {result.queries_fit}, recall reported on the other "
                                           f"{result.queries_heldout}"}]
    if result.scratch:
        from apexdb.render.format import human_bytes, human_seconds

        sc = result.scratch
        rows.append({"item": "scratch copy", "value": f"{sc['rows']:,} rows, copied and indexed in "
                                                      f"{human_seconds(sc['copy_and_build_s'])} (estimated "
                                                      f"{human_seconds(sc['estimated_s'])} for the whole run), "
                                                      f"rolled back"})
    if rec is None:
        rows.append({"item": "recommended", "value": f"none reaches recall {result.target_recall:g}"})
    else:
        extra = ", ".join(f"{k} = {v}" for k, v in rec.settings.items() if k != name)
        rows.append({"item": "recommended", "value": f"{name} = {rec.value}" + (f" with {extra}" if extra else "")})
        rows.append({"item": f"expected recall@{result.k}", "value": _expected(rec, result)})
        rows.append({"item": "expected latency", "value": f"p50 {human_ms(rec.p50_ms)}, p95 {human_ms(rec.p95_ms)}, "
                                                          f"p99 {human_ms(rec.p99_ms)}"})
    measured = (f"recall {_num(default.heldout_recall)}, p50 {human_ms(default.p50_ms)}, p95 {human_ms(default.p95_ms)}"
                if default.index_used else "not measured: at this setting the planner leaves the index")
    rows.append({"item": f"default ({name} = {default.value}, {result.default_source})", "value": measured})
    rows.append({"item": "time", "value": f"{result.elapsed_s:.1f} s of a {result.budget_s:g} s budget"
                                          + (" (reached)" if result.budget_reached else "")})
    return rows


def _expected(rec: Trial, result: TuneResult) -> str:
    interval = (f", 95% interval {rec.heldout_interval[0]:.3f}-{rec.heldout_interval[1]:.3f}"
                if rec.heldout_interval else "")
    caveat = " OPTIMISTIC: the queries are rows of the index" if result.optimistic else ""
    return (f"{_num(rec.heldout_recall)} on queries the choice did not see{interval} "
            f"(target {result.target_recall:g}){caveat}")


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _short_family(t: Trial) -> str:
    """A chart label's suffix: '+it' for iterative scan, '+it 80k' with a raised max_scan_tuples."""
    if t.family == "plain":
        return ""
    tuples = t.settings.get("hnsw.max_scan_tuples")
    return " +it" + (f" {int(tuples) // 1000}k" if tuples else "")


def chart(result: TuneResult):
    """Recall (held out) and p50 latency per setting as bars, the target as a tick."""
    from rich.table import Table
    from rich.text import Text

    trials = [t for t in result.trials if t.index_used]
    recalls = [t.heldout_recall for t in trials if t.heldout_recall is not None]
    low = min([*recalls, result.target_recall]) if recalls else 0.0
    low = max(0.0, math.floor(min(low, result.target_recall - 0.05) * 10) / 10)
    slowest = max((t.p50_ms for t in trials), default=1.0) or 1.0
    if not trials:
        return Text("(no setting was measured)")
    which = "rows of the index, OPTIMISTIC" if result.optimistic else "queries the choice did not see"
    grid = Table(title=f"recall@{result.k} on {which} (axis from {low:g}, ┃ target {result.target_recall:g}) and p50 "
                       f"latency\nby {result.parameter}", title_justify="left", box=None,
                 show_header=True, header_style="bold", pad_edge=False)
    for name, justify in (("setting", "right"), ("recall", "left"), ("", "right"), ("p50", "left"), ("", "right"),
                          ("", "left")):
        grid.add_column(name, justify=justify, no_wrap=True)
    tick = round((result.target_recall - low) / (1 - low) * BAR_WIDTH) if low < 1 else BAR_WIDTH
    for t in trials:
        recall = t.heldout_recall if t.heldout_recall is not None else 1.0
        filled = round((recall - low) / (1 - low) * BAR_WIDTH) if low < 1 else BAR_WIDTH
        meets = recall >= result.target_recall
        bar = Text()
        for i in range(BAR_WIDTH):
            if i == min(tick, BAR_WIDTH - 1):
                bar.append("┃", style="bold")
            elif i < filled:
                bar.append("█", style="green" if meets else "yellow")
            else:
                bar.append("·", style="dim")
        latency = Text("█" * max(1, round(t.p50_ms / slowest * BAR_WIDTH)), style="cyan")
        label = str(t.value) + _short_family(t)
        mark = "◀ recommended" if _is(t, result.recommended) else ""
        if _is(t, result.default):
            mark = (mark + " " if mark else "") + "default"
        grid.add_row(label, bar, _num(t.heldout_recall), latency, f"{t.p50_ms:.2f}ms", mark)
    return grid
