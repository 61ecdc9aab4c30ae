"""The distance metrics a project's own queries order its vector columns by, from a query file
(``migrate lint --queries queries.sql``; the reachable server's pg_stat_statements adds its own,
see server_facts), so an index built with another metric's opclass is
reported: the planner uses an HNSW/IVFFlat index only for ``ORDER BY col <op> ...`` with the
operator of its opclass. The query reading is the audit's (apexdb.ops.audit.workload), so
``audit`` and ``migrate lint`` attribute a query to a column the same way.
"""
from __future__ import annotations

from pathlib import Path

from apexdb.errors import BadInput
from apexdb.ops.catalog import OPERATOR_METRIC


def metrics_from_files(paths: list[str]) -> dict[tuple[str, str], set[str]]:
    """(table, column) -> the metrics the queries in ``paths`` order it by."""
    from apexdb.ops.audit.workload import operator_uses
    from apexdb.ops.lint.statements import parse

    rows = []
    for name in paths:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"--queries {name}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
        parsed = parse(text, name)
        rows += [{"query": parsed.text[s.start:s.end], "calls": 1} for s in parsed.statements]
    out: dict[tuple[str, str], set[str]] = {}
    for use in operator_uses(rows):
        out.setdefault((use.table, use.column), set()).add(OPERATOR_METRIC[use.operator])
    return out
