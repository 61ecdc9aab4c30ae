"""``stats settings``: memory and vector settings against what this server should have.

work_mem follows the seed's formula RAM x 0.25 / max_connections; maintenance_work_mem
is weighed against the largest vector index (an HNSW build is fast only while its graph
fits); shared_buffers against a quarter of RAM and the vector indexes searches touch.
RAM comes from the OS when the server runs on this machine, else from ``--ram``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from apexdb.db.connection import read_only, server_versions
from apexdb.db.queries import fetch
from apexdb.errors import BadInput
from apexdb.render.format import human_bytes

MB = 1024 * 1024
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": MB, "mb": MB, "g": 1024 * MB, "gb": 1024 * MB,
          "t": 1024 ** 4, "tb": 1024 ** 4}


@dataclass
class SettingsReport:
    ram_bytes: int | None
    ram_source: str  # "os", "--ram" or "unknown"
    rows: list[dict[str, Any]]  # name, value, recommended, status, note
    largest_vector_index: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"ram_bytes": self.ram_bytes, "ram_source": self.ram_source, "settings": self.rows,
                "largest_vector_index": self.largest_vector_index}


def parse_size(text: str) -> int:
    """'16GB', '512MB', '8g' or a number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text or "")
    if not match or match.group(2).lower() not in _UNITS:
        raise BadInput(f"cannot read {text!r} as a size (e.g. 16GB, 512MB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def server_is_local(conn) -> bool:
    """A unix socket or a loopback address: the server shares this machine's RAM."""
    host = conn.info.host or ""
    return host.startswith("/") or host in ("", "localhost", "127.0.0.1", "::1")


def local_ram() -> int | None:
    """Physical RAM, or the cgroup limit when this process runs under a smaller one."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
    try:
        limit = open("/sys/fs/cgroup/memory.max").read().strip()
        if limit.isdigit():
            ram = min(ram, int(limit))
    except OSError:
        pass
    return ram


def settings_report(conn, ram: str | None = None) -> SettingsReport:
    from apexdb.ops.vector_catalog import vector_indexes

    ram_bytes, source = (parse_size(ram), "--ram") if ram else (None, "unknown")
    if ram_bytes is None and server_is_local(conn):
        ram_bytes = local_ram()
        source = "os" if ram_bytes else "unknown"
    with read_only(conn):
        has_vector = server_versions(conn).get("vector") is not None
        if has_vector:
            fetch(conn, "load_vector_library")
        settings = {r["name"]: r for r in fetch(conn, "stats_settings")}
        indexes = vector_indexes(conn) if has_vector else []
    largest = max(indexes, key=lambda i: i.size_bytes, default=None)
    total_vector = sum(i.size_bytes for i in indexes)
    report = SettingsReport(ram_bytes, source, [], None)
    if largest is not None:
        report.largest_vector_index = {"name": f"{largest.schema}.{largest.name}", "method": largest.method,
                                       "size_bytes": largest.size_bytes}
    rows = report.rows
    rows.append(_shared_buffers(settings, ram_bytes, total_vector))
    rows.append(_effective_cache_size(settings, ram_bytes))
    rows.append(_work_mem(settings, ram_bytes))
    rows.append(_maintenance_work_mem(settings, ram_bytes, largest))
    rows.append(_parallel_maintenance(settings))
    for name in ("hnsw.ef_search", "hnsw.iterative_scan", "ivfflat.probes"):
        if name in settings:
            rows.append(_row(settings[name], None, "info", _VECTOR_NOTES[name]))
    if ram_bytes is None:
        report.notes.append("RAM unknown (the server is not on this machine): pass --ram SIZE for the "
                            "RAM-based recommendations")
    return report


_VECTOR_NOTES = {
    "hnsw.ef_search": "HNSW candidate list (1..1000): an HNSW scan returns at most this many rows; raise it "
                      "per query for recall or a LIMIT above it",
    "hnsw.iterative_scan": "relaxed_order or strict_order keeps scanning when a WHERE filter removes rows "
                           "(pgvector 0.8+)",
    "ivfflat.probes": "lists searched per query: sqrt(lists) is a start; probes = lists makes the planner "
                      "skip the index",
}


def _row(setting: dict[str, Any] | None, recommended: str | None, status: str, note: str,
         name: str | None = None) -> dict[str, Any]:
    return {"name": name or (setting or {}).get("name"), "value": (setting or {}).get("value"),
            "bytes": (setting or {}).get("bytes"), "recommended": recommended, "status": status, "note": note}


def _mb(n: float) -> str:
    """A size as a setting value, whole MB (or GB when even)."""
    mb = max(1, int(n // MB))
    if mb >= 4096 or (mb >= 1024 and mb % 1024 == 0):
        return f"{round(mb / 1024)}GB"
    return f"{mb}MB"


def _shared_buffers(settings, ram, vector_bytes) -> dict[str, Any]:
    s = settings["shared_buffers"]
    if ram is None:
        return _row(s, "25% of RAM", "info", "pass --ram to compare")
    want = ram * 0.25
    status, note = "ok", "about a quarter of RAM"
    if s["bytes"] < want * 0.5:
        status, note = "warning", f"below half of 25% of RAM ({human_bytes(want)}): more reads go to the OS cache"
    elif s["bytes"] > ram * 0.4:
        status, note = "warning", "above 40% of RAM leaves too little for the OS cache and work_mem"
    if vector_bytes and vector_bytes > s["bytes"] and status == "ok":
        status = "info"
        note = (f"vector indexes take {human_bytes(vector_bytes)}, more than shared_buffers: searches read "
                "from the OS cache; pg_prewarm or more RAM keep them hot")
    return _row(s, _mb(want), status, note)


def _effective_cache_size(settings, ram) -> dict[str, Any]:
    s = settings["effective_cache_size"]
    if ram is None:
        return _row(s, "75% of RAM", "info", "pass --ram to compare")
    want = ram * 0.75
    ok = want * 0.5 <= s["bytes"] <= ram
    return _row(s, _mb(want), "ok" if ok else "warning",
                "the planner's idea of the cache; too low makes index scans look expensive" if not ok
                else "about three quarters of RAM")


def _work_mem(settings, ram) -> dict[str, Any]:
    s, conns = settings["work_mem"], int(settings["max_connections"]["value"])
    if ram is None:
        return _row(s, "RAM x 0.25 / max_connections", "info", f"pass --ram to compute (max_connections = {conns})")
    want = ram * 0.25 / conns
    formula = f"RAM {human_bytes(ram)} x 0.25 / max_connections {conns}"
    if s["bytes"] > want * 2:
        return _row(s, _mb(want), "warning", f"{formula}: {conns} busy sessions could use more memory than the "
                    "machine has; raise it per role or per query instead")
    if s["bytes"] < want * 0.5:
        return _row(s, _mb(want), "info", f"{formula}: sorts and hashes spill to disk sooner than needed")
    return _row(s, _mb(want), "ok", formula)


def _maintenance_work_mem(settings, ram, largest) -> dict[str, Any]:
    s = settings["maintenance_work_mem"]
    if largest is None:
        return _row(s, None, "ok", "no vector index to weigh it against")
    need = largest.size_bytes * 1.25  # the graph in memory is a little larger than the index on disk
    cap = ram * 0.5 if ram else None
    if s["bytes"] >= need:
        return _row(s, _mb(max(need, s["bytes"])), "ok",
                    f"the largest vector index ({largest.name}, {human_bytes(largest.size_bytes)}) fits")
    want = min(need, cap) if cap else need
    note = (f"the largest vector index ({largest.name}, {human_bytes(largest.size_bytes)}) does not fit: a "
            f"rebuild writes the graph to disk, many times slower; SET maintenance_work_mem = '{_mb(want)}' "
            "for the build")
    return _row(s, _mb(want), "warning", note)


def _parallel_maintenance(settings) -> dict[str, Any]:
    s = settings["max_parallel_maintenance_workers"]
    if int(s["value"]) < 2:
        return _row(s, "2", "info", "HNSW and IVFFlat builds use parallel workers (pgvector 0.6+)")
    return _row(s, None, "ok", "parallel index builds enabled")
