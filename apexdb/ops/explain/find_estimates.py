"""Row estimates off by 10x or more, reported where they start (not at every node above)."""
from __future__ import annotations

from apexdb.ops.explain.conditions import analyze_condition, qualified, quote_ident
from apexdb.ops.explain.find_casts import hidden_casts
from apexdb.ops.explain.findings import Finding, human_count, node_name

FACTOR = 10.0
MIN_ROWS = 100  # 1 row estimated against 9 found changes no plan


def find(run) -> list[Finding]:
    if not run.plan.analyzed:
        return []
    out = []
    for node in run.plan.nodes():
        if not _off(node) or any(_off(child) for child in node.children):
            continue
        if hidden_casts(run, node):
            continue  # the cast makes the estimate a default guess; statistics cannot fix it (find_casts)
        out.append(_finding(run, node))
    return out


def _off(node) -> bool:
    factor = node.misestimate
    if factor is None or factor < FACTOR:
        return False
    if not node.underestimated and node.may_stop_early:
        return False  # a LIMIT (or a merge/semi join) stopped reading it: not the estimate's fault
    return max(node.actual_rows or 0.0, node.estimated_rows) >= MIN_ROWS


def _finding(run, node) -> Finding:
    direction = "under" if node.underestimated else "over"
    message = (f"estimated {human_count(node.estimated_rows)} rows, found {human_count(node.actual_rows)} "
               f"per loop ({node.misestimate:,.0f}x {direction}estimate)")
    severity = "critical" if node.misestimate >= 1000 and (node.share or 0) >= 0.2 else "warning"
    return Finding(severity, node_name(node), message, _fix(run, node), node.id)


def _fix(run, node) -> str:
    table = run.context.table(node) if node.relation else None
    if table is None:
        tables = sorted({t.display for t in (run.context.table(n) for n in node.walk() if n.relation) if t})
        names = ", ".join(tables[:5]) or "the tables below this node"
        if len(tables) > 5:
            names += f" (and {len(tables) - 5} more tables below this node)"
        return (f"ANALYZE {names}; if the estimate stays off, raise the statistics target of the join "
                "columns (ALTER TABLE ... ALTER COLUMN ... SET STATISTICS 1000) and ANALYZE again")
    target = qualified(table.schema, table.name)
    if table.stale_statistics:
        when = "never been analyzed" if table.last_analyzed is None else (
            f"had {human_count(table.modified_since_analyze or 0)} rows changed since its last ANALYZE")
        return f"ANALYZE {target}; (the table has {when})"
    condition = " AND ".join(c for c in (node.raw.get("Index Cond"), node.filter) if c)
    columns = analyze_condition(condition).columns(node.alias, include_other=True)
    if len(columns) >= 2:
        cols = ", ".join(quote_ident(c) for c in columns[:8])
        name = quote_ident(f"{table.name}_{'_'.join(columns[:8])}_stats"[:63])
        return (f"the filter's columns are correlated: CREATE STATISTICS {name} (dependencies, ndistinct, mcv) "
                f"ON {cols} FROM {target}; ANALYZE {target};")
    if columns:
        return (f"ALTER TABLE {target} ALTER COLUMN {quote_ident(columns[0])} SET STATISTICS 1000; "
                f"ANALYZE {target};")
    return (f"the planner guesses the selectivity of {condition or 'this node'} (a subquery or expression); "
            f"rewrite it as a join or a plain column comparison, or CREATE STATISTICS on the expression "
            f"(PostgreSQL 14+) FROM {target}")
