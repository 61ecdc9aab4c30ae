"""The view of ``apexdb load``: what --create chose, the load's one-row summary, its JSON."""
from __future__ import annotations

from dataclasses import asdict

from apexdb.render.output import Renderer, cols

COLUMNS = cols("table", "file", "format", "rows:int", "dims:int", "bytes:bytes", "seconds:s", "rows_per_s:int",
               "created:bool", "truncated:bool", "analyzed:bool")


def created_note(plan) -> str:
    """One line saying which types ``--create`` chose, read from the file's schema."""
    parts = [f"{t.column} {t.display}" + (" primary key" if t.column == plan.request.id_column else "")
             for t in plan.targets]
    return f"creating {plan.request.table} ({', '.join(parts)})"


def show_result(out: Renderer, result, notes: list[str]) -> None:
    for note in notes:
        out.note(note)
    row = asdict(result)
    out.table([row], COLUMNS, doc=row)
