"""Moved to :mod:`apexdb.ops.search.filters`; this name stays only until ops/tune*.py imports the new one."""
from apexdb.ops.search.filters import *  # noqa: F401,F403
