"""``apexdb stats``: what the server is doing. Every function returns data (the views are in
:mod:`apexdb.render.stats`) and reads inside a READ ONLY transaction with timeouts.

Public API:

- :func:`top_statements`, :func:`reset_statements` (``stats queries``, pg_stat_statements;
  :func:`statements_access` says whether it can be read)
- :func:`table_stats`, :func:`index_stats`, :func:`cache_stats` (``stats tables|indexes|cache``)
- :func:`activity` (``stats activity``, ``include_idle=True`` for ``--all``)
- :func:`settings_report` (``stats settings``: the memory rules of :mod:`apexdb.ops.settings`)
- :func:`progress_report`, :func:`watch_progress` (``stats progress``: the one progress engine,
  :mod:`apexdb.db.progress`, over every session's work)
- :func:`locks` (``stats locks``: locks held and awaited, the blocking tree)
"""
from apexdb.ops.stats.activity import ActivityReport, activity
from apexdb.ops.stats.locks import LocksReport, locks
from apexdb.ops.stats.progress import ProgressReport, progress_report, watch_progress
from apexdb.ops.stats.queries import StatementsReport, reset_statements, statements_access, top_statements
from apexdb.ops.stats.settings import SettingsReport, settings_report
from apexdb.ops.stats.tables import CacheReport, cache_stats, index_stats, table_stats

__all__ = ["ActivityReport", "CacheReport", "LocksReport", "ProgressReport", "SettingsReport", "StatementsReport",
           "activity", "cache_stats", "index_stats", "locks", "progress_report", "reset_statements", "settings_report",
           "statements_access", "table_stats", "top_statements", "watch_progress"]
