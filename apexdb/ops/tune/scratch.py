"""The default query source of ``apexdb tune``: a scratch copy of the table without the
held-out rows, with the same index built on it.

A row sampled from the live table is a node of the HNSW graph (or a member of an IVFFlat
list): the search reaches it and its neighbours through its edges, and leaving the row out
of the answer does not take it out of the graph, so recall measured that way is optimistic.
Rows held out of a copy are, by construction, not in the index that is measured.

Nothing is ever left behind: the copy and its index live in one transaction of a
connection of their own, which is always rolled back. If apexdb is interrupted or the
connection is lost, the server rolls it back (``client_connection_check_interval`` makes a
long build notice a vanished client within a second). The rows reach the copy through
apexdb (COPY TO STDOUT on one connection, COPY FROM STDIN on the other), so the live table
is read in a short READ ONLY transaction of its own and no lock on it is held while the
copy's index is built and measured. The copy is UNLOGGED: no WAL, nothing sent to replicas.
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

from apexdb.errors import BadInput, DatabaseError, Interrupted

# Rough speeds, for the cost shown before the copy starts (measured on a 2-core machine with
# the pypi-e5 corpus; see bench/bench_tune.py, which prints the measured figures beside them).
COPY_BYTES_PER_S = 120e6  # COPY TO STDOUT -> COPY FROM STDIN through apexdb
HNSW_SECONDS_PER_UNIT = 8e-10  # per row x dims x ef_construction x log2(rows), one process (60k x 384: ~11 s quiet)
IVFFLAT_SECONDS_PER_UNIT = 1.2e-9  # per row x dims x lists
SCAN_BYTES_PER_S = 1.2e9  # exact answers: a sequential scan computing every distance
TUPLE_OVERHEAD = 40  # heap tuple header, line pointer, id column


@dataclass
class ScratchCost:
    rows: int  # rows copied (the table's less the held-out ones)
    held_out: int
    copy_bytes: int
    index_bytes: int
    build_s: float
    copy_s: float
    measure_s: float
    workers: int

    @property
    def total_s(self) -> float:
        return self.copy_s + self.build_s + self.measure_s

    @property
    def disk_bytes(self) -> int:
        return self.copy_bytes + self.index_bytes

    def describe(self, method: str) -> str:
        from apexdb.render.format import human_bytes, human_seconds

        return (f"copies {self.rows:,} rows ({human_bytes(self.copy_bytes)}) without {self.held_out:,} held-out "
                f"rows and builds the same {method} index on them: about {human_seconds(self.total_s)} "
                f"(build {human_seconds(self.build_s)}) and {human_bytes(self.disk_bytes)} of disk, "
                f"rolled back when done")


def index_options(index) -> dict[str, int]:
    """The index's build options, pgvector's defaults filled in."""
    from apexdb.ops.catalog import BUILD_DEFAULTS

    given = {k: int(v) for k, v in index.options.items() if str(v).isdigit()}
    return {k: given.get(k, default) for k, default in BUILD_DEFAULTS[index.method].items()}


def key_type(target) -> str:
    """The indexed type: the column's, or (an index on ``col::halfvec(n)``) the opclass's."""
    return target.index.opclass.split("_", 1)[0] if target.on_expression else target.column.type


def estimate(target, rows: int, held_out: int, queries: int, workers: int) -> ScratchCost:
    """What the scratch method costs for ``rows`` rows of ``target``: time and disk."""
    from apexdb.ops.index.sizing import value_bytes

    dims = target.column.dims or 1
    copied = max(rows - held_out, 1)
    width = value_bytes(key_type(target), target.column.dims) + TUPLE_OVERHEAD
    copy_bytes = copied * width
    opts = index_options(target.index)
    live = max(target.index.table_rows, 1)
    index_bytes = int(target.index.size_bytes * copied / live) if target.index.size_bytes else copy_bytes
    speedup = 1 + 0.7 * workers  # a parallel build's leader and workers, less their coordination
    if target.index.method == "hnsw":
        units = copied * dims * opts["ef_construction"] * math.log2(max(copied, 2))
        build = units * HNSW_SECONDS_PER_UNIT / speedup
    else:
        build = copied * dims * opts["lists"] * IVFFLAT_SECONDS_PER_UNIT / speedup
    measure = queries * copy_bytes / SCAN_BYTES_PER_S + queries * 12 * 0.002  # exact answers, then ~12 settings
    return ScratchCost(copied, held_out, copy_bytes, index_bytes, build, copy_bytes / COPY_BYTES_PER_S, measure,
                       workers)


def check_writable(conn, target) -> None:
    """The scratch copy needs a primary and CREATE on the table's schema; say the ways out if not."""
    ways_out = ("give real query vectors with --queries FILE or --queries-sql \"SELECT ...\" (measured on the "
                "live index, nothing written), or --fast (optimistic: the queries are rows of the index)")
    from apexdb.db.queries import fetch_one

    state = fetch_one(conn, "tune_scratch_writable", {"schema": target.table.schema})
    recovery, can_create = state["recovery"], state["can_create"]
    if recovery:
        raise BadInput(f"this server is a read-only replica and the default method builds a scratch copy of "
                       f"{target.table.display}: run tune on the primary (the index is the same), or {ways_out}")
    if not can_create:
        raise BadInput(f"the default method builds a scratch copy of {target.table.display} in schema "
                       f"{target.table.schema}, where this role may not CREATE: {ways_out}")


def copied_columns(target, filters) -> list[str]:
    """The id, the vector column, the columns the index's expression or predicate read, and the filters'."""
    names = [target.id_column, target.column.column, *(f.column for f in filters)]
    for text in (target.index.expression, target.index.predicate):
        if text:
            names += _column_refs(text)
    known = {c["name"] for c in target.columns}
    return [n for n in dict.fromkeys(names) if n and n in known]


def _column_refs(expression: str) -> list[str]:
    import pglast
    from pglast.visitors import Visitor

    found: list[str] = []

    class Refs(Visitor):
        def visit_ColumnRef(self, _ancestors, node):
            last = node.fields[-1]
            if hasattr(last, "sval"):
                found.append(last.sval)

    Refs()(pglast.parse_sql(f"SELECT 1 WHERE {expression}"))
    return found


@contextmanager
def scratch_copy(conn, db_target, target, held_out_ids: list[Any], filters, sizing, *,
                 statement_timeout_s: float, on_copy: Callable[[int], None] = lambda _n: None,
                 on_build: Callable[[Any], None] = lambda _s: None) -> Iterator[tuple[Any, Any]]:
    """(scratch connection, SearchTarget of the copy) inside the transaction that is rolled back."""
    import psycopg

    from apexdb.db.connection import cancel_backend, close_settings_connection, connect_with_settings, set_local

    from apexdb.config import load_config

    wconn = connect_with_settings(db_target, {"lock_timeout": load_config().setting("lock_timeout")},
                                  application_name="apexdb tune (scratch copy)")
    try:
        with wconn.transaction(force_rollback=True):
            set_local(wconn, statement_timeout=f"{int(statement_timeout_s * 1000)}ms", **sizing.settings())
            try:
                copy_target = _create(wconn, target, filters)
                _copy_rows(conn, wconn, target, copy_target, held_out_ids, filters, on_copy, statement_timeout_s)
                wconn.execute(_ident_sql("ANALYZE {}", copy_target.table.ident))
                _build(conn, wconn, target, copy_target, on_build)
                copy_target = _with_index(wconn, copy_target)
            except KeyboardInterrupt:
                cancel_backend(conn, wconn.info.backend_pid)
                raise Interrupted("tune cancelled: the scratch copy was rolled back, nothing was left behind") from None
            except psycopg.Error as exc:
                primary = exc.diag.message_primary if exc.diag and exc.diag.message_primary else str(exc)
                if exc.sqlstate == "57014":
                    primary = "it ran past the time --budget allows (statement_timeout)"
                raise DatabaseError(f"the scratch copy failed and was rolled back, nothing was left behind: "
                                    f"{primary}", sqlstate=exc.sqlstate) from None
            yield wconn, copy_target
    finally:
        close_settings_connection(wconn)


def scratch_name() -> str:
    return f"apexdb_tune_{os.getpid()}"


def _ident_sql(template: str, ident):
    from psycopg import sql

    return sql.SQL(template).format(sql.Identifier(*ident))


def _create(wconn, target, filters):
    """CREATE UNLOGGED TABLE with the copied columns, their types from the catalog."""
    from psycopg import sql

    from apexdb.ops.catalog import TableRef, relation_named

    types = {c["name"]: c["type"] for c in target.columns}
    names = copied_columns(target, filters)
    id_column = target.id_column or "apexdb_rid"
    columns = [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(types[n])) for n in names]  # catalog types
    if target.id_column is None:
        columns.insert(0, sql.SQL("apexdb_rid text"))
    name = scratch_name()
    wconn.execute(sql.SQL("CREATE UNLOGGED TABLE {} ({})").format(
        sql.Identifier(target.table.schema, name), sql.SQL(", ").join(columns)))
    ref = TableRef(int(relation_named(wconn, target.table.schema, name)["oid"]), target.table.schema, name, "r", 0)
    return replace(target, table=ref, id_column=id_column)


def _copy_rows(conn, wconn, target, copy_target, held_out_ids, filters, on_copy, statement_timeout_s) -> None:
    from psycopg import sql

    from apexdb.db.connection import read_only
    from apexdb.ops.search.query import id_expression

    names = copied_columns(target, filters)
    select = [sql.Identifier(n) for n in names]
    into = [sql.Identifier(n) for n in names]
    if target.id_column is None:
        select.insert(0, sql.SQL("ctid::text"))
        into.insert(0, sql.Identifier("apexdb_rid"))
    source = sql.SQL("COPY (SELECT {cols} FROM {table} WHERE {col} IS NOT NULL AND {rid} <> ALL(%s)) "
                     "TO STDOUT (FORMAT BINARY)").format(
        cols=sql.SQL(", ").join(select), table=sql.Identifier(*target.table.ident),
        col=sql.Identifier(target.column.column), rid=id_expression(target))
    sink = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(*copy_target.table.ident), sql.SQL(", ").join(into))
    done = 0
    timeout = f"{int(statement_timeout_s * 1000)}ms"
    with read_only(conn, statement_timeout=timeout), conn.cursor() as rcur, wconn.cursor() as wcur:
        with rcur.copy(source, [list(held_out_ids)]) as out, wcur.copy(sink) as inp:
            for chunk in out:
                inp.write(chunk)
                done += len(chunk)
                on_copy(done)


def _build(conn, wconn, target, copy_target, on_build) -> None:
    from psycopg import sql

    from apexdb.db.progress import ProgressWatcher

    index = target.index
    key = (sql.SQL("({})").format(sql.SQL(index.expression)) if target.on_expression  # catalog text
           else sql.Identifier(target.column.column))
    options = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Literal(v))
                                 for k, v in index_options(index).items())
    ddl = sql.SQL("CREATE INDEX {name} ON {table} USING {method} ({key} {opclass}) WITH ({options})").format(
        name=sql.Identifier(copy_target.table.name + "_idx"), table=sql.Identifier(*copy_target.table.ident),
        method=sql.Identifier(index.method), key=key, opclass=sql.Identifier(index.opclass), options=options)
    if index.predicate:
        ddl += sql.SQL(" WHERE {}").format(sql.SQL(index.predicate))  # catalog text
    with ProgressWatcher(kind="create_index", pid=wconn.info.backend_pid, conn=conn, on_sample=on_build):
        wconn.execute(ddl)


def _with_index(wconn, copy_target):
    """The copy's SearchTarget, its index read back from the catalog (as this transaction sees it)."""
    from apexdb.ops.catalog import indexes_on_column, vector_column

    column = vector_column(wconn, copy_target.table, copy_target.column.column)
    built = [i for i in indexes_on_column(wconn, column)]
    if not built:
        raise DatabaseError("the scratch copy's index was not found after its build")
    count = wconn.execute(_ident_sql("SELECT count(*) FROM {}", copy_target.table.ident)).fetchone()[0]
    table = replace(copy_target.table, estimated_rows=int(count))
    on_column = [i for i in built if i.column == column.column]
    return replace(copy_target, table=table, column=column, index=built[0], candidates=built,
                   indexes=on_column, expression_indexes=[i for i in built if i.column != column.column])

