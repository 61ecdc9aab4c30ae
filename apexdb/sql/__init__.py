"""The SQL registry: one query per ``.sql`` file in this folder.

The first line of a file is ``-- description``. A version variant is a sibling file
``NAME_<suffix>.sql`` whose second line says what it needs, e.g.
``-- requires: server >= 17`` or ``-- requires: pg_stat_statements >= 1.11``; the
resolver picks, among the base file and its variants, the one with the highest
requirement that the connected server satisfies. Parameters are psycopg
placeholders (``%(name)s``); identifiers are ``{name}`` fields composed with
``psycopg.sql.Identifier`` by :func:`compose`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent
_REQUIRES = re.compile(r"^--\s*requires:\s*([\w.]+)\s*>=\s*([\d.]+)\s*$")


@dataclass(frozen=True)
class Query:
    name: str  # the base name shared by all variants
    file: str
    description: str
    text: str
    requires: tuple[str, tuple[int, ...]] | None  # (server | extension name, minimum version)


def _parse(path: Path) -> Query:
    text = path.read_text()
    lines = text.splitlines()
    description = lines[0].lstrip("-").strip() if lines and lines[0].startswith("--") else ""
    requires = None
    if len(lines) > 1:
        match = _REQUIRES.match(lines[1])
        if match:
            requires = (match.group(1), tuple(int(p) for p in match.group(2).split(".")))
    return Query("", path.stem, description, text, requires)


@lru_cache(maxsize=None)
def _catalog() -> dict[str, list[Query]]:
    files = {p.stem: _parse(p) for p in sorted(HERE.glob("*.sql"))}
    catalog: dict[str, list[Query]] = {}
    for stem, query in files.items():
        base = stem
        if query.requires is not None:
            base = stem.rsplit("_", 1)[0]
            if base not in files:
                raise RuntimeError(f"SQL variant {stem}.sql has no base file {base}.sql")
        catalog.setdefault(base, []).append(
            Query(base, query.file, query.description, query.text, query.requires))
    return catalog


def names() -> list[str]:
    return sorted(_catalog())


def variants(name: str) -> list[Query]:
    try:
        return list(_catalog()[name])
    except KeyError:
        raise KeyError(f"no query {name!r} in the SQL registry") from None


def get(name: str, versions=None) -> Query:
    """The variant of ``name`` for ``versions`` (a ServerVersions; None gives the base)."""
    best = None
    for query in variants(name):
        if query.requires is None:
            best = best or query
            continue
        if versions is None:
            continue
        have = versions.get(query.requires[0])
        if have is not None and tuple(have) >= query.requires[1]:
            if best is None or best.requires is None or query.requires[1] > best.requires[1]:
                best = query
    assert best is not None
    return best


def compose(text: str, **identifiers):
    """``text`` as a psycopg Composed with ``{field}`` replaced by quoted identifiers.

    A string is always one identifier, dots and all (a table named ``a.b`` or
    ``x; drop table y`` stays a name); a tuple ``(schema, name)`` is a qualified
    one. ``%(name)s`` placeholders are left for the driver.
    """
    from psycopg import sql

    def ident(value):
        if isinstance(value, tuple):
            return sql.Identifier(*value)
        return sql.Identifier(value)

    return sql.SQL(text).format(**{k: ident(v) for k, v in identifiers.items()})


def quote_ident(name: str) -> str:
    """``name`` as PostgreSQL's quote_ident() prints it, for SQL shown to a person (fixes, suggestions):
    bare when it is lower case letters, digits and underscores and not a keyword that needs quoting,
    else double-quoted. SQL apexdb runs itself composes identifiers with :func:`compose` instead."""
    import re

    from pglast import keywords

    if re.fullmatch(r"[a-z_][a-z0-9_]*", name) and name not in keywords.RESERVED_KEYWORDS \
            and name not in keywords.TYPE_FUNC_NAME_KEYWORDS and name not in keywords.COL_NAME_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as a standard-conforming string literal, for SQL shown to a person or run as a fix."""
    return "'" + str(text).replace("'", "''") + "'"


def qualified(schema: str, name: str) -> str:
    """``schema.name`` with each part as :func:`quote_ident` prints it."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"
