"""Walking the server's JSON plan into nodes with the figures people read.

Times in EXPLAIN are per loop; a node's inclusive time here is ``Actual Total Time
x Actual Loops`` and its exclusive time is that minus its children's inclusive
times (never below zero: CTEs make the sum approximate).

Parallel time is wall-clock time: below a Gather or Gather Merge every process (the
workers and the leader) runs the node, EXPLAIN reports the average per loop and counts
a loop per process, so ``time x loops`` would add the processes' times up as if they ran
one after the other (shares above 100%). There the inclusive time is ``time x loops /
processes``, the processes being the loops of the Gather's child, so the shares of a
plan add up to its execution time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass
class PlanNode:
    id: int  # depth-first position, 1 = the root
    node_type: str
    raw: dict[str, Any] = field(repr=False)
    depth: int = 0
    parent_relationship: str | None = None  # Outer, Inner, InitPlan, SubPlan, Member
    children: list["PlanNode"] = field(default_factory=list)
    parent: "PlanNode | None" = field(default=None, repr=False)
    inclusive_ms: float | None = None
    exclusive_ms: float | None = None
    share: float | None = None  # exclusive time / execution time

    # -- what the node is ------------------------------------------------
    @property
    def relation(self) -> str | None:
        return self.raw.get("Relation Name")

    @property
    def schema(self) -> str | None:
        return self.raw.get("Schema")

    @property
    def alias(self) -> str | None:
        return self.raw.get("Alias")

    @property
    def index(self) -> str | None:
        return self.raw.get("Index Name")

    @property
    def label(self) -> str:
        """"Index Scan using items_pkey on items i", as EXPLAIN's text format says it."""
        name = self.node_type
        if self.node_type == "ModifyTable" and self.raw.get("Operation"):
            name = self.raw["Operation"]  # "Delete on items", as the text format says
        if self.raw.get("Strategy") and self.node_type == "Aggregate":
            name = {"Hashed": "HashAggregate", "Sorted": "GroupAggregate"}.get(self.raw["Strategy"], name)
        join_type = self.raw.get("Join Type")
        if join_type and join_type != "Inner":  # "Hash Left Join", "Nested Loop Anti Join"
            name = f"{name[:-5]} {join_type} Join" if name.endswith(" Join") else f"{name} {join_type} Join"
        if self.index:
            name += f" using {self.index}"
        if self.relation:
            target = f"{self.schema}.{self.relation}" if self.schema else self.relation
            name += f" on {target}"
            if self.alias and self.alias != self.relation:
                name += f" {self.alias}"
        elif self.raw.get("CTE Name"):
            name += f" on {self.raw['CTE Name']}"
        if self.raw.get("Subplan Name"):
            name = f"{self.raw['Subplan Name']}: {name}"
        return name

    # -- rows ----------------------------------------------------------------
    @property
    def analyzed(self) -> bool:
        return "Actual Loops" in self.raw

    @property
    def estimated_rows(self) -> float:
        return float(self.raw.get("Plan Rows", 0))

    @property
    def actual_rows(self) -> float | None:
        """Rows per loop (PostgreSQL 18 gives fractions)."""
        value = self.raw.get("Actual Rows")
        return None if value is None else float(value)

    @property
    def loops(self) -> int:
        return int(self.raw.get("Actual Loops", 1) or 0)

    @property
    def never_executed(self) -> bool:
        return self.analyzed and self.loops == 0

    @property
    def misestimate(self) -> float | None:
        """How far off the estimate was (>= 1), or None without ANALYZE."""
        if self.actual_rows is None or self.never_executed:
            return None
        actual, estimated = max(self.actual_rows, 1.0), max(self.estimated_rows, 1.0)
        return max(actual / estimated, estimated / actual)

    @property
    def underestimated(self) -> bool:
        return self.actual_rows is not None and self.actual_rows > self.estimated_rows

    @property
    def rows_removed(self) -> float:
        """Rows the filter and join filter threw away, over all loops."""
        per_loop = float(self.raw.get("Rows Removed by Filter", 0)) + float(
            self.raw.get("Rows Removed by Join Filter", 0))
        return per_loop * max(self.loops, 1) if self.analyzed else 0.0

    @property
    def rows_total(self) -> float:
        """Rows returned over all loops."""
        return (self.actual_rows or 0.0) * max(self.loops, 1)

    # -- buffers -------------------------------------------------------------
    @property
    def buffers_hit(self) -> int | None:
        return self.raw.get("Shared Hit Blocks")

    @property
    def buffers_read(self) -> int | None:
        return self.raw.get("Shared Read Blocks")

    @property
    def temp_blocks(self) -> int:
        return int(self.raw.get("Temp Read Blocks", 0)) + int(self.raw.get("Temp Written Blocks", 0))

    # -- conditions ----------------------------------------------------------
    @property
    def filter(self) -> str | None:
        return self.raw.get("Filter")

    @property
    def conditions(self) -> list[tuple[str, str]]:
        """(label, expression) pairs worth showing: index/hash/merge conditions, filters, sort keys."""
        out = []
        for key in ("Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter", "Filter",
                    "One-Time Filter"):
            if self.raw.get(key):
                out.append((key.lower(), self.raw[key]))
        for key in ("Sort Key", "Presorted Key", "Group Key"):
            if self.raw.get(key):
                out.append((key.lower(), ", ".join(self.raw[key])))
        return out

    def ancestors(self) -> Iterator["PlanNode"]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    @property
    def may_stop_early(self) -> bool:
        """Whether a node above can stop reading this one early (a Limit, a merge join, a semi or
        anti join, an EXISTS), so fewer actual rows than estimated is no misestimate."""
        child = self
        for node in self.ancestors():
            if node.node_type == "Limit" or node.node_type == "Merge Join":
                return True
            if node.raw.get("Join Type") in ("Semi", "Anti") and child is not node.children[0]:
                return True
            child = node
        return False

    def walk(self) -> Iterator["PlanNode"]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Plan:
    root: PlanNode
    document: dict[str, Any] = field(repr=False)  # the server's JSON plan (one element of its list)
    planning_ms: float | None = None
    execution_ms: float | None = None

    @property
    def analyzed(self) -> bool:
        return self.root.analyzed

    @property
    def jit_ms(self) -> float | None:
        jit = self.document.get("JIT") or {}
        return (jit.get("Timing") or {}).get("Total") if isinstance(jit.get("Timing"), dict) else None

    @property
    def settings(self) -> dict[str, str]:
        return dict(self.document.get("Settings") or {})

    @property
    def triggers_ms(self) -> float:
        return sum(float(t.get("Time", 0)) for t in self.document.get("Triggers") or [])

    def nodes(self) -> list[PlanNode]:
        return list(self.root.walk())

    def slowest(self, count: int = 3) -> list[PlanNode]:
        """The nodes with the largest exclusive time (ANALYZE only)."""
        timed = [n for n in self.nodes() if n.exclusive_ms]
        return sorted(timed, key=lambda n: n.exclusive_ms, reverse=True)[:count]


def parse_plan(document: dict[str, Any]) -> Plan:
    """A :class:`Plan` from one element of ``EXPLAIN (FORMAT JSON)``'s output."""
    counter = iter(range(1, 1_000_000))

    def build(raw: dict[str, Any], depth: int) -> PlanNode:
        node = PlanNode(next(counter), raw.get("Node Type", "?"), raw, depth, raw.get("Parent Relationship"))
        node.children = [build(child, depth + 1) for child in raw.get("Plans", [])]
        for child in node.children:
            child.parent = node
        return node

    root = build(document["Plan"], 0)
    plan = Plan(root, document, document.get("Planning Time"), document.get("Execution Time"))
    if root.analyzed:
        _times(root)
        total = plan.execution_ms or root.inclusive_ms or 0.0
        for node in root.walk():
            node.share = (node.exclusive_ms / total) if total and node.exclusive_ms is not None else None
    return plan


def _times(node: PlanNode, processes: int = 1) -> float:
    per_loop = float(node.raw.get("Actual Total Time", 0.0))
    node.inclusive_ms = per_loop * node.loops / processes
    if node.node_type in ("Gather", "Gather Merge") and node.children:
        processes = max(node.children[0].loops, 1)  # the workers launched, and the leader when it took part
    children = sum(_times(child, processes) for child in node.children)
    # InitPlans run once for the whole query; a Gather's time already includes its workers.
    node.exclusive_ms = max(node.inclusive_ms - children, 0.0)
    return node.inclusive_ms
