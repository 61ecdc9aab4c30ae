"""Sequential scans repeated once per outer row: the inner side of a nested loop, or a
correlated subquery (SubPlan). Each repeat reads the whole table again."""
from __future__ import annotations

from apexdb.ops.catalog import btree_index_sql
from apexdb.ops.explain.conditions import analyze_condition
from apexdb.ops.explain.findings import Finding, human_count, node_name

MIN_REPEATS = 100


def find(run) -> list[Finding]:
    out = []
    for scan in run.plan.nodes():
        if scan.node_type != "Seq Scan":
            continue
        driver = repeated_by(scan)
        if driver is None:
            continue
        repeats = scan.loops if scan.analyzed else _estimated_repeats(driver)
        if repeats < MIN_REPEATS:
            continue
        out.append(_finding(run, driver, scan, repeats))
    return out


def repeated_by(scan):
    """The Nested Loop (or the node running a SubPlan) that reruns ``scan``, if any;
    None when a Hash, Materialize or Memoize in between makes it read the table once."""
    child = scan
    for node in scan.ancestors():
        if child.parent_relationship == "SubPlan":
            return node
        if node.node_type in ("Hash", "Materialize", "Memoize"):
            return None
        if node.node_type == "Nested Loop" and len(node.children) > 1 and child is node.children[1]:
            return node
        child = node
    return None


def _estimated_repeats(driver) -> int:
    if driver.node_type == "Nested Loop":
        return int(driver.children[0].estimated_rows)
    return int(driver.estimated_rows)


def _finding(run, driver, scan, repeats: int) -> Finding:
    table = run.context.table(scan)
    conditions = " AND ".join(c for c in (driver.raw.get("Join Filter"), scan.filter) if c)
    comparisons = analyze_condition(conditions)
    columns = comparisons.join_columns(scan.alias) or comparisons.columns(scan.alias)
    what = "nested loop" if driver.node_type == "Nested Loop" else "correlated subquery"
    rows = ""
    if scan.analyzed:
        rows = f", reading {human_count(scan.rows_total + scan.rows_removed)} rows in all"
    message = (f"{what} runs a sequential scan of {scan.relation} {human_count(repeats)} times"
               f" (once per outer row){rows}")
    severity = "critical" if repeats >= 10_000 else "warning"
    if table is not None and columns:
        fix = f"{btree_index_sql(table.schema, table.name, columns)}; so each repeat becomes an index lookup"
    else:
        fix = (f"index the column of {scan.relation} that the join compares so each repeat becomes an index "
               "lookup; if the outer row count is underestimated, ANALYZE the outer table so the planner "
               "picks a hash join")
    return Finding(severity, node_name(scan), message, fix, scan.id)
