"""Moved to :mod:`apexdb.ops.search.recall`; this name stays only until ops/tune*.py imports the new one."""
from apexdb.ops.search.recall import *  # noqa: F401,F403
