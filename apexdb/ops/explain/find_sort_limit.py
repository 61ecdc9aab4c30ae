"""``ORDER BY col LIMIT n`` answered by reading and sorting the whole table, for want of an
index on the sort key (with the filter's equality columns first), which would stop after n rows."""
from __future__ import annotations

from dataclasses import dataclass

from apexdb.ops.catalog import btree_index_sql
from apexdb.ops.explain.conditions import analyze_condition
from apexdb.ops.explain.findings import Finding, human_count, node_name

MIN_ROWS = 10_000  # sorting fewer rows is cheap
SCANS = ("Seq Scan", "Parallel Seq Scan")
PASS_THROUGH = ("Gather Merge", "Gather", "Result")


@dataclass
class SortedScan:
    limit: object  # the Limit node
    sort: object  # the Sort node
    scan: object  # the sequential scan feeding it
    keys: list[tuple[str, bool]]  # (column, descending), in ORDER BY order
    equality: list[str]  # the scan filter's equality columns, to lead the index

    @property
    def columns(self) -> list[str]:
        return self.equality + [c for c, _ in self.keys if c not in self.equality]


def sorted_scans(plan) -> list[SortedScan]:
    """Every Limit over a Sort over a lone sequential scan whose sort keys are plain columns."""
    out = []
    for limit in plan.nodes():
        if limit.node_type != "Limit" or not limit.children:
            continue
        sort = limit.children[0]
        while sort.node_type in PASS_THROUGH and sort.children:
            sort = sort.children[0]
        if sort.node_type != "Sort" or not sort.children:
            continue
        scan = sort.children[0]
        while scan.node_type in PASS_THROUGH and scan.children:
            scan = scan.children[0]
        if scan.node_type not in SCANS:
            continue
        keys = _keys(sort.raw.get("Sort Key") or [], scan.alias)
        if keys:
            comparisons = analyze_condition(scan.filter)
            equality = list(dict.fromkeys(c for a, c in comparisons.equality if a in (None, scan.alias)))
            out.append(SortedScan(limit, sort, scan, keys, equality))
    return out


def find(run) -> list[Finding]:
    out = []
    for item in sorted_scans(run.plan):
        table = run.context.table(item.scan)
        rows = _rows(item.scan, table)
        if table is None or rows < MIN_ROWS:
            continue
        if item.columns[0] in table.indexed_leading_columns and not item.equality:
            continue  # the index exists; the planner preferred the sort (a selective filter): not this cause
        order = ", ".join(f"{c}{' DESC' if d else ''}" for c, d in item.keys)
        message = (f"ORDER BY {order} LIMIT sorts every row the scan of {table.display} returns "
                   f"(about {human_count(rows)}) to keep the first few: no index has the sort key")
        desc = [c for c, d in item.keys if d]
        fix = (f"{btree_index_sql(table.schema, table.name, item.columns, descending=desc)}; "
               "the scan then stops after LIMIT rows")
        out.append(Finding("warning", node_name(item.sort), message, fix, item.sort.id))
    return out


def _rows(scan, table) -> float:
    if scan.analyzed and not scan.never_executed:
        return scan.rows_total + scan.rows_removed
    return float(table.estimated_rows) if table else scan.estimated_rows


def _keys(sort_keys: list[str], alias: str | None) -> list[tuple[str, bool]]:
    """Plain-column sort keys (``created_at DESC``, ``e.id``); empty when any key is an expression."""
    import pglast
    from pglast.ast import ColumnRef, String
    from pglast.enums import SortByDir
    from pglast.parser import ParseError

    try:
        select = pglast.parse_sql("SELECT 1 ORDER BY " + ", ".join(sort_keys))[0].stmt
    except ParseError:
        return []
    keys = []
    for item in select.sortClause:
        node = item.node
        if not isinstance(node, ColumnRef):
            return []
        names = [f.sval for f in node.fields if isinstance(f, String)]
        if not names or (len(names) > 1 and alias and names[-2] != alias):
            return []
        keys.append((names[-1], item.sortby_dir == SortByDir.SORTBY_DESC))
    return keys
