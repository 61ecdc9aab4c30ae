"""Files to load, read through pyarrow as a stream of record batches.

Parquet (``ParquetFile.iter_batches``, page by page), Arrow IPC / Feather (memory-mapped),
JSONL (``pyarrow.json``, a block of whole lines at a time), CSV/TSV (``pyarrow.csv.open_csv``)
and ``.npy`` (memory-mapped) never hold more than a few batches in memory, so a file larger
than memory streams. ``.gz`` CSV/JSONL are decompressed as they stream. ``.npz`` members are
read whole (numpy cannot map them). Reader errors (a truncated file, a broken quote, a line
that is not JSON) become BadInput naming the rows of the batch they happened in.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterator

from apexdb.errors import BadInput

FORMATS = {".npy": "npy", ".npz": "npz", ".parquet": "parquet", ".pq": "parquet", ".arrow": "arrow",
           ".feather": "arrow", ".ipc": "arrow", ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl",
           ".ndjson": "jsonl"}
TEXT_KINDS = ("csv", "tsv", "jsonl")
BLOCK = 8 << 20  # bytes of JSONL parsed at a time: thousands of 384-d rows
CSV_BLOCK = 2 << 20  # pyarrow's CSV reader reads dozens of blocks ahead: a few MiB each


@dataclass
class Source:
    path: Path
    kind: str
    schema: Any  # pyarrow.Schema of the batches
    known_rows: int | None  # known up front for Parquet, Arrow, .npy/.npz
    open_batches: Callable[[], Iterator[Any]]
    notes: list[str] = field(default_factory=list)
    synthetic_ids: bool = False  # .npy/.npz: ids 0..n-1 when the table's id column needs them
    text_vectors: str | None = None  # CSV: the field whose pgvector text the parse workers parse
    count_rows: Callable[[], int] | None = None  # plain CSV/JSONL: lines counted when asked
    sample: Any = None  # JSONL: a batch of the first rows as read (for the vectors' dimension)

    @cached_property
    def rows(self) -> int | None:
        """The file's rows, for a progress bar's total: counting a text file's lines reads it
        whole, so it happens only when something asks."""
        return self.known_rows if self.count_rows is None else self.count_rows()

    @property
    def name(self) -> str:
        return self.path.name

    def numbered(self, size: int = 10_000, prefetch: bool = True, exact: bool = True) -> Iterator[tuple[int, Any]]:
        """(first row, batch of at most ``size`` rows); reader errors name the rows they hit.
        ``prefetch``: the next batch is read in a thread while this one is used. ``exact``:
        batches of ``size`` rows (the last excepted), small ones joined (a copy); otherwise
        batches pass as read, only cut (without a copy) where larger than ``size``."""
        start, pending, count = 0, [], 0
        batches = prefetched(self.open_batches()) if prefetch else iter(self.open_batches())
        while True:
            try:
                batch = next(batches, None)
            except (OSError, EOFError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
                raise BadInput(f"{self.name}: reading stopped after row {start + count:,}: {_one_line(exc)}") from None
            if batch is not None and not exact:
                for offset in range(0, batch.num_rows, size):
                    part = batch.slice(offset, size)
                    yield start, part
                    start += part.num_rows
                continue
            if batch is not None:
                pending.append(batch)
                count += batch.num_rows
            while count >= size or (batch is None and count):
                out, pending, count = _take(pending, min(size, count))
                yield start, out
                start += out.num_rows
            if batch is None:
                return


def prefetched(batches: Iterator[Any], depth: int = 1) -> Iterator[Any]:
    """Read the next batches in a thread while the caller encodes and sends this one (pyarrow
    parses without the GIL); an error in the reader is raised here, in order."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        q.put(("batch", batch), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("end", None))
        except BaseException as exc:  # handed to the consumer
            q.put(("error", exc))

    thread = threading.Thread(target=work, name="apexdb-load-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()


def in_order(convert: Callable[[Any], Any], items: Iterator[Any], workers: int | None = None) -> Iterator[Any]:
    """``convert`` of each item on worker threads, the results in the items' order: a text
    file's blocks are parsed on every core while the next is read (Arrow's and numpy's kernels
    run without the GIL). At most a few items are in flight, so memory stays flat; an error is
    raised in order, when its item's turn comes."""
    import os
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    workers = workers or min(os.cpu_count() or 1, 8)
    if workers < 2:
        yield from map(convert, items)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="apexdb-load-parse") as pool:
        pending: deque = deque()
        items, failed = iter(items), None
        try:
            while True:
                try:
                    item = next(items)
                except StopIteration:
                    break
                except Exception as exc:  # the reader failed: what it read before comes first
                    failed = exc
                    break
                pending.append(pool.submit(convert, item))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
            if failed is not None:
                raise failed
        finally:
            for future in pending:
                future.cancel()


def _take(pending: list, n: int):
    """The first ``n`` rows of the pending batches as one batch (zero-copy when one batch holds
    them), and what is left."""
    import pyarrow as pa

    first = pending[0]
    if first.num_rows >= n:
        rest = ([first.slice(n)] if first.num_rows > n else []) + pending[1:]
        return first.slice(0, n), rest, sum(b.num_rows for b in rest)
    table = pa.Table.from_batches(pending)
    head = table.slice(0, n).combine_chunks().to_batches()
    rest = table.slice(n).to_batches()
    return head[0], rest, sum(b.num_rows for b in rest)


def _one_line(exc: BaseException) -> str:
    from apexdb.errors import one_line

    return one_line(exc)[:300]


def open_source(path: str | Path, *, vector_name: str = "embedding", id_name: str = "id",
                ids_file: str | Path | None = None, batch: int = 10_000) -> Source:
    """Open ``path`` and read its schema (nothing is written, little is read)."""
    lean_memory_pool()
    path = Path(path).expanduser()
    if not path.exists():
        raise BadInput(f"file {str(path)!r} does not exist")
    if path.is_dir():
        raise BadInput(f"{str(path)!r} is a directory, not a file")
    compressed = path.suffix.lower() == ".gz"
    kind = FORMATS.get(Path(path.stem).suffix.lower() if compressed else path.suffix.lower())
    if kind is None or (compressed and kind not in TEXT_KINDS):
        raise BadInput(f"cannot load {path.name}: use .parquet, .arrow/.feather, .jsonl, .csv, .tsv "
                       f"(those three also .gz), .npy or .npz")
    if path.stat().st_size == 0:
        raise BadInput(f"file {path.name} is empty")
    if ids_file is not None and kind != "npy":
        raise BadInput("--ids applies to .npy files; other formats carry the id as a field")
    try:
        if kind in ("npy", "npz"):
            from apexdb.ops.load.numpy_files import open_npy, open_npz

            return (open_npy(path, vector_name, id_name, ids_file, batch) if kind == "npy"
                    else open_npz(path, vector_name, batch))
        if kind == "parquet":
            return _parquet(path, batch)
        if kind == "arrow":
            return _arrow(path)
        from apexdb.ops.load.text_files import open_delimited, open_jsonl

        if kind == "jsonl":
            return open_jsonl(path, compressed, vector_name)
        return open_delimited(path, kind, compressed, vector_name, id_name)
    except BadInput:
        raise
    except (OSError, EOFError, ValueError) as exc:
        raise BadInput(f"cannot read {path.name} as {kind}: {_one_line(exc)}") from None


def lean_memory_pool() -> None:
    """Arrow's buffers from jemalloc rather than mimalloc (the Linux wheels' default), with which
    a streaming load's resident memory grew some 70 MiB more (freed pages stay with each of
    pyarrow's threads). Arrow reads ARROW_DEFAULT_MEMORY_POOL when it is first imported (the
    CLI calls this before); later only the pool Python hands to Arrow can change. A pool the
    user chose is kept."""
    import os

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or not sys.platform.startswith("linux"):
        return
    if "pyarrow" not in sys.modules:
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "jemalloc"
        return
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a build without jemalloc
        pass


def _parquet(path: Path, batch: int) -> Source:
    import pyarrow.parquet as pq

    # buffered reads without pre-buffering: a row group is read page by page, not whole
    meta = pq.ParquetFile(path).metadata

    def batches() -> Iterator[Any]:
        reader = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
        return reader.iter_batches(batch_size=min(batch, 2048), use_threads=False)

    schema = pq.ParquetFile(path).schema_arrow
    return Source(path, "parquet", schema, meta.num_rows, batches)


def _arrow(path: Path) -> Source:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    def reader():
        source = pa.memory_map(str(path))
        try:
            return ipc.open_file(source)
        except pa.ArrowInvalid:  # the streaming format (.arrows) has no footer
            return ipc.open_stream(pa.memory_map(str(path)))

    first = reader()
    if isinstance(first, ipc.RecordBatchFileReader):
        rows = sum(first.get_batch(i).num_rows for i in range(first.num_record_batches))

        def batches() -> Iterator[Any]:
            r = reader()
            return (r.get_batch(i) for i in range(r.num_record_batches))
    else:
        rows = None

        def batches() -> Iterator[Any]:
            return iter(reader())
    return Source(path, "arrow", first.schema, rows, batches)


def count_lines(path: Path) -> int:
    """Newlines in a plain text file, in large binary chunks (for the progress bar's total)."""
    n = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(BLOCK), b""):
            n += chunk.count(b"\n")
    return n
