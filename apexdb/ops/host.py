"""The server host's RAM and cores, and whether the server runs on this machine.

One answer for every command that needs it: ``stats settings`` and ``audit config`` judge
memory settings against the RAM, ``index create`` sizes a build by the memory available
and the cores. The facts come from this machine when the server is on it (a unix socket
or a loopback address), else from the server's own /proc files when the role may read
server files (superuser or pg_read_server_files), else they are unknown and the caller
asks for them (``--ram``, ``--memory``, ``--workers``).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class HostFacts:
    available_bytes: int | None  # MemAvailable: what a build may still take
    cores: int | None
    source: str  # "local" (same machine), "server" (read through pg_read_file) or "unknown"
    ram_bytes: int | None = None  # MemTotal, or the cgroup limit when lower


def server_is_local(conn) -> bool:
    """A unix socket directory or a loopback address: the server shares this machine.

    An empty host (libpq could not say where the connection went) is not evidence of a
    local server, so it counts as remote: the caller then asks for the RAM instead of
    judging a remote server by this machine's.
    """
    host = conn.info.host or ""
    return host.startswith("/") or host in LOOPBACK


def host_facts(conn) -> HostFacts:
    """RAM, available memory and cores of the machine the server runs on, and where they came from."""
    if server_is_local(conn):
        return local_facts()
    return _server_facts(conn) or HostFacts(None, None, "unknown")


def local_facts() -> HostFacts:
    """This machine: /proc/meminfo and sysconf for the memory, the CPUs this process may use."""
    try:
        with open("/proc/meminfo") as f:
            meminfo = f.read()
    except OSError:
        meminfo = ""
    total = _meminfo(meminfo, "MemTotal")
    if total is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = None
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read()
    except OSError:
        limit = None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return HostFacts(_meminfo(meminfo, "MemAvailable"), cores, "local", _limited(total, limit))


def _server_facts(conn) -> HostFacts | None:
    import psycopg

    from apexdb.db.queries import fetch_one

    try:
        with conn.transaction(force_rollback=True):
            row = fetch_one(conn, "host_proc_files")
    except psycopg.Error:  # not Linux, or the files are not where they usually are
        return None
    if not row or not row["readable"] or not row["meminfo"]:
        return None
    total = _limited(_meminfo(row["meminfo"], "MemTotal"), row["memory_max"])
    return HostFacts(_meminfo(row["meminfo"], "MemAvailable"), (row["cpuinfo"] or "").count("processor\t") or None,
                     "server", total)


def _meminfo(text: str, field: str) -> int | None:
    match = re.search(rf"^{field}:\s+(\d+)\s*kB", text, re.M)
    return int(match.group(1)) * 1024 if match else None


def _limited(total: int | None, cgroup_limit: str | None) -> int | None:
    """The RAM, or the cgroup v2 memory limit when it is set and lower ("max" means none)."""
    limit = (cgroup_limit or "").strip()
    if limit.isdigit() and (total is None or int(limit) < total):
        return int(limit)
    return total


def host_ram(conn) -> tuple[int | None, str]:
    """The server host's RAM and where it came from: "os" (this machine), "server" or "unknown"."""
    facts = host_facts(conn)
    if facts.ram_bytes:
        return facts.ram_bytes, "os" if facts.source == "local" else facts.source
    return None, "unknown"
