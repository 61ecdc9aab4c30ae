"""Candidate B-tree indexes read from one statement's plan.

Where the plan reads a whole table to keep few rows, the condition says which index would
serve it: the filter's equality columns first, then one range column (WHERE); the columns
a nested loop's inner scan is joined on (JOIN); the equality columns, then the sort key,
for ``ORDER BY ... LIMIT`` answered by sorting the table. Column roles come from
PostgreSQL's parser over the plan's conditions (``explain.conditions``), never regexes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from apexdb.ops.explain.conditions import analyze_condition
from apexdb.ops.explain.find_casts import hidden_casts
from apexdb.ops.explain.find_loops import repeated_by
from apexdb.ops.explain.find_sort_limit import sorted_scans

SEQ_SCANS = ("Seq Scan", "Parallel Seq Scan")
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
MAX_SELECTIVITY = 0.10  # an index pays when the scan keeps at most this share of the table
MAX_JOIN_SHARE = 0.01  # a hash join whose other side brings at most this share of the big table's rows


@dataclass
class Candidate:
    schema: str
    table: str
    table_oid: int
    table_rows: int
    equality: list[str]
    range: str | None = None  # one range or sort column, after the equality ones
    descending: set[str] = field(default_factory=set)
    source: str = "where"  # where | join | order_by

    @property
    def columns(self) -> list[str]:
        return self.equality + ([self.range] if self.range and self.range not in self.equality else [])


def candidates(run, *, min_table_rows: int) -> list[Candidate]:
    """The candidates of one planned statement (one per scanned table that needs one)."""
    out: list[Candidate] = []
    seen: set[int] = set()
    for item in sorted_scans(run.plan):  # ORDER BY ... LIMIT over a sequential scan
        table = _table(run, item.scan, min_table_rows)
        if table is None:
            continue
        seen.add(item.scan.id)
        sort_col, desc = item.keys[0]
        out.append(Candidate(table.schema, table.name, table.oid, table.estimated_rows, list(item.equality),
                             sort_col, {sort_col} if desc else set(), "order_by"))
    for join in run.plan.nodes():  # a few rows hashed against a whole table: index the big side's join column
        found = _hash_join(run, join, min_table_rows)
        if found:
            seen.add(found[0].id)
            out.append(found[1])
    for scan in run.plan.nodes():
        if scan.node_type not in SEQ_SCANS or scan.id in seen:
            continue
        table = _table(run, scan, min_table_rows)
        if table is None or hidden_casts(run, scan):
            continue
        driver = repeated_by(scan)
        if driver is not None:  # the inner side of a nested loop: index the join columns
            condition = " AND ".join(c for c in (driver.raw.get("Join Filter"), scan.filter) if c)
            joined = analyze_condition(condition).join_columns(scan.alias)
            if joined:
                out.append(Candidate(table.schema, table.name, table.oid, table.estimated_rows, joined,
                                     source="join"))
                continue
        if not scan.filter or _kept_share(scan, table) > MAX_SELECTIVITY:
            continue
        comparisons = analyze_condition(scan.filter)
        equality = [c for a, c in comparisons.equality if a in (None, scan.alias)]
        ranges = [c for a, c in comparisons.range if a in (None, scan.alias) and c not in equality]
        equality = list(dict.fromkeys(equality))
        if equality or ranges:
            out.append(Candidate(table.schema, table.name, table.oid, table.estimated_rows, equality,
                                 ranges[0] if ranges else None))
    return out


def _hash_join(run, join, min_table_rows: int):
    """(the big side's scan, its candidate) for a Hash Join of few rows against a whole table."""
    if join.node_type != "Hash Join" or len(join.children) != 2 or not join.raw.get("Hash Cond"):
        return None
    outer, inner = join.children[0], join.children[1]
    inner = inner.children[0] if inner.node_type == "Hash" and inner.children else inner
    for big, small in ((outer, inner), (inner, outer)):
        if big.node_type not in SEQ_SCANS or big.filter:
            continue
        table = _table(run, big, min_table_rows)
        if table is None or small.estimated_rows > MAX_JOIN_SHARE * max(table.estimated_rows, 1):
            continue
        joined = analyze_condition(join.raw["Hash Cond"]).join_columns(big.alias)
        if joined:
            return big, Candidate(table.schema, table.name, table.oid, table.estimated_rows, joined[:1],
                                  source="join")
    return None


def _table(run, scan, min_table_rows: int):
    table = run.context.table(scan)
    if table is None or table.schema in SYSTEM_SCHEMAS or table.schema.startswith("pg_temp"):
        return None
    rows = max(table.estimated_rows, table.live_rows or 0)  # reltuples is -1 (shown 0) before any ANALYZE
    return table if rows >= min_table_rows else None


def _kept_share(scan, table) -> float:
    """The share of the table the scan keeps, from the estimate (a generic plan has no actual rows)."""
    rows = scan.estimated_rows
    if scan.node_type == "Parallel Seq Scan" and scan.parent is not None:
        gather = next((n for n in scan.ancestors() if n.node_type in ("Gather", "Gather Merge")), None)
        rows *= int(gather.raw.get("Workers Planned", 0)) + 1 if gather else 1  # estimates are per process
    return rows / max(table.estimated_rows, 1)
