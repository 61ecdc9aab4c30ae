"""``apexdb load``: vectors from a file into a table with COPY ... FORMAT BINARY.

Rows of an integer id and a vector (the usual .npy load) are encoded a batch at a time in
pgvector's binary format (load_binary.py); rows with more columns go through pgvector's
own binary dumpers (``register_vector`` + ``copy.set_types``). Nothing is formatted as text. The file's dimension is checked against the column
before a row is written, and by default the whole load is one transaction: a bad row
anywhere leaves the table as it was. ``batch_commit`` commits every N rows instead.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from apexdb.config import load_config
from apexdb.db.connection import read_only, register_vector_types, set_local
from apexdb.db.queries import fetch_one
from apexdb.errors import BadInput, DatabaseError, Interrupted
from apexdb.ops import vector_catalog as vc
from apexdb.ops.load_readers import Source, open_source

LOADABLE_TYPES = ("vector", "halfvec")


@dataclass
class LoadRequest:
    table: str
    file: str
    column: str = "embedding"
    id_column: str = "id"
    ids_file: str | None = None
    batch: int = 10_000  # rows per COPY write batch (and per commit with batch_commit)
    batch_commit: bool = False
    create: bool = False
    truncate: bool = False


@dataclass
class LoadResult:
    table: str
    file: str
    format: str
    rows: int
    dims: int
    seconds: float
    rows_per_s: float
    created: bool
    truncated: bool
    columns: list[str]
    commits: int


@dataclass
class LoadPlan:
    request: LoadRequest
    source: Source
    table: vc.TableRef | None  # None: --create makes it
    columns: list[tuple[str, str]]  # (column, type name for set_types), in COPY order
    vector_type: str
    notes: list[str] = field(default_factory=list)


def plan_load(conn, req: LoadRequest) -> LoadPlan:
    """Open the file and check it against the table; nothing is written."""
    if req.batch < 1:
        raise BadInput(f"--batch must be at least 1 (got {req.batch})")
    source = open_source(req.file, column=req.column, id_column=req.id_column, ids_file=req.ids_file,
                         batch=req.batch)
    with read_only(conn):
        try:
            table = vc.resolve_table(conn, req.table)
        except BadInput:
            if not req.create:
                raise BadInput(f"table {req.table!r} does not exist", hint="add --create to create it") from None
            return LoadPlan(req, source, None, _created_columns(req, source), "vector")
        if table.kind not in ("r", "p"):
            raise BadInput(f"{table.display} is not a table")
        column = vc.vector_column(conn, table, req.column)
        if column.type not in LOADABLE_TYPES:
            raise BadInput(f"column {column.column} is {column.type}; load writes vector and halfvec columns")
        if column.dims is not None and column.dims != source.dims:
            raise BadInput(f"{source.path.name} has {source.dims}-dimensional vectors but "
                           f"{table.display}.{column.column} is {column.type}({column.dims})")
        ann = [i.name for i in vc.indexes_on_column(conn, column)]
        notes = []
        if ann and (source.rows or 0) >= 1000:
            notes.append(f"{len(ann)} vector index(es) on {table.display} ({', '.join(ann)}) are updated row by row "
                         f"during the load; for big loads it is much faster to drop them and build after "
                         f"(apexdb index create)")
        columns = [(req.id_column, _column_type(conn, table, req.id_column))]
        for key in source.extra_keys:
            columns.append((key, _column_type(conn, table, key)))
    columns.append((req.column, column.type))
    return LoadPlan(req, source, table, columns, column.type, notes)


def _column_type(conn, table: vc.TableRef, name: str) -> str:
    row = fetch_one(conn, "catalog_column_type", {"table_oid": table.oid, "column": name})
    if row is None:
        raise BadInput(f"column {name!r} does not exist in {table.display}")
    return row["type_name"]


def _created_columns(req: LoadRequest, source: Source) -> list[tuple[str, str]]:
    """id bigint (text when the ids are not integers), extra jsonl keys by their JSON type, the vector."""
    columns = [(req.id_column, "bigint")]
    for key in source.extra_keys:
        value = (source.first_extras or {}).get(key)
        kind = ("jsonb" if isinstance(value, (dict, list)) else "boolean" if isinstance(value, bool)
                else "bigint" if isinstance(value, int) else "double precision" if isinstance(value, float)
                else "text")
        columns.append((key, kind))
    columns.append((req.column, "vector"))
    return columns


def _create_table(conn, plan: LoadPlan) -> None:
    from psycopg import sql

    name = plan.request.table
    ident = sql.Identifier(*name.split(".", 1)) if "." in name else sql.Identifier(name)
    defs = []
    for i, (col, kind) in enumerate(plan.columns):
        if i == 0:
            defs.append(sql.SQL("{} bigint PRIMARY KEY").format(sql.Identifier(col)))
        elif col == plan.request.column:
            defs.append(sql.SQL("{} vector({})").format(sql.Identifier(col), sql.SQL(str(int(plan.source.dims)))))
        else:
            defs.append(sql.SQL("{} {}").format(sql.Identifier(col), sql.SQL(kind)))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(defs)))


def load(conn, plan: LoadPlan, *, on_progress: Callable[[int, float], None] | None = None) -> LoadResult:
    """Run the load; one transaction unless ``batch_commit``. Returns what was loaded."""
    import psycopg

    req = plan.request
    started = time.monotonic()
    done, committed, commits, created = 0, 0, 0, False
    batches = plan.source.batches
    try:
        tx = conn.transaction()
        tx.__enter__()
        try:
            set_local(conn, statement_timeout="0", lock_timeout=load_config().setting("lock_timeout"))
            if plan.table is None:
                _create_table(conn, plan)
                created = True
                plan.table = vc.resolve_table(conn, req.table)
            if req.truncate:
                from psycopg import sql

                conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(*plan.table.ident)))
            register_vector_types(conn)
            def advance(n: int) -> None:
                nonlocal done
                done += n
                if on_progress:
                    on_progress(done, time.monotonic() - started)

            if not req.batch_commit:  # one COPY for the whole file
                _copy(conn, plan, batches, advance)
            else:
                for batch in batches:
                    _copy(conn, plan, [batch], advance)
                    tx.__exit__(None, None, None)
                    commits, committed = commits + 1, done
                    tx = conn.transaction()
                    tx.__enter__()
                    set_local(conn, statement_timeout="0")
        except BaseException as exc:
            tx.__exit__(type(exc), exc, exc.__traceback__)
            raise
        tx.__exit__(None, None, None)
        commits += 1
    except psycopg.Error as exc:
        primary = exc.diag.message_primary if exc.diag else str(exc)
        kept = _kept(req, committed)
        raise DatabaseError(f"load into {req.table} failed: {primary}{kept}", sqlstate=exc.sqlstate,
                            hint=exc.diag.message_detail if exc.diag else None) from None
    except KeyboardInterrupt:
        raise Interrupted(f"load interrupted: the COPY was cancelled{_kept(req, committed)}") from None
    except BadInput as exc:
        kept = _kept(req, committed)
        raise BadInput(exc.message + kept, hint=exc.hint) from None
    seconds = time.monotonic() - started
    return LoadResult(plan.table.display, str(plan.source.path), plan.source.kind, done, plan.source.dims,
                      round(seconds, 3), round(done / seconds, 1) if seconds > 0 else 0.0, created, req.truncate,
                      [c for c, _ in plan.columns], commits)


def _kept(req: LoadRequest, committed: int) -> str:
    if req.batch_commit and committed:
        return f"; the {committed:,} rows of earlier batches stay committed (--batch-commit)"
    return "; nothing was written (the load rolled back)"


def _copy(conn, plan: LoadPlan, batches, advance: Callable[[int], None]) -> None:
    """One COPY FROM STDIN (FORMAT BINARY) of ``batches``, typed so pgvector's binary dumpers are
    used; a queued writer sends data from a thread while the next rows are dumped."""
    import itertools

    from psycopg import sql
    from psycopg.copy import QueuedLibpqWriter
    from psycopg.types.json import Jsonb

    from apexdb.ops.load_binary import HEADER, TRAILER, can_encode, check_id_range, encode_rows

    names = [c for c, _ in plan.columns]
    types = [t for _, t in plan.columns]
    stmt = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT BINARY)").format(
        sql.Identifier(*plan.table.ident), sql.SQL(", ").join(sql.Identifier(n) for n in names))
    json_cols = [i for i, t in enumerate(types) if t in ("json", "jsonb")]
    extra_keys = plan.source.extra_keys
    remaining = iter(batches)
    first = next(remaining, None)
    if first is None:
        return
    batches = itertools.chain([first], remaining)
    if can_encode(types[0], plan.vector_type, first.ids, extra_keys):
        # the common case, a whole batch at a time (same bytes as pgvector's dumpers)
        with conn.cursor() as cur, cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as copy:
            copy.write(HEADER)
            for batch in batches:
                copy.write(encode_rows(batch.ids, batch.vectors, types[0], plan.vector_type))
                advance(len(batch.vectors))
            copy.write(TRAILER)
        return
    if plan.vector_type == "halfvec":  # pgvector's halfvec dumper takes HalfVector objects
        from pgvector import HalfVector

        batches = (_as_half(b, HalfVector) for b in batches)
    with conn.cursor() as cur, cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as copy:
        copy.set_types(types)
        for batch in batches:
            check_id_range(batch.ids, types[0])
            if not extra_keys:
                for row_id, vec in zip(batch.ids, batch.vectors):
                    copy.write_row((row_id, vec))
            else:
                for row_id, vec, extra in zip(batch.ids, batch.vectors, batch.extras):
                    row = [row_id, *[extra.get(k) for k in extra_keys], vec]
                    for i in json_cols:
                        if row[i] is not None:
                            row[i] = Jsonb(row[i])
                    copy.write_row(row)
            advance(len(batch.vectors))


def _as_half(batch, half_vector):
    import dataclasses

    return dataclasses.replace(batch, vectors=[half_vector(v) for v in batch.vectors])
