"""Server settings: the one reader and the one set of memory rules.

Public API:

- :func:`read_settings` (``conn, names``, below): ``name -> row`` for the named settings this server
  has (value as shown, raw setting, bytes for sizes, default, whether at the default, source),
  with pgvector's ``hnsw.*``/``ivfflat.*`` visible. Used by ``info``, ``stats settings`` and
  ``audit config``.
- :class:`MemoryFacts`, :class:`Verdict`, :class:`VectorIndexSize` and the rules
  :data:`RULES` (``judge_shared_buffers``, ``judge_effective_cache_size``, ``judge_work_mem``,
  ``judge_maintenance_work_mem``, ``judge_parallel_maintenance``): one verdict per setting,
  shown as a row by ``stats settings`` and as a finding by ``audit config``.
- :func:`memory_facts` (``conn, ram_bytes=..., temp_bytes_warning=...``): the facts the rules
  read, gathered from the server (what ``stats settings`` uses; the audit builds them from
  the catalog it has already read).
- :func:`maintenance_memory_needed`: the memory a rebuild of a vector index of a given size
  needs (also the ``hnsw_exceeds_maintenance_work_mem`` check of ``audit indexes``).
"""
from __future__ import annotations

from typing import Any, Iterable

from apexdb.db.connection import server_versions
from apexdb.db.queries import fetch
from apexdb.ops.settings.memory import (MEMORY_SETTINGS, RULES, MemoryFacts, VectorIndexSize, Verdict,
                                        judge_effective_cache_size, judge_maintenance_work_mem,
                                        judge_parallel_maintenance, judge_shared_buffers, judge_work_mem,
                                        maintenance_memory_needed, memory_facts)

__all__ = ["MEMORY_SETTINGS", "RULES", "MemoryFacts", "VectorIndexSize", "Verdict", "judge_effective_cache_size",
           "judge_maintenance_work_mem", "judge_parallel_maintenance", "judge_shared_buffers", "judge_work_mem",
           "maintenance_memory_needed", "memory_facts", "read_settings"]


def read_settings(conn, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``name -> row`` for the settings among ``names`` this server has, in the order asked.

    A row: ``name``, ``value`` (as SHOW prints it), ``setting`` and ``unit`` (pg_settings'),
    ``bytes`` (sizes only), ``default_value`` and ``default_bytes``, ``at_default``, ``source``.
    pgvector's settings (``hnsw.*``, ``ivfflat.*``) exist only once its library is loaded in
    the session, so it is loaded first where the extension is installed.
    """
    if server_versions(conn).get("vector") is not None:
        fetch(conn, "settings_load_vector_library")
    return {row["name"]: row for row in fetch(conn, "settings_read", {"names": list(names)})}
