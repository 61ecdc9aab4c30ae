"""The linter: each migration's SQL (a revision's offline SQL, or a .sql file) parsed once,
checked by squawk and by the pgvector rules, filtered by ``apexdb: ignore`` comments.

Usable from Python::

    from apexdb.ops.lint import lint_files
    report = lint_files(["migrations/0042.sql"], pg_version="17.2")
    for f in report.findings: print(f.as_dict())
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from apexdb.errors import BadInput
from apexdb.ops.lint import squawk as squawk_adapter
from apexdb.ops.lint import vector_rules
from apexdb.ops.lint.findings import Finding, Ignore, apply_ignores
from apexdb.ops.lint.schema_model import ColumnType, SchemaModel
from apexdb.ops.lint.statements import blank_out, parse

# squawk rules an apexdb rule says better on the same statement
SUPERSEDED = {"vector-index-not-concurrent": ("require-concurrent-index-creation",),
              "vector-dimension-change": ("changing-column-type",)}


@dataclass
class SqlUnit:
    """One migration's SQL: a revision (its offline SQL) or a .sql file."""

    source: str
    text: str
    extra_ignores: list[Ignore] = field(default_factory=list)  # from a revision's Python script
    report: bool = True  # False: read only for what it says about the schema
    workdir: str | None = None  # where squawk looks for .squawk.toml (the Alembic project's folder)


@dataclass
class LintReport:
    findings: list[Finding]
    sources: list[str]
    statements: int
    pg_version: str | None
    squawk_version: str

    def as_dicts(self) -> list[dict]:
        return [f.as_dict() for f in self.findings]


def lint_units(units: list[SqlUnit], *, pg_version: str | None = None, assume_in_transaction: bool = False,
               timeouts_set_by_runner: bool = False,
               known_columns: dict[tuple[str, str], ColumnType] | None = None) -> LintReport:
    """Lint each unit on its own, oldest first; column types carry over from one to the next."""
    model = SchemaModel()
    for (table, column), ctype in (known_columns or {}).items():
        model.seed(table, column, ctype)
    exclude = squawk_adapter.TIMEOUT_RULES if timeouts_set_by_runner else ()
    findings: list[Finding] = []
    sources, statements = [], 0
    for unit in units:
        parsed = parse(unit.text, unit.source, assume_in_transaction=assume_in_transaction)
        model.begin_migration()
        ours: list[Finding] = []
        for stmt in parsed.statements:
            if not stmt.bookkeeping:
                ours += vector_rules.check(parsed, stmt, model)
            model.apply(stmt.node)
        if not unit.report:
            continue
        sources.append(unit.source)
        statements += sum(1 for s in parsed.statements if not s.bookkeeping and s.kind != "TransactionStmt")
        squawk_text = blank_out(unit.text, [s for s in parsed.statements if s.bookkeeping])
        theirs = squawk_adapter.run_squawk(parsed, squawk_text, pg_version=pg_version,
                                           assume_in_transaction=assume_in_transaction, exclude=exclude,
                                           cwd=unit.workdir)
        theirs = _without_superseded(theirs, ours)
        kept = apply_ignores(theirs + ours, parsed.ignores + unit.extra_ignores, unit.source)
        findings += sorted(kept, key=lambda f: (f.line, f.rule))
    return LintReport(findings, sources, statements, pg_version, squawk_adapter.squawk_version())


def _without_superseded(theirs: list[Finding], ours: list[Finding]) -> list[Finding]:
    covered = {(f.statement, rule) for f in ours for rule in SUPERSEDED.get(f.rule, ())}
    return [f for f in theirs if (f.statement, f.rule) not in covered]


def sql_files(paths: list[str]) -> list[Path]:
    """The .sql files named (a directory stands for its *.sql files, in name order)."""
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.glob("*.sql"))
            if not found:
                raise BadInput(f"no .sql files in directory {name}")
            out += found
        elif path.is_file():
            out.append(path)
        else:
            raise BadInput(f"no such file: {name}")
    return out


def lint_files(paths: list[str], **options) -> LintReport:
    """Lint plain .sql files, each on its own (as psql would run it unless told otherwise)."""
    units = []
    for path in sql_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise BadInput(f"{path}: not UTF-8 text") from None
        units.append(SqlUnit(str(path), text))
    return lint_units(units, **options)
