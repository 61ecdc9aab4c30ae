"""Moved to :mod:`apexdb.ops.search.target`; this name stays only until ops/tune*.py imports the new one."""
from apexdb.ops.search.target import *  # noqa: F401,F403
