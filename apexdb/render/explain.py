"""The view of ``apexdb explain``: the plan as a tree, then the findings table.

The tree has one line per node with its figures, conditions beneath it. On a terminal the
renderer prints it as a rich Tree (``Renderer.rich``); piped or in markdown,
:func:`plain_text` gives the same tree as plain text, one node per line whatever the
width (a rich Console would crop or wrap at 80 columns). JSON is the report's document
(:meth:`apexdb.ops.explain.ExplainReport.as_json`); CSV is one row per plan node.
"""
from __future__ import annotations

from apexdb.render.format import human_int, human_ms
from apexdb.render.output import Column, Section, cols

SLOW_SHARE = 0.10  # a node taking at least 10% of the execution time may be highlighted
FINDING_COLUMNS = [Column("number", "#", kind="int"), Column("severity", kind="severity"), Column("node"),
                   Column("message"), Column("fix")]
NODE_COLUMNS = cols("id:int", "node", "parent_relationship", "estimated_rows:float", "actual_rows:float", "loops:int",
                    "exclusive_ms:float", "inclusive_ms:float", "share:float", "buffers_hit:int", "buffers_read:int",
                    "filter", "rows_removed:float")


def show_explain(out, report) -> None:
    """Render an :class:`apexdb.ops.explain.ExplainReport` in the renderer's format."""
    if out.fmt == "json":
        out.document(report.as_json())
        return
    if out.fmt == "csv":
        out.table(node_rows(report.run.plan), NODE_COLUMNS)
        return
    tree = plan_tree(report.run, report.findings)
    if out.fmt == "markdown":
        out.line("```")
        out.line(plain_text(tree))
        out.line("```\n")
    elif out.rich_stdout:
        out.rich(tree)
        out.line("")
    else:  # piped: the same tree, plain, one node per line
        out.line(plain_text(tree))
        out.line("")
    findings = [{"number": i, **f.as_json()} for i, f in enumerate(report.findings, 1)]
    out.sections([Section("Findings", findings, FINDING_COLUMNS,
                          empty="No findings: nothing in this plan needs fixing.")])


def node_rows(plan) -> list[dict]:
    """One row per plan node, for CSV."""
    return [{"id": n.id, "node": n.label, "parent_relationship": n.parent_relationship,
             "estimated_rows": n.estimated_rows, "actual_rows": n.actual_rows,
             "loops": n.loops if n.analyzed else None, "exclusive_ms": n.exclusive_ms,
             "inclusive_ms": n.inclusive_ms, "share": n.share, "buffers_hit": n.buffers_hit,
             "buffers_read": n.buffers_read, "filter": n.filter, "rows_removed": n.rows_removed}
            for n in plan.nodes()]


def plan_tree(run, findings) -> "Tree":
    from rich.text import Text
    from rich.tree import Tree

    plan = run.plan
    slow = {n.id for n in plan.slowest(3) if (n.share or 0) >= SLOW_SHARE}
    flagged: dict[int, list[int]] = {}
    for number, f in enumerate(findings, 1):
        if f.node_id is not None:
            flagged.setdefault(f.node_id, []).append(number)
    tree = Tree(Text(_header(run), style="bold"), guide_style="dim")

    def add(parent, node) -> None:
        branch = parent.add(_node_text(node, node.id in slow, flagged.get(node.id, [])))
        for label, expression in node.conditions:
            detail = Text(f"{label}: {expression}", style="dim")
            if label == "filter" and node.analyzed and node.raw.get("Rows Removed by Filter"):
                detail.append(f"  (removed {human_int(node.raw['Rows Removed by Filter'])} rows per loop)")
            if label == "join filter" and node.analyzed and node.raw.get("Rows Removed by Join Filter"):
                detail.append(f"  (removed {human_int(node.raw['Rows Removed by Join Filter'])} rows per loop)")
            branch.add(detail)
        extra = _memory(node)
        if extra:
            branch.add(Text(extra, style="dim"))
        for child in node.children:
            add(branch, child)

    add(tree, plan.root)
    return tree


def plain_text(renderable) -> str:
    """The renderable as plain text, without colours and without wrapping long lines."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=4000, no_color=True, color_system=None, highlight=False).print(renderable)
    return "\n".join(line.rstrip() for line in buf.getvalue().rstrip().splitlines())


def _header(run) -> str:
    plan = run.plan
    parts = []
    if plan.planning_ms is not None:
        parts.append(f"planning {human_ms(plan.planning_ms)}")
    if plan.execution_ms is not None:
        parts.append(f"execution {human_ms(plan.execution_ms)}")
    if plan.jit_ms:
        parts.append(f"JIT {human_ms(plan.jit_ms)}")
    if plan.triggers_ms:
        parts.append(f"triggers {human_ms(plan.triggers_ms)}")
    if not plan.analyzed:
        parts.append("estimates only (add --analyze to run it)")
    elif run.statement.writes:
        parts.append("ran and rolled back")
    if run.generic_plan:
        parts.append("generic plan for $n parameters")
    if plan.settings:
        parts.append("settings " + ", ".join(f"{k}={v}" for k, v in plan.settings.items()))
    return "Plan" + (": " + " · ".join(parts) if parts else "")


def _node_text(node, slow: bool, findings: list[int]):
    from rich.text import Text

    text = Text()
    label = node.label
    subplan = node.raw.get("Subplan Name")
    if subplan:  # "InitPlan 1: Index Scan using ..."
        text.append(f"{subplan}: ", style="dim")
        label = label[len(subplan) + 2:]
    head = next((w for w in (node.node_type, label.split(" using ")[0].split(" on ")[0]) if label.startswith(w)), "")
    text.append(head, style="bold red" if slow else "bold")
    text.append(label[len(head):], style="cyan" if node.relation or node.index else "")
    text.append("  ")
    text.append(" · ".join(_figures(node)))
    if slow:
        text.append(f"  ◀ slowest ({node.share:.0%})", style="bold red")
    if findings:
        text.append("  ⚠ finding " + ", ".join(str(n) for n in findings), style="yellow")
    return text


def _figures(node) -> list[str]:
    out = []
    if node.analyzed:
        if node.never_executed:
            return [f"est {human_int(node.estimated_rows)} rows", "never executed"]
        rows = f"{_rows(node.actual_rows)} rows of est {human_int(node.estimated_rows)}"
        factor = node.misestimate
        if factor is not None and factor >= 2:
            rows += f" ({factor:,.0f}x {'under' if node.underestimated else 'over'})"
        out.append(rows)
        if node.loops != 1:
            out.append(f"{human_int(node.loops)} loops")
        out.append(f"{human_ms(node.exclusive_ms)} self ({node.share or 0:.0%})")
        out.append(f"{human_ms(node.inclusive_ms)} total")
    else:
        out.append(f"est {human_int(node.estimated_rows)} rows")
        out.append(f"cost {node.raw.get('Total Cost', 0):,.2f}")
    if node.buffers_hit is not None or node.buffers_read is not None:
        buffers = f"buffers hit {human_int(node.buffers_hit or 0)} read {human_int(node.buffers_read or 0)}"
        if node.temp_blocks:
            buffers += f" temp {human_int(node.temp_blocks)}"
        out.append(buffers)
    return out


def _rows(value: float | None) -> str:
    if value is None:
        return "?"
    return human_int(value) if float(value).is_integer() or value >= 100 else f"{value:.2f}"


def _memory(node) -> str | None:
    raw = node.raw
    if raw.get("Sort Method"):
        return f"sort: {raw['Sort Method']}, {human_int(raw.get('Sort Space Used'))} kB {raw.get('Sort Space Type', '')}"
    if node.node_type == "Hash" and raw.get("Hash Batches"):
        return (f"hash: {human_int(raw.get('Hash Buckets'))} buckets, {human_int(raw['Hash Batches'])} batches, "
                f"peak {human_int(raw.get('Peak Memory Usage'))} kB")
    if raw.get("HashAgg Batches"):
        return (f"hash aggregate: {human_int(raw['HashAgg Batches'])} batches, peak "
                f"{human_int(raw.get('Peak Memory Usage'))} kB, disk {human_int(raw.get('Disk Usage', 0))} kB")
    return None
