"""Sequential scans that read many rows to keep a few: name the index that would serve the filter."""
from __future__ import annotations

from apexdb.ops.catalog import btree_index_sql
from apexdb.ops.explain.conditions import analyze_condition, qualified
from apexdb.ops.explain.find_casts import hidden_casts
from apexdb.ops.explain.find_loops import repeated_by
from apexdb.ops.explain.findings import Finding, human_count, node_name

MIN_ROWS = 10_000  # below this a sequential scan is cheap whatever it keeps
MAX_SELECTIVITY = 0.10  # keeping at most 10% of the rows read is "selective"


def find(run) -> list[Finding]:
    out = []
    for node in run.plan.nodes():
        if node.node_type != "Seq Scan" or not node.filter:
            continue
        if repeated_by(node) is not None:
            continue  # a scan repeated per outer row: find_loops says more about it
        if hidden_casts(run, node):
            continue  # a cast hides the index: find_casts names that cause, not a missing index
        table = run.context.table(node)
        scanned, kept = _rows(node, table)
        if scanned < MIN_ROWS or kept / scanned > MAX_SELECTIVITY:
            continue
        out.append(_finding(node, table, scanned, kept))
    return out


def _rows(node, table) -> tuple[float, float]:
    """(rows read, rows kept): measured under ANALYZE, estimated otherwise."""
    if node.analyzed and not node.never_executed:
        kept = node.rows_total
        return kept + node.rows_removed, kept
    total = float(table.estimated_rows) if table else 0.0
    return total, node.estimated_rows


def _finding(node, table, scanned: float, kept: float) -> Finding:
    share = kept / scanned if scanned else 0.0
    measured = "read" if node.analyzed else "would read about"
    message = (f"sequential scan {measured} {human_count(scanned)} rows to keep {human_count(kept)} "
               f"({share:.2%}) with filter {node.filter}")
    severity = "critical" if scanned >= 1_000_000 and share <= 0.01 else "warning"
    comparisons = analyze_condition(node.filter)
    columns = comparisons.columns(node.alias)
    if table is None:
        fix = f"index the filtered columns ({', '.join(columns) or 'see the filter'}) of {node.relation}"
        return Finding(severity, node_name(node), message, fix, node.id)
    if not columns:
        others = comparisons.columns(node.alias, include_other=True)
        if others:
            fix = (f"the filter wraps {', '.join(others)} in a function, pattern or OR that a plain index "
                   f"cannot serve: index that expression (CREATE INDEX CONCURRENTLY ON "
                   f"{qualified(table.schema, table.name)} ((<expression>))), or for LIKE '%...%' a pg_trgm "
                   "GIN index")
        else:
            fix = ("the filter compares no plain column with a value (a subquery or expression); rewrite it "
                   "as a join or as column <op> value, then index that column")
        return Finding(severity, node_name(node), message, fix, node.id)
    if columns[0] in table.indexed_leading_columns:
        fix = (f"an index on {table.display}({columns[0]}) exists but the planner chose a sequential scan: "
               f"run ANALYZE {qualified(table.schema, table.name)} so it sees how selective the filter is")
        return Finding(severity, node_name(node), message, fix, node.id)
    fix = btree_index_sql(table.schema, table.name, columns) + ";"
    return Finding(severity, node_name(node), message, fix, node.id)
