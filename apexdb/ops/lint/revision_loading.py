"""Loading an Alembic project whose revision scripts do not all import.

Alembic imports every script in versions/ to build its revision map, so one script that fails
to import (a module missing from this environment, a syntax error) normally stops everything.
While linting, such a script is read without running it: its ``revision`` and ``down_revision``
come from its source (``ast``), so the map stays whole, and its ``upgrade()`` raises the import
error, which the linter reports against that one file.
"""
from __future__ import annotations

import ast
import os
import types
from contextlib import contextmanager

HEADER_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")


class RevisionImportFailed(RuntimeError):
    apexdb_import_failed = True


@contextmanager
def tolerant_revision_loading():
    from alembic.script.base import Script

    original = Script.__dict__["_from_path"]

    def from_path(cls, scriptdir, path):
        try:
            return original.__func__(cls, scriptdir, path)
        except Exception as exc:
            stub = _stub_module(str(path), exc)
            if stub is None:
                raise
            return Script(stub, stub.revision, path)

    Script._from_path = classmethod(from_path)
    try:
        yield
    finally:
        Script._from_path = original


def _stub_module(path: str, exc: Exception) -> types.ModuleType | None:
    """A stand-in for a script that failed to import: its header from the source, an upgrade()
    that raises the import error. None when the source does not say its revision either."""
    try:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
    except (OSError, ValueError):
        return None
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError):  # the script does not even compile: read its header lines alone
        tree = None
    header = _header(tree.body) if tree is not None else _header_lines(source)
    if header is None:
        return None
    if not isinstance(header.get("revision"), str):
        return None
    doc = (ast.get_docstring(tree) if tree is not None else "") or ""
    module = types.ModuleType(os.path.splitext(os.path.basename(path))[0], doc)
    for name in HEADER_NAMES:
        setattr(module, name, header.get(name))
    reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"

    def upgrade() -> None:
        raise RevisionImportFailed(reason)

    module.upgrade = module.downgrade = upgrade
    return module


def _header(body) -> dict | None:
    """revision, down_revision, ... from the module's top-level literal assignments."""
    header = {}
    for node in body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target.id, node.value
        if target in HEADER_NAMES:
            try:
                header[target] = ast.literal_eval(value)
            except ValueError:
                return None
    return header


def _header_lines(source: str) -> dict | None:
    """The same from single lines (``revision: str = "abc"``), for a script that does not compile."""
    header = {}
    for line in source.splitlines():
        name, sep, value = line.partition("=")
        name = name.split(":")[0].strip()
        if sep and name in HEADER_NAMES and not line.startswith((" ", "\t")):
            try:
                header[name] = ast.literal_eval(value.strip())
            except (ValueError, SyntaxError):
                return None
    return header
