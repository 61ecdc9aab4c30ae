"""Vector findings that need the workload's own figures, not just a plan.

pg_stat_statements turns ``LIMIT 100`` into ``LIMIT $2``, so the k a vector query asks for
is unknown; its rows per call are known. An HNSW scan without iterative scan returns at
most ``hnsw.ef_search`` rows, and a filter applied after it keeps a share of those:
- no filter and exactly ef_search rows per call: the LIMIT is above ef_search;
- a filter keeping a small share (the plan's estimate): ef_search x share rows come back,
  fewer than LIMIT; iterative scan fixes it, or a partial index per filter value when the
  filter column has few values (pg_stats).
The other vector causes (no index for the operator, another metric's opclass, no LIMIT,
IVFFlat probes) are the explain engine's (``find_vector``), run on the same plan.
"""
from __future__ import annotations

from apexdb.ops.explain.conditions import analyze_condition
from apexdb.ops.explain.find_vector import vector_orders
from apexdb.ops.explain.findings import Finding, node_name
from apexdb.ops.catalog import OPERATOR_METRIC

TYPICAL_K = 10  # the LIMIT assumed when pg_stat_statements hides it
MAX_PARTIAL_VALUES = 10


def vector_findings(run, stmt, column_stats, index_scans=None) -> list[Finding]:
    """``column_stats(schema, table)`` -> {column: pg_stats row} (cached by the caller);
    ``index_scans(oids)`` -> {index oid: scans since the statistics reset}.

    The generic plan may differ from the plans the application got (its values are known at
    run time), so the judgement rests on the index that exists, the filter's estimated share
    and the rows per call pg_stat_statements measured, not on the plan's choice of index."""
    if not run.context.has_vector:
        return []
    iterative = (run.context.settings.get("hnsw_iterative_scan") or "off") != "off"
    ef = run.context.setting_int("hnsw_ef_search") or 40
    out = []
    for order in vector_orders(run.statement.node, []):
        table = next((t for t in run.context.tables.values() if t.name == order.relation.relname
                      and order.relation.schemaname in (None, t.schema)), None)
        if table is None or not order.has_limit or not order.bare:
            continue
        out += _never_used(run, order, table, stmt, index_scans) + _all_probes(run, order, table)
        if iterative:
            continue
        index = next((i for i in table.vector_indexes if i.method == "hnsw" and i.valid and i.column == order.column
                      and i.metric == OPERATOR_METRIC[order.operator]), None)
        if index is None:
            continue  # no index for this operator: find_vector says so
        scan = next((n for n in run.plan.nodes() if run.context.table(n) is table), None)
        condition = scan and (scan.filter or (scan.raw.get("Index Cond") if scan.index != index.name else None))
        node = scan.id if scan else None
        where = node_name(scan) if scan else "query"
        if not condition and order.limit is None and stmt.calls and abs(stmt.rows_per_call - ef) < 0.5:
            out.append(Finding(
                "warning", where,
                f"returns {stmt.rows_per_call:.0f} rows per call over {stmt.calls:,} calls, exactly hnsw.ef_search "
                f"= {ef}: the LIMIT is above ef_search and an HNSW scan of {index.name} stops at ef_search rows",
                "SET hnsw.ef_search to at least the LIMIT (up to 1000) in the querying session, or SET "
                "hnsw.iterative_scan = relaxed_order (pgvector 0.8+)", node))
        if not condition:
            continue
        share = min(scan.estimated_rows * _processes(scan) / max(table.estimated_rows, 1), 1.0)
        matching = share * table.estimated_rows
        expected = ef * share
        wanted = order.limit or TYPICAL_K
        short_observed = stmt.calls and stmt.rows_per_call < min(wanted, matching) - 0.5
        if expected >= wanted and not short_observed:
            continue
        observed = f"; pg_stat_statements measured {stmt.rows_per_call:.1f} rows per call" if stmt.calls else ""
        out.append(Finding(
            "warning", where,
            f"filtered vector search: {condition} keeps about {share:.1%} of {table.display} (about "
            f"{matching:,.0f} rows), but an HNSW scan of {index.name} looks at ef_search = {ef} candidates and "
            f"returns about {expected:.1f} of them after the filter, fewer than "
            f"{'LIMIT ' + str(order.limit) if order.limit else 'a LIMIT of ' + str(TYPICAL_K)}{observed}",
            _fix(table, index, condition, column_stats), node))
    return out


def _never_used(run, order, table, stmt, index_scans) -> list[Finding]:
    """A vector ORDER BY reading the whole table while the column's vector indexes never served a scan."""
    on_column = [i for i in table.vector_indexes if i.column == order.column]
    if not on_column or index_scans is None or any(n.index in {i.name for i in on_column} for n in run.plan.nodes()):
        return []
    scans = index_scans([i.index_oid for i in on_column])
    if any(scans.get(i.index_oid) for i in on_column):
        return []
    scan = next((n for n in run.plan.nodes() if run.context.table(n) is table), None)
    names = ", ".join(i.name for i in on_column)
    return [Finding("warning", node_name(scan) if scan else "query",
                    f"ORDER BY {order.text} reads all {table.estimated_rows:,} rows of {table.display} on each of "
                    f"{stmt.calls:,} calls: {names} on {order.column} never served a scan since the statistics "
                    "reset (idx_scan = 0)",
                    "make the query use the index (the other finding on this statement says why the planner "
                    "skips it), or drop an index no query can use", scan.id if scan else None)]


def _all_probes(run, order, table) -> list[Finding]:
    """An IVFFlat index the plan uses with ivfflat.probes >= lists: an exact scan in disguise, which the
    planner skips as soon as a sequential scan looks cheaper (find_vector reports it when skipped)."""
    probes = run.context.setting_int("ivfflat_probes")
    out = []
    for node in run.plan.nodes():
        index = next((i for i in table.vector_indexes if i.name == node.index and i.method == "ivfflat"), None)
        lists = int(index.options.get("lists", 100)) if index else 0
        if index is None or probes is None or probes < lists:
            continue
        out.append(Finding("warning", node_name(node),
                           f"ivfflat.probes = {probes} searches all of the index's {lists} lists: {index.name} costs as "
                           "much as an exact scan, and the planner skips it whenever a sequential scan looks cheaper",
                           f"SET ivfflat.probes = {max(1, int(lists ** 0.5))} (sqrt(lists) as a start; raise it while "
                           "recall is short), per role or database with ALTER ROLE/DATABASE ... SET", node.id))
    return out


def _processes(scan) -> int:
    """Parallel scans estimate rows per process."""
    if scan.node_type.startswith("Parallel"):
        gather = next((n for n in scan.ancestors() if n.node_type in ("Gather", "Gather Merge")), None)
        return int(gather.raw.get("Workers Planned", 0)) + 1 if gather else 1
    return 1


def _fix(table, index, condition: str, column_stats) -> str:
    fix = "SET hnsw.iterative_scan = relaxed_order (pgvector 0.8+) in the querying session"
    equality = [c for a, c in analyze_condition(condition).equality]
    if len(equality) != 1:
        return fix
    column = equality[0]
    stats = column_stats(table.schema, table.name).get(column) or {}
    values = stats.get("common_values") or []
    distinct = stats.get("n_distinct")
    if distinct is None or not values:
        return fix
    count = distinct if distinct > 0 else -distinct * table.estimated_rows
    if count > MAX_PARTIAL_VALUES or len(values) < count:
        return fix
    from psycopg import sql

    from apexdb.ops.catalog import create_index_sql

    if index.column is None:
        return fix  # an expression index: the partial copies are the user's to write
    parts = []
    for i, value in enumerate(values, 1):
        where = sql.SQL("{} = {}").format(sql.Identifier(column), sql.Literal(str(value))).as_string(None)
        parts.append(create_index_sql(table=(table.schema, table.name), column=index.column, method="hnsw",
                                      opclass=index.opclass, name=f"{table.name}_{index.column}_{column}_{i}_hnsw_idx"[:63],
                                      where=where).as_string(None) + ";")
    return (f"{fix}; or, as {column} has only {int(count)} values, a partial index per value: " + " ".join(parts))
