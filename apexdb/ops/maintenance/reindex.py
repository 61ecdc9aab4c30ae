"""REINDEX steps: which indexes, the statements, sizes before and after, leftovers.

``REINDEX INDEX CONCURRENTLY`` builds ``<name>_ccnew`` next to the index and swaps it
in; when it fails (a lock timeout while waiting for writers, a unique violation, a
cancel) the invalid ``_ccnew`` (or, late in the swap, ``_ccold``) stays behind,
costing writes on every insert. Those leftovers are dropped (``DROP INDEX
CONCURRENTLY``) before reindexing and after any failed attempt. Sizes are looked up
by name afterwards, because the rebuilt index has a new oid.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apexdb.db.connection import read_only
from apexdb.db.queries import fetch, fetch_one
from apexdb.errors import BadInput
from apexdb.ops.maintenance.connection import MaintenanceSettings
from apexdb.ops.maintenance.runner import RunResult, Step, run_steps
from apexdb.ops.maintenance.sizes import table_sizes
from apexdb.ops.catalog import resolve_table

LEFTOVER = re.compile(r"^(?P<base>.*)_cc(new|old)\d*$")


@dataclass(frozen=True)
class IndexTarget:
    """One index to act on, from maint_index_stats, and why."""

    schema: str
    name: str
    table_oid: int
    table: str  # schema.name
    valid: bool
    leftover: bool
    approx_bytes: int
    table_approx_bytes: int
    reason: str

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}"


def resolve_index(conn, name: str) -> str:
    """``schema.name`` of the index the user named, or BadInput. Catalog only (no size
    function), so a lock someone holds on the table cannot make the lookup wait."""
    from apexdb.ops.catalog import lookup_by_name

    row = lookup_by_name(conn, "maint_resolve_index", name, "an index name is needed")
    if row is None:
        raise BadInput(f"index {name!r} does not exist (or this role cannot see it)")
    return f"{row['schema']}.{row['name']}"


def index_targets(conn, qualified: list[str], reasons: dict[str, str] | None = None, *,
                  strict: bool = True) -> list[IndexTarget]:
    """The indexes ``qualified`` (schema.name) with their state; leftovers of each added."""
    rows = fetch(conn, "maint_index_stats", {"names": list(dict.fromkeys(qualified))})
    busy = [r for r in rows if r["being_built"]]
    if busy and strict:
        names = ", ".join(f"{r['schema']}.{r['name']}" for r in busy)
        raise BadInput(f"another session is building or reindexing {names} right now; try again when it ends")
    rows = [r for r in rows if not r["being_built"] and not r["on_toast"]]
    out = []
    for row in rows:
        qualified_name = f"{row['schema']}.{row['name']}"
        leftover = not row["valid"] and LEFTOVER.match(row["name"]) is not None
        reason = (reasons or {}).get(qualified_name) or (
            "leftover of a failed concurrent reindex" if leftover else "invalid index" if not row["valid"]
            else "asked for")
        out.append(IndexTarget(row["schema"], row["name"], row["table_oid"],
                               f"{row['table_schema']}.{row['table_name']}", row["valid"], leftover,
                               row["approx_bytes"], row["table_approx_bytes"], reason))
    return out


def leftovers_of(conn, targets: list[IndexTarget]) -> list[str]:
    """Invalid ``_ccnew``/``_ccold`` indexes left on the targets' tables by failed reindexes of them."""
    found = []
    for table_oid in dict.fromkeys(t.table_oid for t in targets):
        names = {t.name for t in targets if t.table_oid == table_oid}
        for row in fetch(conn, "maint_table_indexes", {"table_oid": table_oid}):
            match = LEFTOVER.match(row["name"])
            if row["leftover"] and match and any(n.startswith(match.group("base")) for n in names):
                found.append(row["qualified"])
    return found


def _measure(schema: str, name: str):
    def measure(conn) -> dict[str, Any]:
        row = fetch_one(conn, "maint_index_size", {"schema": schema, "name": name})
        return {"size_bytes": row["size_bytes"], "valid": row["valid"]} if row else {"size_bytes": None,
                                                                                    "valid": None}
    return measure


def _drop_statement(schema: str, name: str):
    from psycopg import sql

    return sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(schema, name))


def _cleanup(target: IndexTarget):
    """After a failed REINDEX CONCURRENTLY: drop the ``_ccnew``/``_ccold`` it left."""

    def cleanup(conn) -> list[str]:
        notes = []
        for row in fetch(conn, "maint_table_indexes", {"table_oid": target.table_oid}):
            match = LEFTOVER.match(row["name"])
            if row["leftover"] and match and target.name.startswith(match.group("base")):
                conn.execute(_drop_statement(row["schema"], row["name"]))
                notes.append(f"dropped leftover {row['qualified']}")
        return notes

    return cleanup


def reindex_steps(targets: list[IndexTarget], *, concurrently: bool = True) -> list[Step]:
    """Drops of leftovers first, then one REINDEX INDEX per index."""
    from psycopg import sql

    drops, rebuilds = [], []
    for t in targets:
        if t.leftover:
            drops.append(Step("drop leftover", t.display, _drop_statement(t.schema, t.name), relid=t.table_oid,
                              reason=t.reason, cost_bytes=t.approx_bytes, measure=_measure(t.schema, t.name)))
            continue
        keyword = "REINDEX INDEX CONCURRENTLY {}" if concurrently else "REINDEX INDEX {}"
        rebuilds.append(Step("reindex", t.display, sql.SQL(keyword).format(sql.Identifier(t.schema, t.name)),
                             progress="create_index", relid=t.table_oid, reason=t.reason,
                             cost_bytes=t.approx_bytes + t.table_approx_bytes,
                             measure=_measure(t.schema, t.name),
                             cleanup=_cleanup(t) if concurrently else None))
    return drops + rebuilds


# Planning reads only the catalog, in a read-only transaction with the configured
# lock_timeout, so a table someone holds locked cannot make it wait.

def with_table_sizes(conn, targets: list[IndexTarget]) -> list[IndexTarget]:
    """``targets`` with their tables' sizes measured (pg_class's relpages is 0 before a first VACUUM)."""
    from dataclasses import replace

    sizes = table_sizes(conn, list(dict.fromkeys(t.table_oid for t in targets)))
    return [replace(t, table_approx_bytes=sizes[t.table_oid]["table_bytes"]) if t.table_oid in sizes else t
            for t in targets]


def plan_for_indexes(conn, names: list[str]) -> list[IndexTarget]:
    with read_only(conn):
        targets = index_targets(conn, [resolve_index(conn, n) for n in names])
        extra = [q for q in leftovers_of(conn, targets) if q not in {t.display for t in targets}]
        if extra:
            targets = index_targets(conn, extra, strict=False) + targets
    return with_table_sizes(conn, targets)


def plan_for_table(conn, name: str) -> list[IndexTarget]:
    with read_only(conn):
        table = resolve_table(conn, name)
        rows = fetch(conn, "maint_table_indexes", {"table_oid": table.oid})
        if not rows:
            raise BadInput(f"table {table.display} has no indexes")
        targets = index_targets(conn, [r["qualified"] for r in rows])
    return with_table_sizes(conn, targets)


def plan_for_invalid(conn) -> list[IndexTarget]:
    with read_only(conn):
        rows = fetch(conn, "maint_invalid_indexes")
        targets = index_targets(conn, [r["qualified"] for r in rows], strict=False)
    return with_table_sizes(conn, targets)


def run_reindex(conn, targets: list[IndexTarget], settings: MaintenanceSettings, *, concurrently: bool = True,
                **hooks) -> RunResult:
    """Drop leftovers and rebuild ``targets`` (the Python entry point after a plan_for_*)."""
    return run_steps(conn, reindex_steps(targets, concurrently=concurrently), settings, **hooks)
