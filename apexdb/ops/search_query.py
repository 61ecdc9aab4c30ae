"""Moved to :mod:`apexdb.ops.search.query`; this name stays only until ops/tune*.py imports the new one."""
from apexdb.ops.search.query import *  # noqa: F401,F403
