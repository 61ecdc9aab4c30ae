"""Former name of :mod:`apexdb.ops.catalog`, kept only while modules outside the search/explain/audit
area still import it (ops/load.py, ops/lint/, ops/stats_settings.py). New code imports :mod:`apexdb.ops.catalog`; delete this once they do.
"""
from apexdb.ops.catalog import *  # noqa: F401,F403
from apexdb.ops.catalog import __all__  # noqa: F401
