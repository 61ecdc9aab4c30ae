"""The views of the history: ``snapshot`` (taken, init, list), ``stats queries --since|--between`` and
``stats tables|indexes --growth``. JSON keeps raw values (bytes, ms, ratios, ISO times)."""
from __future__ import annotations

from typing import Any

from apexdb.render.output import Column, Section, cols


def _stamp(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S %Z}".strip()


def snapshots_taken(out, results, notes: list[str]) -> None:
    rows = [r.as_json() for r in results]
    out.table(rows, cols("snapshot_id:int", "member", "role", "taken_at:ts", "baseline:bool",
                         Column("statements", kind="int"), Column("statements_changed", "statements changed", kind="int"),
                         Column("relations", kind="int"), Column("relations_changed", "relations changed", kind="int"),
                         Column("server_ms", "server time", kind="ms"), Column("pruned", "snapshots forgotten", kind="int")),
              title="Snapshot taken", doc={"snapshots": rows, "notes": notes + [n for r in results for n in r.notes]})
    for note in notes + [n for r in results for n in r.notes]:
        out.note(note)


def installed(out, schema: str, applied: list[int]) -> None:
    doc = {"schema": schema, "applied": applied}
    message = (f"history schema {schema}: applied migration {', '.join(map(str, applied))}" if applied
               else f"history schema {schema} is up to date: nothing to do")
    out.document(doc, lambda o: o.line(message))


def snapshot_list(out, state, rows: list[dict[str, Any]]) -> None:
    summary = [{"item": "schema", "value": state.schema}, {"item": "version", "value": state.version},
               {"item": "snapshots", "value": state.snapshots},
               {"item": "first", "value": _stamp(state.first_at) if state.first_at else ""},
               {"item": "last", "value": _stamp(state.last_at) if state.last_at else ""}]
    out.sections([Section(None, summary, cols("item", "value")),
                  Section("Snapshots", rows, cols(
                      "snapshot_id:int", "member", "role", "taken_at:ts", "baseline:bool",
                      Column("statements_changed", "statements changed", kind="int"),
                      Column("relations_changed", "relations changed", kind="int"),
                      Column("server_ms", "server time", kind="ms")), empty="(no snapshots yet)")],
                 doc={**state.as_json(), "rows": rows})


def statement_changes(out, rows: list[dict[str, Any]], *, since, until, member: str) -> None:
    view = rows if out.fmt == "json" else [{**r, "query": " ".join((r["query"] or "").split())} for r in rows]
    columns = [Column("query", max_width=None if out.fmt == "json" else 50),
               Column("calls_before", "calls before", kind="int"), Column("calls_after", "calls after", kind="int"),
               Column("mean_ms_before", "mean before", kind="ms"), Column("mean_ms_after", "mean after", kind="ms"),
               Column("mean_change", "mean change", kind="ratio"),
               Column("rows_per_call_before", "rows/call before", kind="float"),
               Column("rows_per_call_after", "rows/call after", kind="float")]
    title = (f"Statements of {member}: {_stamp(since)} .. {_stamp(until)} against the same length before, "
             "largest rise in mean time first")
    doc = {"member": member, "since": since, "until": until, "before_from": since - (until - since), "rows": rows}
    out.table(view, columns, title=title, doc=doc, empty="(no statement ran in this period)")


def growth(out, kind: str, rows: list[dict[str, Any]], *, since, member: str) -> None:
    columns = [Column("relation")]
    if kind == "index":
        columns += [Column("table_name", "table"), Column("method")]
    columns += [Column("bytes_before", "size then", kind="bytes"), Column("bytes_now", "size now", kind="bytes"),
                Column("growth_bytes", "growth", kind="bytes"), Column("growth_pct", "growth %", kind="pct")]
    if kind == "index":
        columns.append(Column("scans_since", "vector scans since", kind="int"))
    title = f"{'Tables' if kind == 'table' else 'Indexes'} by growth since {_stamp(since)} (sizes: the primary's)"
    doc = {"kind": kind, "since": since, "member": member,
           "rows": [{**r, "series": [{"at": at, "bytes": b} for at, b in r["series"]]} for r in rows]}
    out.table(rows, columns, title=title, doc=doc, empty="(no sizes recorded)")
