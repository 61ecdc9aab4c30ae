"""The view of ``apexdb search``: a one-line summary, the notes, the ranked rows, and with
``--compare`` / ``--explain`` the "Indexed vs exact" and "Plan" sections.

JSON: the rows alone (a list), or ``{"results": [...], "compare": {...}, "explain": {...}}``
when ``--compare`` or ``--explain`` adds a part (docs/search.md).
"""
from __future__ import annotations

from apexdb.render.output import Column, Section, cols

SHOWN_WIDTH = 60  # a long text column is cut here in the table (JSON keeps it whole)


# --compare with --like: the query row is a node of the graph, so its recall overstates a real query's.
OPTIMISTIC_ROW = ("optimistic: the query is a row of the index; `apexdb tune` measures queries that are not "
                  "nodes of it")


def show_search(out, result) -> None:
    """Render a :class:`apexdb.ops.search.SearchResult`."""
    how = "exact scan" if result.exact else (f"index {result.index}" if result.index else "no usable index")
    settings = ", ".join(f"{k} = {v}" for k, v in result.settings.items())
    out.info(f"{len(result.rows)} nearest rows of {result.table}.{result.column} to {result.query} by "
             f"{result.metric} distance ({how}{'; ' + settings if settings else ''}) in {result.elapsed_ms:.1f} ms")
    for note in result.notes:
        out.warn(note)
    columns = cols("rank:int", "id", Column("distance", kind="float"))
    if result.has_similarity:
        columns.append(Column("similarity", kind="float"))
    if result.recall is not None:
        columns.append(Column("in_exact", "in exact", kind="bool"))
    columns += [Column(name, max_width=SHOWN_WIDTH) for name in result.shown]
    sections = [Section(None, result.rows, columns, empty="(no rows)")]
    doc: dict = {"results": result.rows}
    if result.recall is not None or result.exact_rows is not None:
        label = (OPTIMISTIC_ROW if result.recall_optimistic else "the query is not a row of the table")
        doc["compare"] = {"recall": result.recall, "k": result.k, "missed": result.missed,
                          "exact": result.exact_rows, "elapsed_ms": result.elapsed_ms,
                          "optimistic": result.recall_optimistic, "query": label}
        recall = "n/a (no rows)" if result.recall is None else f"{result.recall:.3f} ({label})"
        missed = ", ".join(map(str, result.missed)) or "none"
        sections.append(Section("Indexed vs exact", [
            {"item": f"recall@{result.k}", "value": recall},
            {"item": "exact neighbours the index missed", "value": missed}], cols("item", "value")))
    if result.verdict is not None:
        v = result.verdict
        doc["explain"] = {"index_used": v.index_used, "index": v.index, "reason": v.reason, "plan": v.plan,
                          "nodes": v.nodes}
        verdict = f"yes: {v.index}" if v.index_used else f"no: {v.reason}"
        sections.append(Section("Plan", [{"item": "vector index used", "value": verdict},
                                         {"item": "plan", "value": v.plan}], cols("item", "value")))
    out.sections(sections, doc=doc if len(doc) > 1 else result.rows)
