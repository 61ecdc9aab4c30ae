"""The one output sink: results to stdout as rich/plain tables, JSON, CSV or Markdown;
messages, warnings, progress and prompts to stderr.

Ops return rows and dataclasses; the CLI hands them to a :class:`Renderer`.
"""
from __future__ import annotations

import csv
import io
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

from apexdb.errors import BadInput, redact
from apexdb.render.format import human, to_json, truncate

FORMATS = ("table", "json", "csv", "markdown")
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan", "ok": "green"}


@dataclass
class Column:
    key: str
    header: str | None = None
    kind: str = "text"  # text int float bytes ms s pct ts bool severity
    max_width: int | None = None
    justify: str | None = None

    @property
    def title(self) -> str:
        return self.header if self.header is not None else self.key.replace("_", " ")


@dataclass
class Section:
    """One table of a multi-table result (``info``, ``server status``...)."""

    title: str | None
    rows: Sequence[dict[str, Any]]
    columns: Sequence[Column]
    empty: str = "(none)"


def cols(*specs: str | Column) -> list[Column]:
    """``cols("name", "size:bytes", "scans:int")``: a column list from short specs."""
    out = []
    for spec in specs:
        if isinstance(spec, Column):
            out.append(spec)
            continue
        key, _, kind = spec.partition(":")
        out.append(Column(key, kind=kind or "text"))
    return out


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    return fmt


def _is_tty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Renderer:
    fmt: str = "table"
    stdout: Any = None
    stderr: Any = None
    _console: Any = field(default=None, repr=False)
    _err_console: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_format(self.fmt)
        self.stdout = self.stdout or sys.stdout
        self.stderr = self.stderr or sys.stderr

    # -- terminal facts -----------------------------------------------------
    @property
    def rich_stdout(self) -> bool:
        return self.fmt == "table" and _is_tty(self.stdout)

    @property
    def interactive(self) -> bool:
        """A person is watching stderr: show progress, colour and info messages."""
        return _is_tty(self.stderr)

    @property
    def no_color(self) -> bool:
        return bool(os.environ.get("NO_COLOR"))

    def console(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stdout, no_color=self.no_color, highlight=False,
                                    soft_wrap=False)
        return self._console

    def err_console(self):
        if self._err_console is None:
            from rich.console import Console

            self._err_console = Console(file=self.stderr, no_color=self.no_color, highlight=False,
                                        force_terminal=self.interactive or None)
        return self._err_console

    # -- results (stdout) ---------------------------------------------------
    def table(self, rows: Sequence[dict[str, Any]], columns: Sequence[Column], *,
              title: str | None = None, doc: Any = None, empty: str = "(none)") -> None:
        """One table; JSON prints ``doc`` when given, else the rows with their raw values."""
        if self.fmt == "json":
            self._write(to_json(doc if doc is not None else list(rows)))
            return
        self.sections([Section(title, rows, columns, empty)])

    def sections(self, sections: Sequence[Section], *, doc: Any = None) -> None:
        """Several tables; JSON prints ``doc``."""
        if self.fmt == "json":
            self._write(to_json(doc))
            return
        for i, section in enumerate(sections):
            if self.fmt == "csv":
                if i:
                    self._write("")
                self._csv(section)
            elif self.fmt == "markdown":
                self._markdown(section)
            elif self.rich_stdout:
                self._rich(section)
            else:
                self._plain(section, first=i == 0)

    def document(self, doc: Any, human_view=None) -> None:
        """A result that is not a table: JSON, or ``human_view(renderer)`` for people."""
        if self.fmt == "json" or human_view is None:
            self._write(to_json(doc))
        else:
            human_view(self)

    def rich(self, renderable) -> None:
        """A rich renderable (a tree, a chart) for people; plain text when piped."""
        self.console().print(renderable)

    def line(self, text: str = "") -> None:
        self._write(text)

    def _write(self, text: str) -> None:
        self.stdout.write(redact(text) + "\n")
        self.stdout.flush()

    def _cells(self, section: Section, raw: bool = False) -> list[list[str]]:
        out = []
        for row in section.rows:
            cells = []
            for col in section.columns:
                value = row.get(col.key)
                if raw:
                    cells.append("" if value is None else (to_json(value) if isinstance(value, (dict, list)) else str(value)))
                else:
                    cells.append(truncate(human(value, col.kind), col.max_width))
            out.append(cells)
        return out

    def _csv(self, section: Section) -> None:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([c.key for c in section.columns])
        writer.writerows(self._cells(section, raw=True))
        self.stdout.write(redact(buf.getvalue()))

    def _markdown(self, section: Section) -> None:
        from tabulate import tabulate

        if section.title:
            self._write(f"### {section.title}\n")
        if not section.rows:
            self._write(section.empty + "\n")
            return
        self._write(tabulate(self._cells(section), headers=[c.title for c in section.columns],
                             tablefmt="github", disable_numparse=True) + "\n")

    def _plain(self, section: Section, first: bool) -> None:
        from tabulate import tabulate

        if not first:
            self._write("")
        if section.title:
            self._write(section.title)
        if not section.rows:
            self._write(section.empty)
            return
        self._write(tabulate(self._cells(section), headers=[c.title for c in section.columns],
                             tablefmt="simple", disable_numparse=True))

    def _rich(self, section: Section) -> None:
        if not section.rows:
            if section.title:
                self.console().print(f"[bold]{section.title}[/bold]")
            self.console().print(section.empty, style="dim")
            return
        self.console().print(self.rich_table(section))

    def rich_table(self, section: Section):
        """``section`` as a rich Table (for ``_rich`` and for live views)."""
        from rich.table import Table

        table = Table(title=section.title, title_justify="left", title_style="bold", header_style="bold")
        for col in section.columns:
            numeric = col.kind in ("int", "float", "bytes", "ms", "s", "pct")
            table.add_column(col.title, justify=col.justify or ("right" if numeric else "left"),
                             overflow="fold", max_width=col.max_width)
        for row, cells in zip(section.rows, self._cells(section)):
            styled = []
            for col, cell in zip(section.columns, cells):
                style = SEVERITY_STYLE.get(str(row.get(col.key))) if col.kind == "severity" else None
                styled.append(f"[{style}]{_escape(cell)}[/{style}]" if style else _escape(cell))
            table.add_row(*styled)
        if not section.rows:
            table.caption = section.empty
        return table

    @contextmanager
    def live(self) -> Iterator[Any]:
        """A view redrawn in place on a terminal (``stats progress --watch``): yields ``show(renderable)``."""
        from rich.live import Live

        with Live(console=self.console(), auto_refresh=False, transient=False) as live:
            yield lambda renderable: live.update(renderable, refresh=True)

    # -- messages (stderr) --------------------------------------------------
    def info(self, message: str) -> None:
        """Narration for a person at a terminal; silent under cron."""
        if self.interactive:
            self.err_console().print(_escape(redact(message)), style="dim")

    def note(self, message: str) -> None:
        """Something worth saying even when piped (one line, stderr)."""
        self._err(message, "note", "cyan")

    def warn(self, message: str) -> None:
        self._err(message, "warning", "yellow")

    def error(self, message: str) -> None:
        self._err(message, "error", "bold red")

    def _err(self, message: str, label: str, style: str) -> None:
        message = redact(message)
        if self.interactive and not self.no_color:
            self.err_console().print(f"[{style}]{label}:[/{style}] {_escape(message)}")
        else:
            self.stderr.write(f"{label}: {message}\n")
            self.stderr.flush()

    # -- progress and prompts ----------------------------------------------
    @contextmanager
    def progress(self, description: str, total: float | None = None, unit: str = "") -> Iterator["Progress"]:
        """A live progress bar on stderr when a person watches; a no-op otherwise."""
        if not self.interactive:
            yield Progress(None, None)
            return
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn, TimeRemainingColumn)

        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), TextColumn("eta"),
                   TimeRemainingColumn()]
        with RichProgress(*columns, console=self.err_console(), transient=False) as bar:
            task = bar.add_task(description, total=total, detail=unit)
            yield Progress(bar, task)

    def confirm(self, question: str) -> bool:
        """Ask on the terminal; the caller decides what no terminal means."""
        from rich.prompt import Confirm

        return Confirm.ask(redact(question), console=self.err_console(), default=False)


class Progress:
    """Handle to a progress bar; every method is a no-op when nobody watches."""

    def __init__(self, bar, task):
        self._bar, self._task = bar, task

    def update(self, completed: float | None = None, total: float | None = None,
               description: str | None = None, detail: str | None = None) -> None:
        if self._bar is None:
            return
        kwargs: dict[str, Any] = {}
        if completed is not None:
            kwargs["completed"] = completed
        if total is not None:
            kwargs["total"] = total
        if description is not None:
            kwargs["description"] = description
        if detail is not None:
            kwargs["detail"] = detail
        self._bar.update(self._task, **kwargs)

    def advance(self, amount: float = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, amount)

    def restart(self, total: float | None = None, description: str | None = None, detail: str = "") -> None:
        """Start counting afresh (a new phase counting something else): elapsed and ETA restart too."""
        if self._bar is None:
            return
        kwargs: dict[str, Any] = {"total": total, "completed": 0, "detail": detail}
        if description is not None:
            kwargs["description"] = description
        self._bar.reset(self._task, **kwargs)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def rows_of(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Dataclass instances (or dicts) as row dicts."""
    import dataclasses

    return [dataclasses.asdict(i) if dataclasses.is_dataclass(i) else dict(i) for i in items]
