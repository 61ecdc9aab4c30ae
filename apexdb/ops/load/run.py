"""``apexdb load``: a file into a table with COPY ... FORMAT BINARY, then ANALYZE.

The plan opens the file, maps its fields to the table's columns and checks both (nothing is
written). The load encodes each batch of rows at once (binary.py, columns.py) and sends it
through one COPY from a background writer thread while the next batch is read and encoded.
By default the whole load is one transaction: a bad row anywhere leaves the table as it was;
``batch_commit`` commits every ``batch`` rows instead. Afterwards the table is analyzed so
the planner has statistics.
"""
from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Callable

from apexdb.config import load_config
from apexdb.db.connection import read_only, set_local
from apexdb.db.queries import execute, fetch
from apexdb.errors import BadInput, DatabaseError, Interrupted
from apexdb.ops import catalog as vc
from apexdb.ops.load import mapping as mp
from apexdb.ops.load.readers import Source, open_source

VECTOR_TYPES = ("vector", "halfvec", "sparsevec", "bit")


@dataclass(kw_only=True)
class LoadRequest:
    table: str
    file: str
    column: str = "embedding"
    id_column: str = "id"
    ids_file: str | None = None
    renames: list[str] = field(default_factory=list)  # --map field=column
    skip: list[str] = field(default_factory=list)  # --skip field
    batch: int = 10_000  # rows per COPY write batch (and per commit with batch_commit)
    batch_commit: bool = False
    create: bool = False
    truncate: bool = False
    analyze: bool = True


@dataclass
class LoadResult:
    table: str
    file: str
    format: str
    rows: int
    dims: int | None
    bytes: int  # COPY data sent
    seconds: float
    rows_per_s: float
    created: bool
    truncated: bool
    analyzed: bool
    columns: list[str]
    fields: dict[str, str]  # file field -> column
    commits: int


@dataclass
class LoadPlan:
    request: LoadRequest
    source: Source
    table: vc.TableRef | None  # None: --create makes it
    targets: list[mp.Target]  # in COPY order
    dims: int | None
    notes: list[str] = field(default_factory=list)


def plan_load(conn, req: LoadRequest) -> LoadPlan:
    """Open the file and check it against the table; nothing is written."""
    if req.batch < 1:
        raise BadInput(f"--batch must be at least 1 (got {req.batch})")
    source = open_source(req.file, vector_name=req.column, id_name=req.id_column, ids_file=req.ids_file,
                         batch=req.batch)
    mapping = mp.field_columns(source.schema, vector_column=req.column, renames=mp.parse_renames(req.renames),
                               skip=req.skip)
    vector_field = next(f for f, c in mapping.items() if c == req.column)
    notes: list[str] = []
    with read_only(conn):
        try:
            table = vc.resolve_table(conn, req.table)
        except BadInput:
            if not req.create:
                raise BadInput(f"table {req.table!r} does not exist", hint="add --create to create it") from None
            table = None
        if table is not None:
            if table.kind not in ("r", "p"):
                raise BadInput(f"{table.display} is not a table")
            column = vc.vector_column(conn, table, req.column)
            columns = fetch(conn, "load_table_columns", {"table_oid": table.oid})
            if source.synthetic_ids and req.id_column != "id" and req.id_column not in [c["column"] for c in columns]:
                raise BadInput(f"column {req.id_column!r} does not exist in {table.display}")
            targets = mp.targets(source.schema, mapping, columns, table.display, id_column=req.id_column,
                                 synthetic_ids=source.synthetic_ids)
            ann = [i.name for i in vc.indexes_on_column(conn, column)]
            if ann and (source.rows or 0) >= 1000:
                notes.append(f"{len(ann)} vector index(es) on {table.display} ({', '.join(ann)}) are updated row "
                             f"by row during the load; for big loads it is much faster to drop them and build "
                             f"after (apexdb index create)")
    dims = _file_dims(source, vector_field)
    if dims is not None:
        source.text_vectors = vector_field  # CSV: parse the vectors' text in the reader thread
    if table is None:
        targets = mp.created_targets(source.schema, mapping, vector_column=req.column, id_column=req.id_column,
                                     dims=dims, synthetic_ids=source.synthetic_ids)
    else:
        vec = next(t for t in targets if t.column == req.column)
        if vec.dims is None and vec.type in ("vector", "halfvec"):
            vec.dims = dims  # a column without a dimension: every row must have the first row's
        if vec.dims is not None and dims is not None and vec.dims != dims and vec.type in ("vector", "halfvec"):
            raise BadInput(f"{source.name} has {dims}-dimensional vectors but {table.display}.{req.column} "
                           f"is {vec.display}")
    return LoadPlan(req, source, table, targets, dims, notes)


def _file_dims(source: Source, vector_field: str) -> int | None:
    """The dimension of the file's vectors, from the schema or the first row (None: sparse)."""
    import pyarrow as pa

    from apexdb.ops.load.vectors import is_vector_type, to_matrix

    t = source.schema.field(vector_field).type
    if pa.types.is_fixed_size_list(t):
        return t.list_size
    if not (is_vector_type(t) or pa.types.is_string(t) or pa.types.is_large_string(t)):
        return None  # a struct of indices and values, say: sparsevec
    first = [(0, source.sample)] if source.sample is not None else source.numbered(16, prefetch=False)
    for start, batch in first:
        column = batch.column(vector_field).drop_null()[:1]
        if not len(column) or (pa.types.is_string(t) and column[0].as_py().lstrip().startswith("{")):
            return None
        return to_matrix(column, where=source.name, field=vector_field, first_row=start).shape[1]
    raise BadInput(f"file {source.name} has no rows")


def create_table(conn, plan: LoadPlan) -> None:
    conn.execute(mp.create_statement(plan.request.table, plan.targets, plan.request.id_column))


def load(conn, plan: LoadPlan, *, on_progress: Callable[[int, float], None] | None = None) -> LoadResult:
    """Run the load; one transaction unless ``batch_commit``; ANALYZE after. Returns what was loaded."""
    import psycopg

    from apexdb.ops.load.copy import copy_batches

    req = plan.request
    started = time.monotonic()
    state = {"rows": 0, "bytes": 0}
    committed, commits, created = 0, 0, False

    def advance(rows: int, nbytes: int) -> None:
        state["rows"] += rows
        state["bytes"] += nbytes
        if on_progress:
            on_progress(state["rows"], time.monotonic() - started)

    # all-or-nothing, batches only pace the reader: they pass as read (no copy), at most 2,048 rows
    batches = (plan.source.numbered(req.batch) if req.batch_commit
               else plan.source.numbered(min(req.batch, 2048), exact=False))
    # Python's cycle collector paused while rows stream: a load makes no reference cycles, but its
    # many short-lived objects set the collector off over and over (some 5% of a text file's load)
    collecting = gc.isenabled()
    gc.disable()
    try:
        tx = conn.transaction()
        tx.__enter__()
        try:
            set_local(conn, statement_timeout="0", lock_timeout=load_config().setting("lock_timeout"))
            if plan.table is None:
                create_table(conn, plan)
                created = True
                plan.table = vc.resolve_table(conn, req.table)
            if req.truncate:
                conn.execute(_compose("TRUNCATE {table}", plan))
            if not req.batch_commit:  # one COPY for the whole file
                copy_batches(conn, plan, batches, advance)
            else:
                for numbered in batches:
                    copy_batches(conn, plan, [numbered], advance)
                    tx.__exit__(None, None, None)
                    commits, committed = commits + 1, state["rows"]
                    tx = conn.transaction()
                    tx.__enter__()
                    set_local(conn, statement_timeout="0")
        except BaseException as exc:
            tx.__exit__(type(exc), exc, exc.__traceback__)
            raise
        tx.__exit__(None, None, None)
        commits += 0 if req.batch_commit and commits else 1  # with --batch-commit the last one is empty
    except psycopg.Error as exc:
        primary = exc.diag.message_primary if exc.diag else str(exc)
        where = f" ({exc.diag.context.strip().splitlines()[0]})" if exc.diag and exc.diag.context else ""
        raise DatabaseError(f"load into {req.table} failed: {primary}{where}{_kept(req, committed)}",
                            sqlstate=exc.sqlstate, hint=exc.diag.message_detail if exc.diag else None) from None
    except KeyboardInterrupt:
        raise Interrupted(f"load interrupted: the COPY was cancelled{_kept(req, committed)}") from None
    except BadInput as exc:
        raise BadInput(exc.message + _kept(req, committed), hint=exc.hint) from None
    finally:
        if collecting:
            gc.enable()
    seconds = time.monotonic() - started
    analyzed = req.analyze and _analyze(conn, plan)
    rows = state["rows"]
    return LoadResult(plan.table.display, str(plan.source.path), plan.source.kind, rows, plan.dims, state["bytes"],
                      round(seconds, 3), round(rows / seconds, 1) if seconds > 0 else 0.0, created, req.truncate,
                      analyzed, [t.column for t in plan.targets],
                      {t.field: t.column for t in plan.targets if t.field}, commits)


def _compose(text: str, plan: LoadPlan):
    from apexdb import sql as registry

    return registry.compose(text, table=plan.table.ident)


def _analyze(conn, plan: LoadPlan) -> bool:
    """ANALYZE the table (its own statement, after the commit) so plans see the new rows."""
    import psycopg

    try:
        with conn.transaction():
            set_local(conn, statement_timeout="0", lock_timeout=load_config().setting("lock_timeout"))
            execute(conn, "load_analyze", table=plan.table.ident)
        return True
    except psycopg.Error as exc:
        plan.notes.append(f"the rows are loaded, but ANALYZE {plan.table.display} failed: "
                          f"{exc.diag.message_primary if exc.diag else exc}; run apexdb vacuum --analyze")
        return False


def _kept(req: LoadRequest, committed: int) -> str:
    if req.batch_commit and committed:
        return f"; the {committed:,} rows of earlier batches stay committed (--batch-commit)"
    return "; nothing was written (the load rolled back)"
