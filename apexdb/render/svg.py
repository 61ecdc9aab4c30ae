"""Inline SVG charts for the HTML report, written by hand (no dependency, no script).

- :func:`sparkline`: one small line (a statement's mean time, a relation's size over time);
- :func:`time_chart`: several series against time with axes and a legend (sizes and growth);
- :func:`tune_chart`: recall and p50 latency against ``hnsw.ef_search`` / ``ivfflat.probes``,
  the target recall as a dashed line and the picked setting marked: the same curve
  ``apexdb tune`` draws in the terminal (:mod:`apexdb.render.tune`), from its stored sweep.

Every label goes through :func:`html.escape`; numbers are formatted here, never pasted in raw.
"""
from __future__ import annotations

import datetime as dt
import math
from html import escape
from typing import Any, Callable, Sequence

PALETTE = ("#1f6fb4", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#5c7cfa", "#e67700", "#0b7285")
RECALL_COLOUR, LATENCY_COLOUR, TARGET_COLOUR = "#2b8a3e", "#1f6fb4", "#c92a2a"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _num(x: float) -> str:
    return f"{x:.1f}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks, value = [], first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 12))
    return ticks


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 26, label: str = "",
              colour: str = PALETTE[0]) -> str:
    """A small line of ``values`` (in order), its last point dotted; '' for fewer than two values."""
    points = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if len(points) < 2:
        return ""
    lo, hi = min(points), max(points)
    span = (hi - lo) or 1.0
    pad = 3
    xs = [pad + i * (width - 2 * pad) / (len(points) - 1) for i in range(len(points))]
    ys = [height - pad - (p - lo) / span * (height - 2 * pad) for p in points]
    path = "M" + " L".join(f"{_num(x)} {_num(y)}" for x, y in zip(xs, ys))
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
            f'<circle cx="{_num(xs[-1])}" cy="{_num(ys[-1])}" r="2.5" fill="{colour}"/></svg>')


class _Frame:
    """A plot area inside an SVG of ``width`` x ``height`` with margins, mapping data to pixels."""

    def __init__(self, width: int, height: int, left: int = 64, right: int = 20, top: int = 16, bottom: int = 34):
        self.width, self.height = width, height
        self.x0, self.x1, self.y0, self.y1 = left, width - right, height - bottom, top

    def x(self, value: float, lo: float, hi: float) -> float:
        return self.x0 + (value - lo) / ((hi - lo) or 1.0) * (self.x1 - self.x0)

    def y(self, value: float, lo: float, hi: float) -> float:
        return self.y0 - (value - lo) / ((hi - lo) or 1.0) * (self.y0 - self.y1)

    def y_axis(self, ticks: list[float], fmt: Callable[[float], str], *, right: bool = False,
               colour: str = "#495057", grid: bool = True) -> list[str]:
        lo, hi = ticks[0], ticks[-1]
        out = []
        for t in ticks:
            y = self.y(t, lo, hi)
            if grid:
                out.append(f'<line class="grid" x1="{self.x0}" x2="{self.x1}" y1="{_num(y)}" y2="{_num(y)}" '
                           f'stroke="#e9ecef"/>')
            x, anchor = (self.x1 + 6, "start") if right else (self.x0 - 6, "end")
            out.append(f'<text x="{x}" y="{_num(y + 4)}" text-anchor="{anchor}" fill="{colour}" {FONT}>'
                       f'{escape(fmt(t))}</text>')
        return out

    def box(self) -> str:
        return (f'<path d="M{self.x0} {self.y1} L{self.x0} {self.y0} L{self.x1} {self.y0}" fill="none" '
                f'stroke="#868e96"/>')


def _svg(width: int, height: int, label: str, body: list[str], css_class: str) -> str:
    return (f'<svg class="chart {css_class}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>' + "".join(body) + "</svg>")


def _time_label(t: dt.datetime, span_s: float) -> str:
    if span_s < 3600:
        return t.strftime("%H:%M:%S")
    return t.strftime("%H:%M" if span_s < 2 * 86400 else "%m-%d %H:%M" if span_s < 7 * 86400 else "%Y-%m-%d")


def byte_ticks(hi: float, count: int = 4) -> tuple[list[float], Callable[[float], str]]:
    """Ticks for a size axis in the unit of its largest value (512 kB, 1 MB, 1.5 MB: not 977 kB)."""
    from apexdb.units import human_bytes

    units = ("B", "kB", "MB", "GB", "TB")
    power = 0
    while power < len(units) - 1 and hi >= 1024 ** (power + 1):
        power += 1
    scale = 1024 ** power
    ticks = [t * scale for t in nice_ticks(0.0, max(hi, 1.0) / scale, count)]
    return ticks, lambda v: f"{v / scale:g} {units[power]}" if v else human_bytes(0)


def time_chart(series: Sequence[tuple[str, Sequence[tuple[dt.datetime, float]]]], *, label: str,
               y_fmt: Callable[[float], str] | None = None, bytes_axis: bool = False, width: int = 760,
               height: int = 280) -> str:
    """Lines over time, one per (name, [(at, value)]), with a legend below the axis; '' when none has two
    points. ``bytes_axis``: values are sizes, ticked in one binary unit; else ``y_fmt`` labels them."""
    series = [(name, sorted(points)) for name, points in series if len(points) >= 2]
    if not series:
        return ""
    legend_rows = math.ceil(len(series) / 3)
    frame = _Frame(width, height + 18 * legend_rows, left=72, bottom=34 + 18 * legend_rows)
    times = [p[0].timestamp() for _, pts in series for p in pts]
    values = [float(p[1]) for _, pts in series for p in pts]
    t_lo, t_hi = min(times), max(times)
    if bytes_axis:
        ticks, y_fmt = byte_ticks(max(values))
        from apexdb.units import human_bytes as point_fmt
    else:
        ticks, point_fmt = nice_ticks(min(0.0, min(values)), max(values)), y_fmt or (lambda v: f"{v:g}")
        y_fmt = point_fmt
    body = frame.y_axis(ticks, y_fmt)
    for i in range(5):
        at = t_lo + (t_hi - t_lo) * i / 4
        x = frame.x(at, t_lo, t_hi)
        stamp = dt.datetime.fromtimestamp(at, dt.timezone.utc)
        body.append(f'<text x="{_num(x)}" y="{frame.y0 + 16}" text-anchor="middle" fill="#495057" {FONT}>'
                    f'{escape(_time_label(stamp, t_hi - t_lo))}</text>')
    body.append(frame.box())
    for n, (name, points) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        coords = [(frame.x(p[0].timestamp(), t_lo, t_hi), frame.y(float(p[1]), ticks[0], ticks[-1])) for p in points]
        path = "M" + " L".join(f"{_num(x)} {_num(y)}" for x, y in coords)
        body.append(f'<path class="series" d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), p in zip(coords, points):
            body.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="2.5" fill="{colour}"><title>'
                        f'{escape(name)}: {escape(point_fmt(float(p[1])))} at {escape(p[0].strftime("%Y-%m-%d %H:%M"))}'
                        f'</title></circle>')
        lx = frame.x0 + (n % 3) * (frame.x1 - frame.x0) / 3
        ly = frame.y0 + 34 + 18 * (n // 3)
        body.append(f'<rect x="{_num(lx)}" y="{ly - 9}" width="12" height="4" fill="{colour}"/>'
                    f'<text x="{_num(lx + 16)}" y="{ly - 4}" fill="#212529" {FONT}>{escape(_short(name, 34))}</text>')
    return _svg(frame.width, frame.height, label, body, "time")


def tune_chart(curve: Sequence[dict[str, Any]], *, knob: str, latency_key: str, target_recall: float | None,
               picked: Any, label: str, width: int = 560, height: int = 260) -> str:
    """Recall (left axis) and latency (right axis) against the setting; '' without two measured points."""
    points = sorted((p for p in curve if p.get("value") is not None and p.get("recall") is not None),
                    key=lambda p: float(p["value"]))
    if len(points) < 2:
        return ""
    frame = _Frame(width, height, left=52, right=64, bottom=48)
    xs = [float(p["value"]) for p in points]
    x_lo, x_hi = min(xs), max(xs)
    recalls = [float(p["recall"]) for p in points]
    r_lo = max(0.0, math.floor(min(recalls + ([target_recall] if target_recall else [])) * 10 - 0.5) / 10)
    r_ticks = nice_ticks(r_lo, 1.0, 4)
    r_ticks = [t for t in r_ticks if t <= 1.0 + 1e-9] or [r_lo, 1.0]
    lat = [float(p[latency_key]) for p in points if p.get(latency_key) is not None]
    l_ticks = nice_ticks(0.0, max(lat) if lat else 1.0, 4)
    body = frame.y_axis(r_ticks, lambda v: f"{v:.2f}", colour=RECALL_COLOUR)
    body += frame.y_axis(l_ticks, lambda v: f"{v:g} ms", right=True, colour=LATENCY_COLOUR, grid=False)
    last = -1e9
    for v in sorted(set(xs)):  # a label per measured setting, unless it would overlap the previous one
        x = frame.x(v, x_lo, x_hi)
        if x - last < 28 and v != x_hi:
            continue
        last = x
        body.append(f'<text x="{_num(x)}" y="{frame.y0 + 16}" text-anchor="middle" '
                    f'fill="#495057" {FONT}>{escape(f"{v:g}")}</text>')
    body.append(f'<text x="{(frame.x0 + frame.x1) // 2}" y="{frame.y0 + 36}" text-anchor="middle" fill="#212529" '
                f'{FONT}>{escape(knob)}</text>')
    body.append(frame.box())
    if target_recall is not None and r_ticks[0] <= target_recall <= r_ticks[-1]:
        y = frame.y(target_recall, r_ticks[0], r_ticks[-1])
        body.append(f'<line class="target" x1="{frame.x0}" x2="{frame.x1}" y1="{_num(y)}" y2="{_num(y)}" '
                    f'stroke="{TARGET_COLOUR}" stroke-dasharray="5 4"/>'
                    f'<text x="{frame.x0 + 4}" y="{_num(y - 4)}" fill="{TARGET_COLOUR}" {FONT}>'
                    f'target {escape(f"{target_recall:g}")}</text>')
    r_pts = [(frame.x(float(p["value"]), x_lo, x_hi), frame.y(float(p["recall"]), r_ticks[0], r_ticks[-1]))
             for p in points]
    body.append(f'<path class="series recall" d="M{" L".join(f"{_num(x)} {_num(y)}" for x, y in r_pts)}" '
                f'fill="none" stroke="{RECALL_COLOUR}" stroke-width="2.5"/>')
    l_pts = [(frame.x(float(p["value"]), x_lo, x_hi), frame.y(float(p[latency_key]), l_ticks[0], l_ticks[-1]))
             for p in points if p.get(latency_key) is not None]
    if len(l_pts) >= 2:
        body.append(f'<path class="series latency" d="M{" L".join(f"{_num(x)} {_num(y)}" for x, y in l_pts)}" '
                    f'fill="none" stroke="{LATENCY_COLOUR}" stroke-width="2" stroke-dasharray="6 3"/>')
    for (x, y), p in zip(r_pts, points):
        is_picked = picked is not None and float(p["value"]) == float(picked)
        tip = f'{knob} {float(p["value"]):g}: recall {float(p["recall"]):.3f}' + (
            f', {latency_key} {float(p[latency_key]):.3f} ms' if p.get(latency_key) is not None else "")
        ring = ' stroke="#212529" stroke-width="2" class="picked"' if is_picked else ""
        body.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{6 if is_picked else 3}" fill="{RECALL_COLOUR}"{ring}>'
                    f'<title>{escape(tip)}</title></circle>')
        if is_picked:
            shown = f"{float(p['value']):g}"
            body.append(f'<text x="{_num(x)}" y="{_num(y - 10)}" text-anchor="middle" fill="#212529" {FONT}>'
                        f'picked {escape(shown)}</text>')
    return _svg(width, height, label, body, "tune")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
