"""Moved to :mod:`apexdb.ops.search.vector`; this name stays only until ops/tune*.py imports the new one."""
from apexdb.ops.search.vector import *  # noqa: F401,F403
