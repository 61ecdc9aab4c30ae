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
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None
    header = {}
    for node in tree.body:
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
    if not isinstance(header.get("revision"), str):
        return None
    module = types.ModuleType(os.path.splitext(os.path.basename(path))[0], ast.get_docstring(tree) or "")
    for name in HEADER_NAMES:
        setattr(module, name, header.get(name))
    reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"

    def upgrade() -> None:
        raise RevisionImportFailed(reason)

    module.upgrade = module.downgrade = upgrade
    return module
