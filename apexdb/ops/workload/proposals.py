"""Index proposals for the whole workload, from every statement's candidates.

A candidate an existing valid, non-partial B-tree already serves is dropped: its equality
columns lead the index (in any order) and its range or sort column comes next, or the
index's keys and INCLUDE columns cover it with the same leading columns. Candidates on one
table that share leading columns are merged into the longest, whose equality columns are
ordered by how many statements use them. Proposals are ranked by the total time of the
statements they would serve. This is the B-tree create-index builder of the workload
advisor; vector indexes are proposed by the vector findings.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from apexdb.db.queries import fetch
from apexdb.ops.catalog import btree_index_name, btree_index_sql
from apexdb.ops.workload.candidates import Candidate


@dataclass
class Proposal:
    schema: str
    table: str
    table_oid: int
    columns: list[str]
    descending: set[str]
    equality_count: int
    statements: list[Any] = field(default_factory=list)  # WorkloadStatement, each once
    verified: bool | None = None  # None: not verified (no HypoPG)
    cost_before: float | None = None
    cost_after: float | None = None
    verify_note: str = ""

    @property
    def total_ms(self) -> float:
        return sum(s.total_ms for s in self.statements)

    @property
    def name(self) -> str:
        return btree_index_name(self.table, self.columns)

    def definition(self, *, concurrently: bool = True, named: bool = True) -> str:
        return btree_index_sql(self.schema, self.table, self.columns, descending=self.descending,
                               concurrently=concurrently, named=named)

    def fits(self, cand: Candidate) -> bool:
        """Whether this index serves ``cand``: its equality columns lead, its range column comes next."""
        return self.table_oid == cand.table_oid and serves(self.columns, [], cand)

    def as_json(self) -> dict[str, Any]:
        return {"table": f"{self.schema}.{self.table}", "columns": self.columns, "create": self.definition() + ";",
                "total_ms": round(self.total_ms, 3), "statements": [s.as_json() for s in self.statements],
                "verified": self.verified, "cost_before": self.cost_before, "cost_after": self.cost_after,
                "verify_note": self.verify_note}


def serves(keys: list[str | None], include: list[str], cand: Candidate) -> bool:
    eq = len(cand.equality)
    if len(keys) < eq or set(keys[:eq]) != set(cand.equality):
        return False
    if cand.range is None or cand.range in cand.equality:
        return True
    if len(keys) > eq and keys[eq] == cand.range:
        return True
    return eq > 0 and cand.range in set(keys[eq:]) | set(include)  # covering: filtered in the index


def propose(found: list[tuple[Candidate, Any]], conn) -> tuple[list[Proposal], list[tuple[Candidate, str]]]:
    """(proposals ranked by total time, candidates dropped with the existing index that serves them)."""
    existing = _existing(conn, {c.table_oid for c, _ in found})
    kept, served = [], []
    for cand, stmt in found:
        index = next((ix for ix in existing.get(cand.table_oid, []) if serves(ix["keys"], ix["include"], cand)),
                     None)
        if index:
            served.append((cand, index["index"]))
        else:
            kept.append((cand, stmt))
    usage = Counter((c.table_oid, col) for c, _ in kept for col in c.equality)
    proposals: list[Proposal] = []
    for cand, stmt in sorted(kept, key=lambda cs: (-len(cs[0].columns), -len(cs[0].equality))):
        target = next((p for p in proposals if p.fits(cand)), None)
        if target is None:
            equality = sorted(cand.equality, key=lambda col: (-usage[(cand.table_oid, col)], col))
            target = Proposal(cand.schema, cand.table, cand.table_oid, equality + (
                [cand.range] if cand.range and cand.range not in equality else []), set(cand.descending),
                len(equality))
            proposals.append(target)
        if all(s.queryid != stmt.queryid for s in target.statements):
            target.statements.append(stmt)
    for p in proposals:
        p.statements.sort(key=lambda s: -s.total_ms)
    return sorted(proposals, key=lambda p: -p.total_ms), served


def _existing(conn, table_oids: set[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    if not table_oids:
        return out
    for row in fetch(conn, "workload_table_indexes", {"table_oids": sorted(table_oids)}):
        if not row["partial"]:
            out.setdefault(row["table_oid"], []).append(row)
    return out
