"""An index scan whose filter throws away most of what the index found: the index leads with the
right column but lacks the filter's, so the table is read row by row only to discard the rows."""
from __future__ import annotations

from apexdb.ops.catalog import btree_index_sql
from apexdb.ops.explain.conditions import analyze_condition
from apexdb.ops.explain.findings import Finding, human_count, node_name

MIN_REMOVED = 1_000
MIN_SHARE = 0.9  # of the rows the index found
SCANS = ("Index Scan", "Index Only Scan", "Bitmap Heap Scan")


def find(run) -> list[Finding]:
    out = []
    for node in run.plan.nodes():
        if node.node_type not in SCANS or not node.analyzed or not node.filter:
            continue
        removed, kept = node.rows_removed, node.rows_total
        if removed < MIN_REMOVED or removed < MIN_SHARE * (removed + kept):
            continue
        table = run.context.table(node)
        cond = node.raw.get("Index Cond") or node.raw.get("Recheck Cond")
        found = analyze_condition(cond).columns(node.alias)
        extra = [c for c in analyze_condition(node.filter).columns(node.alias) if c not in found]
        message = (f"the index found {human_count(removed + kept)} rows and the filter {node.filter} threw away "
                   f"{human_count(removed)} of them ({removed / (removed + kept):.0%})")
        if table is None or not extra or not found:
            fix = "index the filter's columns together with the index condition's, so the index finds only the rows kept"
        else:
            columns = [c for c in found if c in {col for _, col in analyze_condition(cond).equality}]
            columns += [c for c in extra if c not in columns] + [c for c in found if c not in columns]
            columns = list(dict.fromkeys(columns))
            fix = (f"{btree_index_sql(table.schema, table.name, columns)}; "
                   f"then {node.index or 'the narrower index'} may be redundant")
        out.append(Finding("warning", node_name(node), message, fix, node.id))
    return out
