"""Sizes and durations: read from what a user typed, and written as PostgreSQL setting values.

One parser for sizes (``--ram 16GB``, ``--memory 512MB``, ``ram_bytes=64GB`` thresholds), one for
durations (``stats_min_age=7d`` thresholds, ``--lock-timeout 5s``), and one way to write a size as a
setting value (``'81MB'``, ``'16GB'``), so a recommendation reads the same in every command; and one
way to show a size to a person (``human_bytes``: ``16.0 GB``), for ops' messages and views alike.
"""
from __future__ import annotations

import re
from typing import Any

from apexdb.errors import BadInput

KB = 1024
MB = 1024 * KB
GB = 1024 * MB
TB = 1024 * GB

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_SIZE_UNITS = {"": 1, "b": 1, "k": KB, "kb": KB, "kib": KB, "m": MB, "mb": MB, "mib": MB,
               "g": GB, "gb": GB, "gib": GB, "t": TB, "tb": TB, "tib": TB}
# PostgreSQL's time units (us, ms, s, min, h, d) plus m and w, which thresholds have always accepted.
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_DURATION_UNITS = {"": 1.0, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0,
                   "d": 86400.0, "w": 7 * 86400.0}
_SETTING_UNITS = ("us", "ms", "s", "min", "h", "d", "")


def parse_size(value: Any, *, error: str = "cannot read {value!r} as a size (e.g. 16GB, 512MB)") -> int:
    """Bytes from ``16GB``, ``512MB``, ``1.5gb``, ``800kB``, ``8g`` or a plain number.

    ``error`` is the message of the BadInput raised for anything else (``{value!r}`` is filled in).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    match = _SIZE.match(str(value or ""))
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        raise BadInput(error.format(value=value))
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


def parse_duration(value: Any, *, error: str = "cannot read {value!r} as a duration (e.g. 3600, 12h, 7d)") -> float:
    """Seconds from ``3600``, ``500ms``, ``30min``, ``12h``, ``7d``, ``2w``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value or ""))
    if not match or match.group(2).lower() not in _DURATION_UNITS:
        raise BadInput(error.format(value=value))
    return float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]


def human_duration(seconds: float) -> str:
    """Seconds written the way :func:`parse_duration` reads them back: ``1d``, ``12h``, ``90min``, ``45s``."""
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def duration_setting(value: Any, *, error: str) -> str:
    """``value`` checked as a PostgreSQL time setting (``5s``, ``500ms``, ``30min``, ``0``) and returned
    as the inside of its SQL literal; ``error`` ({value!r} filled in) when PostgreSQL would refuse it."""
    text = str(value).strip()
    match = _DURATION.match(text)
    if not match or match.group(2) not in _SETTING_UNITS:
        raise BadInput(error.format(value=value))
    return text


def setting_size(n: float) -> str:
    """A size as a memory setting value: whole MB, or GB when that is exact or the size is 4 GB or more."""
    mb = max(1, int(n // MB))
    if mb >= 4096 or (mb >= 1024 and mb % 1024 == 0):
        return f"{round(mb / 1024)}GB"
    return f"{mb}MB"


_SHOWN_UNITS = ["B", "kB", "MB", "GB", "TB", "PB"]


def human_bytes(n: float | None) -> str:
    """``1.5 GB``, ``81.0 MB``, ``512 B``: a size for people (JSON keeps the bytes)."""
    if n is None:
        return ""
    n = float(n)
    for unit in _SHOWN_UNITS:
        if abs(n) < 1024 or unit == _SHOWN_UNITS[-1]:
            return f"{n:.0f} {unit}" if unit == "B" or abs(n) >= 100 else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PB"
