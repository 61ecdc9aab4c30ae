"""Moved to :mod:`apexdb.ops.search.explain`; this name stays only until ops/tune*.py imports the new one."""
from apexdb.ops.search.explain import *  # noqa: F401,F403
