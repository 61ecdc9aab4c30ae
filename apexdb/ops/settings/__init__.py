"""Server settings: the one reader and the one set of memory rules.

Public API:

- :func:`read_settings` (``conn, names``): ``name -> row`` for the named settings this server
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
from apexdb.ops.settings.memory import (MEMORY_SETTINGS, RULES, MemoryFacts, VectorIndexSize, Verdict,
                                        judge_effective_cache_size, judge_maintenance_work_mem,
                                        judge_parallel_maintenance, judge_shared_buffers, judge_work_mem,
                                        maintenance_memory_needed, memory_facts)
from apexdb.ops.settings.reader import read_settings

__all__ = ["MEMORY_SETTINGS", "RULES", "MemoryFacts", "VectorIndexSize", "Verdict", "judge_effective_cache_size",
           "judge_maintenance_work_mem", "judge_parallel_maintenance", "judge_shared_buffers", "judge_work_mem",
           "maintenance_memory_needed", "memory_facts", "read_settings"]
