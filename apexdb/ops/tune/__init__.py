"""``apexdb tune``: the hnsw.ef_search / ivfflat.probes that meets a recall target at the least
latency, measured with queries that are not nodes of the index.

Public API:
- :class:`TuneRequest`, :func:`run_tune` -> :class:`TuneResult` (``run``): the whole run.
- :func:`apply_settings` (``apply``): ``--apply``, ALTER DATABASE/ROLE ... SET.
- ``sources``: where the query vectors come from (file, SQL, held-out rows, --fast rows) and
  each source's label; ``scratch``: the default method's rolled-back copy and its cost;
  ``measure``: exact answers, recall and latency; ``strategy``: the walk over the setting.
The view (summary, sweep, chart, JSON document) is :mod:`apexdb.render.tune`.
"""
from apexdb.ops.tune.apply import apply_settings
from apexdb.ops.tune.run import Trial, TuneRequest, TuneResult, needed_queries, run_tune

__all__ = ["Trial", "TuneRequest", "TuneResult", "apply_settings", "needed_queries", "run_tune"]
