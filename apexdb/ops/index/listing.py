"""``index list`` and ``index drop``: what indexes exist, and removing one without blocking writes."""
from __future__ import annotations

from dataclasses import dataclass

from apexdb.db.connection import read_only
from apexdb.db.queries import fetch
from apexdb.errors import BadInput
from apexdb.ops import catalog as vc
from apexdb.ops.index.build import drop_index

VECTOR_METHODS = ("hnsw", "ivfflat")
# reloptions that describe an ANN index's shape
PARAMETERS = ("m", "ef_construction", "lists")


@dataclass
class IndexInfo:
    schema: str
    name: str
    table: str
    method: str
    keys: list[str]
    opclasses: list[str]
    metric: str | None
    m: int | None
    ef_construction: int | None
    lists: int | None
    options: dict[str, str]
    predicate: str | None
    is_unique: bool
    is_primary: bool
    valid: bool
    ready: bool
    size_bytes: int
    scans: int | None
    last_scan: object
    stats_reset: object
    table_rows: int | None
    bytes_per_row: float | None
    definition: str

    @property
    def is_vector(self) -> bool:
        return self.method in VECTOR_METHODS


def list_indexes(conn, table: str | None = None, *, vector_only: bool = False) -> list[IndexInfo]:
    """Every index (of ``table``, or only HNSW/IVFFlat ones) with its shape, size, use and state."""
    with read_only(conn):
        ref = vc.resolve_table(conn, table) if table else None
        rows = fetch(conn, "index_list", {"table_oid": ref.oid if ref else None, "vector_only": vector_only})
    out = []
    for r in rows:
        options = dict(opt.split("=", 1) for opt in (r["options"] or []))
        vector = r["method"] in VECTOR_METHODS
        metric = vc.metric_of_opclass(r["opclasses"][0]) if vector and r["opclasses"] else None
        defaults = _pgvector_defaults(r["method"])
        params = {k: int(options[k]) if k in options else defaults.get(k) for k in PARAMETERS}
        per_row = None
        if vector and r["table_rows"]:
            per_row = round(r["size_bytes"] / r["table_rows"], 1)
        out.append(IndexInfo(
            schema=r["schema"], name=r["name"], table=r["table"], method=r["method"], keys=list(r["keys"]),
            opclasses=list(r["opclasses"]), metric=metric, options=options, predicate=r["predicate"],
            is_unique=r["is_unique"], is_primary=r["is_primary"], valid=r["valid"], ready=r["ready"],
            size_bytes=r["size_bytes"], scans=r["scans"], last_scan=r["last_scan"], stats_reset=r["stats_reset"],
            table_rows=r["table_rows"], bytes_per_row=per_row, definition=r["definition"], **params))
    return out


def _pgvector_defaults(method: str) -> dict[str, int]:
    """What pgvector used when the option was not given (hnsw m=16, ef_construction=64; ivfflat lists=100)."""
    return dict(vc.BUILD_DEFAULTS.get(method, {}))


@dataclass
class DropPlan:
    index: vc.IndexRef
    concurrently: bool


def plan_drop(conn, name: str) -> DropPlan:
    """The index to drop, or BadInput: unknown name, or one that backs a constraint."""
    with read_only(conn):
        found = vc.find_index(conn, name)
    if found is None:
        raise BadInput(f"index {name!r} does not exist (or this role cannot see it)")
    if found.backs_constraint:
        raise BadInput(f"index {found.display} backs a primary key, unique or exclusion constraint; "
                       f"drop the constraint with ALTER TABLE instead")
    # Indexes of partitioned tables cannot be dropped concurrently.
    return DropPlan(found, concurrently=found.kind != "I")


def drop(conn, plan: DropPlan) -> dict:
    drop_index(conn, plan.index.schema, plan.index.name, concurrently=plan.concurrently)
    return {"dropped": plan.index.display, "table": f"{plan.index.table_schema}.{plan.index.table}",
            "method": plan.index.method, "size_bytes": plan.index.size_bytes, "valid": plan.index.valid,
            "concurrently": plan.concurrently, "definition": plan.index.definition}
