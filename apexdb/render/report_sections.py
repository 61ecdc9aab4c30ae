"""The report page's data sections: top statements, sizes and growth, vector indexes and tune curves.

Each function takes the :class:`apexdb.ops.report.Report` and returns escaped HTML; the page
around them is :mod:`apexdb.render.report_html`.
"""
from __future__ import annotations

from html import escape
from typing import Any, Iterable

from apexdb.render.format import human_bytes, human_int, human_ms, human_pct, human_ts
from apexdb.render.svg import sparkline, time_chart, tune_chart

QUERY_SHOWN = 300  # characters of a statement shown before "…" (the cell's title has the whole text)
CHART_SERIES = 6  # relations drawn in a growth chart
LATENCY_KEYS = ("p50_ms", "latency_ms", "mean_ms", "p95_ms")

NO_HISTORY = ("No history yet: run <code>apexdb snapshot init</code> once, then <code>apexdb snapshot</code> "
              "regularly (from cron, say hourly) to see {what}.")


def table(headers: Iterable[tuple[str, str]] | None, rows: Iterable[Iterable[tuple[str, str]]]) -> str:
    """A table: headers as (text, css class), or None for none; each cell as (already escaped HTML, css class)."""
    head = "".join(f'<th class="{c}">{escape(h)}</th>' for h, c in headers or ())
    head = f"<thead><tr>{head}</tr></thead>" if head else ""
    body = "".join("<tr>" + "".join(f'<td class="{c}">{html}</td>' for html, c in row) + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def absent(message_html: str) -> str:
    return f'<p class="absent">{message_html}</p>'


def no_history(report, what: str) -> str:
    """Why there is no history on the page, and what to do about it."""
    if report.history_unreadable:
        return absent(f"No history: {_e(report.history_unreadable)}.")
    return absent(NO_HISTORY.format(what=what))


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _change(before: Any, after: Any, fmt) -> str:
    """'1.2 ms → 3.4 ms (+183%)', coloured up/down."""
    if before is None or after is None:
        return ""
    text = f"{fmt(before)} → {fmt(after)}"
    if before:
        pct = (float(after) - float(before)) / float(before)
        cls = "up" if pct > 0.005 else "down" if pct < -0.005 else ""
        text = f'{escape(text)} <span class="{cls}">({pct:+.0%})</span>'
        return text
    return escape(text)


# -- top statements --------------------------------------------------------------------------------

def statements_section(report) -> str:
    parts = ['<section id="statements"><h2>Top statements</h2>']
    st = report.statements
    if st is None:
        parts.append(absent(_e(report.statements_missing)) + "</section>")
        return "\n".join(parts)
    parts.append(f'<p class="note">{len(st.rows)} of {human_int(st.statements)} statements by total time '
                 f"(pg_stat_statements {_e(st.version)} in schema {_e(st.schema)}, every role; "
                 f"{_e(human_ms(st.total_ms))} in all).</p>")
    if report.history is None:
        parts.append(no_history(report, "how each statement's calls and mean time change"))
    elif report.since is not None:
        parts.append(f'<p class="note">History since {_e(human_ts(report.since))}: the mean time per call at each '
                     "snapshot, and the window's first half against its second half.</p>")
    rows = []
    for n, r in enumerate(st.rows, 1):
        text = " ".join((r["query"] or "").split())
        shown = text if len(text) <= QUERY_SHOWN else text[:QUERY_SHOWN - 1] + "…"
        rows.append([(str(n), "num"), (f'<code title="{escape(text)}">{escape(shown)}</code>', "query"),
                     (_e(human_int(r["calls"])), "num"), (_e(human_ms(r["total_ms"])), "num"),
                     (_e(human_ms(r["mean_ms"])), "num"), (_e(human_pct(r["share"])), "num"),
                     (_e(human_int(r["rows"])), "num"), (_statement_history(report, r), "")])
    if rows:
        parts.append(table([("#", "num"), ("statement", ""), ("calls", "num"), ("total", "num"), ("mean", "num"),
                            ("share", "num"), ("rows", "num"), ("mean time over the window", "")], rows))
    else:
        parts.append(absent("pg_stat_statements has recorded no statements in this database yet."))
    parts.extend(f'<p class="note">{_e(n)}</p>' for n in st.notes)
    parts.append("</section>")
    return "\n".join(parts)


def _statement_history(report, row) -> str:
    if report.history is None:
        return ""
    h = report.statement_history.get(row.get("queryid"))
    if not h:
        return '<span class="note">not in the snapshots of this window</span>'
    series = [p.get("mean_ms") for p in h.get("series") or [] if p.get("calls")]
    spark = sparkline(series, label=f"mean time per call at each of {len(series)} snapshots")
    c = h.get("change")
    lines = [spark] if spark else []
    if c and c.get("mean_ms_before") is not None:
        lines.append("mean " + _change(c.get("mean_ms_before"), c.get("mean_ms_after"), human_ms))
    if c:
        lines.append(f'<span class="note">calls {_e(human_int(c.get("calls_before")))} → '
                     f'{_e(human_int(c.get("calls_after")))}</span>')
    return "<br>".join(lines) or '<span class="note">one snapshot so far</span>'


# -- sizes and growth --------------------------------------------------------------------------------

def _growth_of(report, kind: str, schema: str, name: str) -> dict[str, Any] | None:
    return report.growth.get(kind, {}).get(f"{schema}.{name}")  # relation_growth names them schema.name


def _growth_cells(report, g) -> list[tuple[str, str]]:
    if report.history is None:
        return []
    if g is None:
        return [('<span class="note">not in the snapshots</span>', ""), ("", "")]
    series = [b for _, b in g.get("points") or []]
    return [(_change(g.get("bytes_before"), g.get("bytes_now"), human_bytes), "num"),
            (sparkline(series, label=f"size of {g['relation']}", colour="#d9480f"), "")]


def _growth_chart(report, kind: str, label: str) -> str:
    rows = sorted(report.growth.get(kind, {}).values(), key=lambda g: -(g.get("bytes_now") or 0))[:CHART_SERIES]
    chart = time_chart([(g["relation"], list(g.get("points") or [])) for g in rows], label=label, bytes_axis=True)
    return chart or '<p class="note">One snapshot so far: growth charts need two.</p>'


def sizes_section(report) -> str:
    parts = ['<section id="sizes"><h2>Sizes and growth</h2>']
    history = report.history is not None
    if not history:
        parts.append(no_history(report, "how tables and indexes grow"))
    extra = [("growth over the window", "num"), ("trend", "")] if history else []
    parts.append(f"<h3>Tables (the {len(report.tables)} largest)</h3>")
    if history:
        parts.append(_growth_chart(report, "table", "table sizes over time (with their indexes and TOAST)"))
    parts.append(table(
        [("table", ""), ("size", "num"), ("rows", "num"), ("dead rows", "num"), ("seq scans", "num"),
         ("index scans", "num"), *extra],
        [[(f"<code>{_e(r['schema'])}.{_e(r['table'])}</code>", ""), (_e(human_bytes(r["total_bytes"])), "num"),
          (_e(human_int(r["rows"])), "num"), (_e(human_int(r["dead_rows"])), "num"),
          (_e(human_int(r["seq_scan"])), "num"), (_e(human_int(r["idx_scan"])), "num"),
          *_growth_cells(report, _growth_of(report, "table", r["schema"], r["table"]))] for r in report.tables])
        if report.tables else absent("No user tables."))
    parts.append(f"<h3>Indexes (the {len(report.indexes)} largest)</h3>")
    if history:
        parts.append(_growth_chart(report, "index", "index sizes over time"))
    parts.append(table(
        [("index", ""), ("table", ""), ("method", ""), ("size", "num"), ("scans", "num"), *extra],
        [[(f"<code>{_e(r['schema'])}.{_e(r['index'])}</code>", ""), (_e(r["table"]), ""), (_e(r["method"]), ""),
          (_e(human_bytes(r["size_bytes"])), "num"), (_e(human_int(r["scans"])), "num"),
          *_growth_cells(report, _growth_of(report, "index", r["schema"], r["index"]))] for r in report.indexes])
        if report.indexes else absent("No user indexes."))
    parts.append("</section>")
    return "\n".join(parts)


# -- vector indexes and their tune curves ----------------------------------------------------------------

def vector_section(report) -> str:
    from apexdb.render.index import index_row

    parts = ['<section id="vectors"><h2>Vector indexes</h2>']
    if not report.vector_indexes:
        parts.append(absent("No HNSW or IVFFlat index in this database. <code>apexdb index create TABLE COLUMN"
                            "</code> builds one."))
        parts.append("</section>")
        return "\n".join(parts)
    cards = []
    for ix in report.vector_indexes:
        row = index_row(ix)
        facts = [("table", f"{ix.schema}.{ix.table}"), ("method", ix.method), ("opclass", row["opclass"]),
                 ("parameters", row["parameters"]), ("size", human_bytes(ix.size_bytes)),
                 ("table rows", human_int(ix.table_rows)), ("scans", human_int(ix.scans)), ("state", row["state"])]
        body = table(None, [[(_e(k), ""), (_e(v), "")] for k, v in facts])
        cards.append(f'<div class="card"><h3><code>{_e(ix.schema)}.{_e(ix.name)}</code></h3>{body}'
                     f"{_tune_block(report, ix)}</div>")
    parts.append(f'<div class="cards">{"".join(cards)}</div></section>')
    return "\n".join(parts)


def _tune_block(report, ix) -> str:
    tuned = report.tune_of(ix)
    if tuned is None:
        how = (f"<code>apexdb tune {escape(ix.schema)}.{escape(ix.table)}"
               f"{' ' + escape(ix.keys[0]) if ix.keys and ix.keys[0].isidentifier() else ''}</code>")
        stored = ("" if report.history is not None else
                  " (tune stores its result once <code>apexdb snapshot init</code> has created the history schema)")
        return absent(f"No stored tune result: run {how} to measure recall and latency per setting{stored}.")
    curve = [p for p in tuned.get("curve") or [] if p.get("index_used", True)]
    if any("family" in p for p in curve):  # the plain sweep; iterative-scan variants are other curves
        curve = [p for p in curve if p.get("family") == "plain"] or curve
    key = next((k for k in LATENCY_KEYS if any(p.get(k) is not None for p in curve)), "p50_ms")
    knob = tuned.get("knob") or ("hnsw.ef_search" if ix.method == "hnsw" else "ivfflat.probes")
    chart = tune_chart(curve, knob=knob, latency_key=key, target_recall=tuned.get("target_recall"),
                       picked=tuned.get("picked"), label=f"recall and {key} by {knob} for {ix.name}")
    when = human_ts(tuned.get("at"))
    target = tuned.get("target_recall")
    picked = (f"{escape(knob)} = {_e(tuned.get('picked'))}" if tuned.get("picked") is not None
              else "no setting reached")
    source = tuned.get("source_label") or tuned.get("source")
    summary = (f"Tuned {escape(when)}: {picked} for recall@{_e(tuned.get('k') or '?')} "
               f"{escape(f'{target:g}') if target is not None else '?'}"
               + (f" (queries: {_e(source)})" if source else "")
               + (" <strong>OPTIMISTIC: the queries were rows of the index</strong>" if tuned.get("optimistic")
                  else "") + ". "
               f'<span style="color:#2b8a3e">━ recall</span> · <span style="color:#1f6fb4">╌ {escape(key)}</span>')
    return f'<p class="note">{summary}</p>' + (chart or '<p class="note">Fewer than two measured settings.</p>')
