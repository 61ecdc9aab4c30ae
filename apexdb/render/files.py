"""Writing a view to a file the user named: checked before any work, written whole or not at all.

``PendingFile(path, option="--html")`` creates its temporary file beside ``path`` at once, so a
missing directory, a directory given as the file, or a directory this process may not write to
is refused (``BadInput``, one line, exit 2) before the command gathers anything. ``commit(text)``
writes the temporary file, flushes it to disk and renames it over ``path`` (atomic on one file
system); leaving the ``with`` block without a commit, for whatever reason, removes it. So a
reader never sees half a page, and a failed run leaves no file behind.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from apexdb.errors import BadInput


class PendingFile:
    def __init__(self, path: str | os.PathLike, *, option: str):
        self.option = option
        text = os.fspath(path)
        if not text.strip():
            raise BadInput(f"{option}: give a file name")
        self.path = Path(text).expanduser()
        self._fd: int | None = None
        self._tmp: str | None = None
        self.bytes_written = 0

    def __enter__(self) -> "PendingFile":
        where = f"{self.option} {self.path}"
        if self.path.is_dir():
            raise BadInput(f"{where}: is a directory; give a file name")
        parent = self.path.parent
        if not parent.exists():
            raise BadInput(f"{where}: directory {parent} does not exist")
        if not parent.is_dir():
            raise BadInput(f"{where}: {parent} is not a directory")
        if self.path.exists() and not os.path.isfile(self.path):
            raise BadInput(f"{where}: is not a regular file")
        try:
            # Creating the temporary file is the real test: permissions, read-only file systems, ACLs.
            self._fd, self._tmp = tempfile.mkstemp(dir=parent, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as exc:
            reason = "permission denied" if exc.errno in (errno.EACCES, errno.EPERM) else (exc.strerror or str(exc))
            raise BadInput(f"{where}: cannot write in {parent}: {reason.lower()}") from None
        return self

    def commit(self, text: str) -> int:
        """Write ``text`` (UTF-8) and put it in place; the bytes written."""
        data = text.encode("utf-8")
        try:
            with os.fdopen(self._fd, "wb") as fh:
                self._fd = None
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(self._tmp, 0o644 & ~_umask())  # mkstemp makes 0600; a report is meant to be shared
            os.replace(self._tmp, self.path)
        except OSError as exc:
            raise BadInput(f"{self.option} {self.path}: could not be written: {exc.strerror or exc}") from None
        self._tmp = None
        self.bytes_written = len(data)
        return self.bytes_written

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
