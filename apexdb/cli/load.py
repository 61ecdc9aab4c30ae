"""``apexdb load TABLE FILE``: bulk-load a file with COPY BINARY; ``apexdb sample-data``: a demo corpus file."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt, YesOpt


def register(app: typer.Typer) -> None:
    app.command("load", rich_help_panel="Vectors")(load)
    app.command("sample-data", rich_help_panel="Vectors")(sample_data)


def load(
    table: Annotated[str, typer.Argument(help="Table to load into (name or schema.name).")],
    file: Annotated[str, typer.Argument(help=".parquet, .arrow/.feather, .jsonl, .csv, .tsv (also .gz), .npy or .npz.")],
    column: Annotated[str, typer.Option("--column", help="Vector column.")] = "embedding",
    id_column: Annotated[str, typer.Option("--id-column", help="Id column (filled 0..n-1 for .npy/.npz).")] = "id",
    ids: Annotated[Optional[str], typer.Option(
        "--ids", help="Ids for a .npy file: a 1-D .npy array or one id per line (default 0..n-1).")] = None,
    renames: Annotated[Optional[list[str]], typer.Option(
        "--map", help="FIELD=COLUMN: load a field of the file into a column of another name (repeatable).")] = None,
    skip: Annotated[Optional[list[str]], typer.Option(
        "--skip", help="A field of the file to leave out (repeatable).")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Rows per COPY batch (and per commit with --batch-commit).")] = 10_000,
    batch_commit: Annotated[bool, typer.Option(
        "--batch-commit", help="Commit every --batch rows instead of all-or-nothing.")] = False,
    create: Annotated[bool, typer.Option(
        "--create", help="Create the table when it does not exist, typed from the file's schema.")] = False,
    truncate: Annotated[bool, typer.Option(
        "--truncate", help="Empty the table first, in the same transaction (asks; --yes).")] = False,
    analyze: Annotated[bool, typer.Option("--analyze/--no-analyze", help="ANALYZE the table after the load.")] = True,
    yes: YesOpt = False,
    dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table",
) -> None:
    """Bulk-load a file at COPY speed: every field into its column, all-or-nothing, then ANALYZE."""
    from apexdb.ops.load.readers import lean_memory_pool

    lean_memory_pool()  # before pyarrow is imported
    from apexdb.ops.load import LoadRequest, load as run_load, plan_load
    from apexdb.render.load import created_note, show_result

    with Session(format, dsn, target) as s:
        conn = s.connect(application_name="apexdb load")
        req = LoadRequest(table=table, file=file, column=column, id_column=id_column, ids_file=ids,
                          renames=renames or [], skip=skip or [], batch=batch, batch_commit=batch_commit,
                          create=create, truncate=truncate, analyze=analyze)
        plan = plan_load(conn, req)
        if truncate and plan.table is not None:
            s.confirm(f"Empty {plan.table.display} before loading?", yes, what=f"truncating {plan.table.display}")
        if plan.table is None:
            s.out.note(created_note(plan))
        for note in plan.notes:
            s.out.note(note)
        plan.notes.clear()
        # the total only for a bar someone watches: a text file's rows are counted by reading it
        total = plan.source.rows if s.out.interactive else None
        with s.out.progress(f"loading {plan.source.name}", total=total) as bar:
            def on_progress(done: int, seconds: float) -> None:
                rate = done / seconds if seconds > 0 else 0
                bar.update(completed=done, detail=f"{rate:,.0f} rows/s")

            result = run_load(conn, plan, on_progress=on_progress)
        show_result(s.out, result, plan.notes)


def sample_data(
    path: Annotated[str, typer.Argument(help="File to write: .jsonl (with titles) or .npy (vectors only).")],
    rows: Annotated[int, typer.Option("--rows", help="How many rows.")] = 3000,
    dims: Annotated[int, typer.Option("--dims", help="Vector dimensions.")] = 384,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same file).")] = 7,
    format: FormatOpt = "table",
) -> None:
    """Write a deterministic sample corpus (clustered vectors with titles and categories) to load and index."""
    from apexdb.ops.demo.corpus import write_corpus
    from apexdb.render import cols

    with Session(format) as s:
        info = write_corpus(path, rows=rows, dims=dims, seed=seed)
        s.out.table([info], cols("file", "rows:int", "dims:int", "clusters:int", "size_bytes:bytes"), doc=info)
