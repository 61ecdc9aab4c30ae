"""How much memory and how many workers an index build gets, and why.

HNSW builds are several times faster while the graph fits in ``maintenance_work_mem``
(past that, pgvector says "hnsw graph no longer fits into maintenance_work_mem" and
inserts slowly on disk pages); IVFFlat refuses to build when its k-means samples do not
fit. So the build gets the estimated memory, capped by ``--memory`` and by what the
server host can spare, and ``max_parallel_maintenance_workers`` = the server's cores
minus one (the leader builds too). These are set for this build only.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from apexdb.db.queries import fetch_one
from apexdb.errors import BadInput

MB = 1024 * 1024
# When the server's free memory cannot be read, do not go above this without --memory.
UNKNOWN_SPARE_CAP = 1024 * MB
MAX_WORKERS = 64
# pgvector's in-memory sizes (hnsw.h): an element (heap TIDs, pointers, lock) and a neighbour candidate.
HNSW_ELEMENT_BYTES = 128
HNSW_CANDIDATE_BYTES = 16
HNSW_HEADROOM = 1.10
FIXED_OVERHEAD = 16 * MB


@dataclass
class BuildSettings:
    maintenance_work_mem_bytes: int
    workers: int
    estimate_bytes: int
    current_memory_bytes: int
    current_workers: int
    spare_bytes: int | None
    cores: int | None
    reasons: list[str] = field(default_factory=list)
    max_parallel_workers: int = 8

    def settings(self) -> dict[str, str]:
        """GUC -> value for the build session (max_parallel_workers is raised when it is the bound)."""
        out = {"maintenance_work_mem": f"{max(1, self.maintenance_work_mem_bytes // 1024)}kB",
               "max_parallel_maintenance_workers": str(self.workers)}
        if self.workers > self.max_parallel_workers:
            out["max_parallel_workers"] = str(self.workers)
        return out


def value_bytes(key_type: str, dims: int | None) -> int:
    """On-disk/in-memory size of one value of the indexed type (varlena header included)."""
    dims = dims or 0
    if key_type == "vector":
        return 8 + 4 * dims
    if key_type == "halfvec":
        return 8 + 2 * dims
    if key_type == "bit":
        return 8 + (dims + 7) // 8
    return 16 + 8 * min(dims, 1000)  # sparsevec: index + value per non-zero; dims bound the non-zeros


def _align(n: float) -> int:
    return (int(n) + 7) // 8 * 8


def estimate_hnsw_bytes(rows: int, key_type: str, dims: int | None, m: int) -> int:
    """pgvector's in-memory graph: element + neighbour arrays per layer + the value itself."""
    layer0 = 16 + HNSW_CANDIDATE_BYTES * 2 * m
    upper = (1.0 / max(1, m - 1)) * (8 + 16 + HNSW_CANDIDATE_BYTES * m)  # expected upper layers per element
    per_element = HNSW_ELEMENT_BYTES + 16 + _align(layer0) + _align(upper) + _align(value_bytes(key_type, dims))
    return int(rows * per_element * HNSW_HEADROOM) + FIXED_OVERHEAD


def estimate_ivfflat_bytes(rows: int, key_type: str, dims: int | None, lists: int) -> int:
    """k-means samples (50 per list, at least 10,000, at most the rows) plus centers and sums."""
    samples = min(max(rows, 1), max(10_000, lists * 50))
    value = value_bytes(key_type, dims)
    return int(samples * value + 3 * lists * value) + FIXED_OVERHEAD


def parse_size(text: str) -> int:
    """``512MB``, ``2GB``, ``1.5GB``, ``800kB`` or a plain number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)[bB]?\s*", text or "")
    if not match:
        raise BadInput(f"--memory must be a size such as 512MB or 2GB (got {text!r})")
    factor = {"": 1, "k": 1024, "m": MB, "g": 1024 * MB, "t": 1024 * 1024 * MB}[match.group(2).lower()]
    size = int(float(match.group(1)) * factor)
    if size < MB:
        raise BadInput(f"--memory must be at least 1MB (got {text!r})")
    return size


@dataclass
class HostFacts:
    available_bytes: int | None
    cores: int | None
    source: str  # "server" (read through pg_read_file), "local" (same machine), "unknown"


def host_facts(conn) -> HostFacts:
    """The server host's available memory and cores: read through the server when allowed,
    from this machine when the server is on it (unix socket or loopback), else unknown."""
    import psycopg

    resources = fetch_one(conn, "index_server_resources")
    if resources and resources["can_read_server_files"]:
        try:
            with conn.transaction(force_rollback=True):
                row = fetch_one(conn, "index_server_host")
            return HostFacts(_mem_available(row["meminfo"]), row["cpuinfo"].count("processor\t") or None, "server")
        except psycopg.Error:
            pass
    host = conn.info.host or ""
    if host.startswith("/") or host in ("localhost", "127.0.0.1", "::1"):
        try:
            with open("/proc/meminfo") as f:
                mem = _mem_available(f.read())
        except OSError:
            mem = None
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return HostFacts(mem, cores, "local")
    return HostFacts(None, None, "unknown")


def _mem_available(meminfo: str) -> int | None:
    match = re.search(r"^MemAvailable:\s+(\d+)\s*kB", meminfo, re.M)
    return int(match.group(1)) * 1024 if match else None


def size_build(conn, plan, *, memory: str | None = None, workers: int | None = None) -> BuildSettings:
    """Memory and workers for building ``plan`` (an IndexPlan) on this server, with reasons."""
    from apexdb.render.format import human_bytes as hb

    if workers is not None and not 0 <= workers <= MAX_WORKERS:
        raise BadInput(f"--workers must be between 0 and {MAX_WORKERS} (got {workers})")
    cap_by_flag = parse_size(memory) if memory else None
    res = fetch_one(conn, "index_server_resources")
    facts = host_facts(conn)
    current = int(res["maintenance_work_mem_bytes"])
    if plan.method == "hnsw":
        estimate = estimate_hnsw_bytes(plan.rows, plan.key_type, plan.dims, plan.options["m"])
        what = (f"HNSW graph of {plan.rows:,} rows x {plan.dims or '?'} dims at m={plan.options['m']} "
                f"is about {hb(estimate)}")
    else:
        estimate = estimate_ivfflat_bytes(plan.rows, plan.key_type, plan.dims, plan.options["lists"])
        what = f"IVFFlat k-means over {plan.options['lists']} lists needs about {hb(estimate)}"
    spare = facts.available_bytes // 2 if facts.available_bytes else None
    caps = []
    if cap_by_flag:
        caps.append((cap_by_flag, "--memory"))
    if spare:
        caps.append((spare, f"half the {hb(facts.available_bytes)} the server host has available"))
    if not caps:
        caps.append((UNKNOWN_SPARE_CAP, "a 1 GB ceiling, since this role cannot see the server's free memory "
                                        "(pass --memory to allow more)"))
    cap, cap_why = min(caps, key=lambda c: c[0])
    reasons = []
    if cap_by_flag is not None and cap_by_flag < current:
        chosen = cap_by_flag  # --memory is a ceiling, even below the server's setting
        reasons.append(f"maintenance_work_mem {hb(chosen)} for this build (--memory; server setting {hb(current)}): "
                       f"the {what}" + (", so the build slows down once the graph outgrows it"
                                        if estimate > chosen else ""))
    elif estimate <= current:
        chosen = current
        reasons.append(f"maintenance_work_mem {hb(current)} kept: the {what}, which fits")
    elif estimate <= cap:
        chosen = estimate
        reasons.append(f"maintenance_work_mem {hb(chosen)} for this build (server setting {hb(current)}): the {what}")
    else:
        chosen = max(current, cap)
        reasons.append(f"maintenance_work_mem {hb(chosen)} for this build (server setting {hb(current)}): the {what}, "
                       f"capped by {cap_why}; the build slows down once the graph outgrows it")
    current_workers = int(res["max_parallel_maintenance_workers"])
    if workers is not None:
        chosen_workers = workers
        reasons.append(f"max_parallel_maintenance_workers {workers} (--workers)")
    elif facts.cores:
        chosen_workers = max(0, min(facts.cores - 1, int(res["max_worker_processes"]) - 1))
        reasons.append(f"max_parallel_maintenance_workers {chosen_workers}: the server has {facts.cores} cores and "
                       f"the leader builds too (PostgreSQL may use fewer on a small table)")
    else:
        chosen_workers = current_workers
        reasons.append(f"max_parallel_maintenance_workers {current_workers} kept: the server's cores are not visible "
                       f"to this role (pass --workers)")
    shm = _local_shm_free(facts, res["dynamic_shared_memory_type"])
    if (workers is None and chosen_workers > 0 and plan.method == "hnsw" and shm is not None
            and chosen > 0.9 * shm):
        # a parallel HNSW build keeps its graph in dynamic shared memory (/dev/shm): too small a
        # /dev/shm (Docker's default is 64MB) fails the build with "could not resize shared memory"
        chosen_workers = 0
        reasons.append(f"max_parallel_maintenance_workers 0 after all: a parallel build keeps the graph in "
                       f"/dev/shm, which has only {hb(shm)} free; building serially with the full memory")
    return BuildSettings(chosen, chosen_workers, estimate, current, current_workers, spare, facts.cores, reasons,
                         int(res["max_parallel_workers"]))


def _local_shm_free(facts: HostFacts, dsm_type: str) -> int | None:
    """Free bytes of /dev/shm when the server is on this machine and uses POSIX shared memory."""
    if facts.source != "local" or dsm_type != "posix":
        return None
    try:
        st = os.statvfs("/dev/shm")
    except OSError:
        return None
    return st.f_bavail * st.f_frsize
