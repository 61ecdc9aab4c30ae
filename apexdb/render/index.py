"""The view of ``index create``, ``index list`` and ``index drop``: the build's progress bar and
result, the index table, the drop summary. JSON documents are the ops dataclasses as they are."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Callable

from apexdb.render.format import human_bytes, human_seconds
from apexdb.render.output import Section, cols

POOLER_WARNING = ("the server refused startup options (a connection pooler?): the build's settings are session "
                  "SETs, which a transaction-mode pooler may not keep; build indexes on a direct connection to the "
                  "server")


def build_progress(bar) -> Callable[[Any], None]:
    """``on_progress`` for a build: each phase counts something else (blocks, tuples, lockers), so a new
    phase restarts the bar and its ETA."""
    phase = [None]

    def on_progress(sample) -> None:
        if (sample.phase, sample.unit) != phase[0]:
            phase[0] = (sample.phase, sample.unit)
            bar.restart(total=sample.total or None, description=sample.phase, detail=sample.unit or "")
        bar.update(completed=sample.done or 0, total=sample.total or None)

    return on_progress


def show_built(out, result) -> None:
    """``index create``'s result: one "Index built" section (JSON: the BuildResult)."""
    items = [
        ("index", result.index), ("definition", result.definition),
        ("rows", f"{result.rows:,}"), ("size", human_bytes(result.size_bytes)),
        ("build time", human_seconds(result.seconds) + (" (concurrently)" if result.concurrently else "")),
        ("maintenance_work_mem", human_bytes(result.maintenance_work_mem_bytes)),
        ("max_parallel_maintenance_workers", str(result.workers)),
    ]
    if result.replaced:
        items.append(("replaced", result.replaced))
    if result.notices:
        items.append(("server notices", "; ".join(result.notices)))
    out.sections([Section("Index built", [{"item": k, "value": v} for k, v in items], cols("item", "value"))],
                 doc=asdict(result))


def index_row(i) -> dict[str, Any]:
    params = ", ".join(f"{k}={getattr(i, k)}" for k in ("m", "ef_construction", "lists") if getattr(i, k) is not None)
    state = "valid" if i.valid else ("INVALID" if i.ready else "INVALID, not ready")
    return {"index": f"{i.schema}.{i.name}" if i.schema != "public" else i.name, "table": i.table,
            "method": i.method, "keys": ", ".join(i.keys), "opclass": ", ".join(i.opclasses),
            "parameters": params, "size": i.size_bytes, "scans": i.scans, "state": state,
            "table_rows": i.table_rows, "bytes_per_row": i.bytes_per_row}


def show_indexes(out, found, *, vector_only: bool = False) -> None:
    """``index list``: one row per index (JSON: every IndexInfo with ``is_vector``)."""
    doc = [{**asdict(i), "is_vector": i.is_vector} for i in found]
    empty = "(no vector indexes)" if vector_only else "(no indexes)"
    out.table([index_row(i) for i in found],
              cols("index", "table", "method", "keys", "opclass", "parameters", "size:bytes", "scans:int", "state",
                   "table_rows:int", "bytes_per_row:float"), doc=doc, empty=empty)


def drop_question(plan) -> str:
    return f"Drop index {plan.index.display} on {plan.index.table} ({human_bytes(plan.index.size_bytes)})?"


def show_dropped(out, result: dict) -> None:
    out.table([result], cols("dropped", "table", "method", "size_bytes:bytes", "concurrently:bool"), doc=result)
