"""The memory rules: one verdict per setting, the same for ``stats settings`` and ``audit config``.

The guidance is PostgreSQL's own ("Resource Consumption" in the manual) as pgtune applies it:

- shared_buffers: 25% of RAM is the usual starting point; above 40% rarely helps and leaves
  too little for the OS cache and work_mem. Below half the starting point is worth knowing
  (info), not a fault: the OS cache still holds the pages.
- effective_cache_size: about 75% of RAM; far lower makes index scans look expensive.
- work_mem: RAM x 0.25 / max_connections. Each sort or hash of each session may take it
  (hashes hash_mem_multiplier times it), so max_connections of them above half the RAM is a
  warning. Lower than the guidance is fine unless queries spill to temporary files, which
  pg_stat_database counts: that evidence, not the formula, says when to raise it.
- maintenance_work_mem: an HNSW build is fast only while its graph fits; it matters when an
  index is (re)built, which can set it for its own session, so a graph that does not fit is
  info, capped at half the RAM.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from apexdb.units import GB, human_bytes, setting_size

MEMORY_SETTINGS = ("shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem",
                   "max_parallel_maintenance_workers", "max_connections", "hash_mem_multiplier")
GRAPH_OVERHEAD = 1.25  # the graph in memory is a little larger than the index on disk


@dataclass(frozen=True)
class VectorIndexSize:
    name: str  # schema.name
    method: str
    size_bytes: int


@dataclass
class MemoryFacts:
    """What the rules judge: the settings (read_settings rows), the RAM and the evidence."""

    settings: dict[str, dict[str, Any]]
    ram_bytes: int | None
    vector_indexes: list[VectorIndexSize] = field(default_factory=list)
    temp_files: int = 0
    temp_bytes: int = 0
    temp_bytes_warning: int = GB  # temporary files above this since the statistics reset: work_mem is too small
    database: str = ""
    database_size: int | None = None

    @property
    def largest(self) -> VectorIndexSize | None:
        return max(self.vector_indexes, key=lambda i: i.size_bytes, default=None)

    @property
    def vector_bytes(self) -> int:
        return sum(i.size_bytes for i in self.vector_indexes)


@dataclass
class Verdict:
    name: str
    value: str | None
    bytes: int | None
    recommended: str | None
    status: str  # "ok", "info" or "warning"
    note: str
    statements: list[str] = field(default_factory=list)  # SQL that applies the recommendation
    comments: list[str] = field(default_factory=list)  # what to do by hand (restart, per-session SET)
    needs_ram: bool = False  # nothing to judge until the RAM is known (the audit stays quiet)

    def row(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "bytes": self.bytes, "recommended": self.recommended,
                "status": self.status, "note": self.note}


def _verdict(facts: MemoryFacts, name: str, recommended: str | None, status: str, note: str,
             **extra: Any) -> Verdict:
    s = facts.settings.get(name) or {}
    return Verdict(name, s.get("value"), s.get("bytes"), recommended, status, note, **extra)


def _restart(name: str, value: str) -> list[str]:
    return [f"ALTER SYSTEM SET {name} = '{value}';  -- then restart the server"]


def judge_shared_buffers(facts: MemoryFacts) -> Verdict:
    s, ram, vec = facts.settings["shared_buffers"], facts.ram_bytes, facts.vector_bytes
    buffers = int(s["bytes"])
    if ram is not None and vec > ram * 0.75:
        return _verdict(facts, "shared_buffers", setting_size(ram * 0.25), "warning",
                        f"vector indexes take {human_bytes(vec)}, more than the server's {human_bytes(ram)} of RAM "
                        "can cache: ANN searches read from disk; add RAM, or shrink the indexes (halfvec, fewer "
                        "dimensions)")
    if ram is not None and buffers > ram * 0.4:
        return _verdict(facts, "shared_buffers", setting_size(ram * 0.25), "warning",
                        f"{human_bytes(buffers)} is above 40% of the server's {human_bytes(ram)} RAM: it leaves too "
                        "little for the OS cache and work_mem", comments=_restart("shared_buffers",
                                                                                  setting_size(ram * 0.25)))
    if ram is not None and buffers < ram * 0.25 / 2:
        return _verdict(facts, "shared_buffers", setting_size(ram * 0.25), "info",
                        f"{human_bytes(buffers)} is well below the usual starting point of 25% of the server's "
                        f"{human_bytes(ram)} RAM ({human_bytes(ram * 0.25)}): more reads go to the OS cache",
                        comments=_restart("shared_buffers", setting_size(ram * 0.25)))
    recommended = setting_size(ram * 0.25) if ram is not None else "25% of RAM"
    if vec > buffers:
        return _verdict(facts, "shared_buffers", recommended, "info",
                        f"vector indexes take {human_bytes(vec)}, more than shared_buffers ({human_bytes(buffers)}): "
                        "ANN searches read pages from the OS cache; pg_prewarm or more RAM keep them hot")
    if ram is None and s["at_default"] and (facts.database_size or 0) > buffers:
        return _verdict(facts, "shared_buffers", recommended, "info",
                        f"at the compiled-in default {human_bytes(buffers)} for a {human_bytes(facts.database_size)} "
                        "database; the usual starting point is 25% of the server's RAM",
                        comments=_restart("shared_buffers", "<25% of RAM>"))
    if ram is None:
        return _verdict(facts, "shared_buffers", recommended, "info", "pass --ram to compare", needs_ram=True)
    return _verdict(facts, "shared_buffers", recommended, "ok", "about a quarter of RAM")


def judge_effective_cache_size(facts: MemoryFacts) -> Verdict:
    s, ram = facts.settings["effective_cache_size"], facts.ram_bytes
    if ram is None:
        return _verdict(facts, "effective_cache_size", "75% of RAM", "info", "pass --ram to compare", needs_ram=True)
    want = ram * 0.75
    if want * 0.5 <= s["bytes"] <= ram:
        return _verdict(facts, "effective_cache_size", setting_size(want), "ok", "about three quarters of RAM")
    return _verdict(facts, "effective_cache_size", setting_size(want), "warning",
                    "the planner's idea of the cache; too low makes index scans look expensive",
                    statements=[f"ALTER SYSTEM SET effective_cache_size = '{setting_size(want)}';",
                                "SELECT pg_reload_conf();"])


def judge_work_mem(facts: MemoryFacts) -> Verdict:
    s, ram = facts.settings["work_mem"], facts.ram_bytes
    work_mem, conns = int(s["bytes"]), int(facts.settings["max_connections"]["setting"])
    guide = ram * 0.25 / conns if ram else None
    formula = f"RAM {human_bytes(ram)} x 0.25 / max_connections {conns}" if ram else ""
    if ram and work_mem * conns > ram / 2:
        return _verdict(facts, "work_mem", setting_size(guide), "warning",
                        f"work_mem {human_bytes(work_mem)} x max_connections {conns} = {human_bytes(work_mem * conns)}, "
                        f"more than half the server's {human_bytes(ram)} of RAM: each sort or hash of each session "
                        f"may use it, so busy hours can run the server out of memory; the guidance is {formula} = "
                        f"{human_bytes(guide)}",
                        statements=[f"ALTER SYSTEM SET work_mem = '{setting_size(guide)}';", "SELECT pg_reload_conf();"],
                        comments=["raise it per role or per query (SET LOCAL) where a query needs more"])
    if facts.temp_bytes >= facts.temp_bytes_warning:
        return _spilling(facts, work_mem, conns)
    if ram is None:
        return _verdict(facts, "work_mem", "RAM x 0.25 / max_connections", "info",
                        f"pass --ram to compute (max_connections = {conns})", needs_ram=True)
    if work_mem < guide * 0.5:
        spilled = (f"only {human_bytes(facts.temp_bytes)} of temporary files" if facts.temp_bytes
                   else "no temporary files")
        return _verdict(facts, "work_mem", setting_size(guide), "ok",
                        f"{formula}: below the guidance, but {spilled} since the statistics reset (sorts and hashes "
                        "fit): no need to raise it")
    return _verdict(facts, "work_mem", setting_size(guide), "ok", formula)


def _spilling(facts: MemoryFacts, work_mem: int, conns: int) -> Verdict:
    """Sorts and hashes write temporary files: double work_mem, as far as the RAM allows."""
    ram, doubled = facts.ram_bytes, work_mem * 2
    detail = (f"{facts.temp_files:,} temporary files ({human_bytes(facts.temp_bytes)}) written since the statistics "
              f"reset: sorts and hashes outgrow work_mem = {human_bytes(work_mem)} and spill to disk")
    per_statement = ("raise it only for the statements that spill (pg_stat_statements.temp_blks_written); each sort or "
                     "hash of each connection may use work_mem")
    if ram and doubled * conns > ram / 2:
        return _verdict(facts, "work_mem", None, "warning", detail + f"; doubling it for every connection would pass "
                        f"half the {human_bytes(ram)} of RAM", comments=[per_statement])
    from apexdb.sql import quote_ident

    return _verdict(facts, "work_mem", setting_size(doubled), "warning", detail,
                    statements=[f"ALTER DATABASE {quote_ident(facts.database)} SET work_mem = "
                                f"'{setting_size(doubled)}';"], comments=["or " + per_statement])


def maintenance_memory_needed(index_bytes: int) -> int:
    """maintenance_work_mem that holds the graph of a vector index of ``index_bytes`` on disk."""
    return int(index_bytes * GRAPH_OVERHEAD)


def judge_maintenance_work_mem(facts: MemoryFacts) -> Verdict:
    s, largest, ram = facts.settings["maintenance_work_mem"], facts.largest, facts.ram_bytes
    if largest is None:
        return _verdict(facts, "maintenance_work_mem", None, "ok", "no vector index to weigh it against")
    need = maintenance_memory_needed(largest.size_bytes)
    which = f"the largest vector index ({largest.name}, {human_bytes(largest.size_bytes)})"
    if s["bytes"] >= need:
        return _verdict(facts, "maintenance_work_mem", setting_size(max(need, s["bytes"])), "ok", f"{which} fits")
    want = setting_size(min(need, ram * 0.5) if ram else need)
    from apexdb.sql import quote_ident

    return _verdict(facts, "maintenance_work_mem", want, "info",
                    f"{which} does not fit in {human_bytes(s['bytes'])}: a rebuild writes the graph to disk and runs "
                    f"many times slower; SET maintenance_work_mem = '{want}' in the session that rebuilds it "
                    "(apexdb index create sizes it for each build)",
                    statements=[f"ALTER DATABASE {quote_ident(facts.database)} SET maintenance_work_mem = '{want}';"]
                    if facts.database else [],
                    comments=["autovacuum workers use it too unless autovacuum_work_mem is set"])


def judge_parallel_maintenance(facts: MemoryFacts) -> Verdict:
    s = facts.settings["max_parallel_maintenance_workers"]
    if int(s["setting"]) < 2:
        return _verdict(facts, "max_parallel_maintenance_workers", "2", "info",
                        "HNSW and IVFFlat builds use parallel workers (pgvector 0.6+)")
    return _verdict(facts, "max_parallel_maintenance_workers", None, "ok", "parallel index builds enabled")


RULES: dict[str, Callable[[MemoryFacts], Verdict]] = {
    "shared_buffers": judge_shared_buffers,
    "effective_cache_size": judge_effective_cache_size,
    "work_mem": judge_work_mem,
    "maintenance_work_mem": judge_maintenance_work_mem,
    "max_parallel_maintenance_workers": judge_parallel_maintenance,
}


def memory_facts(conn, *, ram_bytes: int | None, temp_bytes_warning: int = GB) -> MemoryFacts:
    """The settings, the vector indexes' sizes and the temporary files, read from the server."""
    from apexdb.db.connection import server_versions
    from apexdb.db.queries import fetch_one
    from apexdb.ops.settings import read_settings
    from apexdb.ops.catalog import vector_indexes

    settings = read_settings(conn, MEMORY_SETTINGS)
    indexes = vector_indexes(conn) if server_versions(conn).get("vector") is not None else []
    temp = fetch_one(conn, "settings_temp_files") or {}
    return MemoryFacts(settings, ram_bytes,
                       [VectorIndexSize(f"{i.schema}.{i.name}", i.method, i.size_bytes) for i in indexes],
                       int(temp.get("temp_files") or 0), int(temp.get("temp_bytes") or 0), temp_bytes_warning,
                       temp.get("database") or "", temp.get("database_size"))
