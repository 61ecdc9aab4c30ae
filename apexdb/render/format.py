"""Human-readable values for tables; JSON and CSV keep the raw numbers."""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import math
import uuid
from pathlib import Path
from typing import Any

from apexdb.units import human_bytes  # sizes are shown the same by ops and views


def human_ms(ms: float | None) -> str:
    if ms is None:
        return ""
    ms = float(ms)
    if ms < 1:
        return f"{ms:.3f} ms"
    if ms < 1000:
        return f"{ms:.1f} ms"
    return human_seconds(ms / 1000)


def human_seconds(s: float | None) -> str:
    if s is None:
        return ""
    s = float(s)
    if s < 60:
        return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"
    minutes, sec = divmod(int(round(s)), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {sec:02d}s"


def human_int(n: Any) -> str:
    if n is None:
        return ""
    try:
        return f"{int(n):,}"
    except (TypeError, ValueError):
        return str(n)


def human_float(x: Any, digits: int = 3) -> str:
    if x is None:
        return ""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if x != 0 and abs(x) < 10 ** -digits:
        return f"{x:.{digits}e}"
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") if "." in f"{x:.{digits}f}" else f"{x}"


def human_pct(fraction: Any) -> str:
    if fraction is None:
        return ""
    return f"{float(fraction) * 100:.1f}%"


def human_ts(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def human_bool(value: Any) -> str:
    if value is None:
        return ""
    return "yes" if value else "no"


def truncate(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: max(1, width - 1)] + "…"


def human_ratio(x: Any) -> str:
    """A ratio of two figures (after / before): ``x3.20``, ``x0.50``."""
    return f"x{float(x):.2f}"


FORMATTERS = {
    "ratio": human_ratio,
    "bytes": human_bytes,
    "ms": human_ms,
    "s": human_seconds,
    "int": human_int,
    "float": human_float,
    "pct": human_pct,
    "ts": human_ts,
    "bool": human_bool,
}


def human(value: Any, kind: str = "text") -> str:
    if value is None:
        return ""
    fn = FORMATTERS.get(kind)
    if fn is not None:
        return fn(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=json_default, separators=(",", ":"))
    if isinstance(value, float):
        return human_float(value)
    return str(value)


def json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot encode on its own."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (uuid.UUID, Path)):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "tolist"):  # numpy arrays and scalars, pgvector types
        return value.tolist()
    if hasattr(value, "to_list"):
        return value.to_list()
    return str(value)


def _finite(value: Any) -> Any:
    """NaN and infinity become null: strict JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(doc: Any) -> str:
    doc = json.loads(json.dumps(doc, default=json_default))  # plain types first, then scrub
    return json.dumps(_finite(doc), indent=2, ensure_ascii=False)
