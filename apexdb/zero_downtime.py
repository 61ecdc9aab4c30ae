"""Kept so revisions written with ``from apexdb import zero_downtime as zd`` still import.

The module is :mod:`apexdb.ops.migrate.zero_downtime`; this name is that same module object.
"""
import sys

from apexdb.ops.migrate import zero_downtime as _module

sys.modules[__name__] = _module
