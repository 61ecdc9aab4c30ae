"""The linter: each migration's SQL (a revision's offline SQL, or a .sql file) parsed once,
checked by squawk and by the pgvector rules, filtered by ``apexdb: ignore`` comments, and set to
the severities of the profile in force.

Nothing in one migration stops the others: a statement pglast cannot parse, a revision that
cannot be rendered or a file that cannot be read becomes a finding of its own, and the rest is
linted. Usable from Python::

    from apexdb.ops.lint import lint_files
    report = lint_files(["migrations/0042.sql"], pg_version="17.2")
    for f in report.findings: print(f.as_dict())
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from apexdb.errors import BadInput
from apexdb.ops.lint import do_blocks, vector_rules
from apexdb.ops.lint import squawk as squawk_adapter
from apexdb.ops.lint.findings import SEVERITIES, Finding, Ignore, apply_ignores
from apexdb.ops.lint.profile import Profile
from apexdb.ops.lint.schema_model import AnnIndex, ColumnType, SchemaModel, target_table
from apexdb.ops.lint.statements import ParsedSql, Statement, blank_out, parse

# squawk rules an apexdb rule says better on the same statement
SUPERSEDED = {"vector-index-not-concurrent": ("require-concurrent-index-creation",),
              "vector-dimension-change": ("changing-column-type",),
              "vector-index-dimensions": ("changing-column-type",),
              "vector-opclass-mismatch": ("changing-column-type",)}
# squawk rules about locks held while rows are scanned or rewritten: moot on a table that is
# empty at that point (created or truncated earlier in the same migration)
MOOT_ON_EMPTY = frozenset({"require-concurrent-index-creation", "changing-column-type",
                           "constraint-missing-not-valid", "adding-foreign-key-constraint",
                           "adding-field-with-default", "adding-not-nullable-field", "adding-required-field",
                           "disallowed-unique-constraint"})


@dataclass
class SqlUnit:
    """One migration's SQL: a revision (its offline SQL) or a .sql file."""

    source: str
    text: str
    extra_ignores: list[Ignore] = field(default_factory=list)  # from a revision's Python script
    report: bool = True  # False: read only for what it says about the schema
    workdir: str | None = None  # where squawk looks for .squawk.toml (the Alembic project's folder)
    error: str | None = None  # why there is no SQL to lint (a revision that cannot be rendered, ...)
    error_fix: str = ""
    extra_findings: list[Finding] = field(default_factory=list)  # about the unit, found before linting


@dataclass
class LintReport:
    findings: list[Finding]
    sources: list[str]
    statements: int
    pg_version: str | None
    squawk_version: str
    not_linted: int = 0  # units reported with a reason instead of findings

    def as_dicts(self) -> list[dict]:
        return [f.as_dict() for f in self.findings]

    def counts(self) -> dict[str, int]:
        return {level: sum(1 for f in self.findings if f.severity == level) for level in reversed(SEVERITIES)}


def lint_units(units: list[SqlUnit], *, pg_version: str | None = None, assume_in_transaction: bool = False,
               timeouts_set_by_runner: bool = False, profile: Profile | None = None,
               known_columns: dict[tuple[str, str], ColumnType] | None = None,
               known_indexes: list[AnnIndex] | None = None,
               query_metrics: dict[tuple[str, str], set[str]] | None = None) -> LintReport:
    """Lint each unit on its own, oldest first; the schema carries over from one to the next."""
    model = SchemaModel()
    for (table, column), ctype in (known_columns or {}).items():
        model.seed(table, column, ctype)
    for index in known_indexes or ():
        model.seed_index(index)
    model.query_metrics = dict(query_metrics or {})
    profile = profile or Profile()
    exclude = squawk_adapter.TIMEOUT_RULES if timeouts_set_by_runner else ()
    report = LintReport([], [], 0, pg_version, squawk_adapter.squawk_version())
    done: list[_Linted] = []
    for unit in units:  # oldest first: the schema model follows the history
        if unit.error is not None:
            if unit.report:
                done.append(_Linted(unit, None, [Finding(unit.source, 1, "not-linted", "warning", unit.error,
                                                         unit.error_fix), *unit.extra_findings]))
            continue
        parsed = parse(unit.text, unit.source, assume_in_transaction=assume_in_transaction)
        model.begin_migration()
        ours, moot, inner = _our_rules(parsed, model)
        if unit.report:
            done.append(_Linted(unit, parsed, ours, moot, inner))
    _squawk_all(done, dict(pg_version=pg_version, exclude=exclude))
    for item in done:
        report.sources.append(item.unit.source)
        if item.parsed is None:
            report.not_linted += 1
            report.findings += item.ours
            continue
        parsed, unit = item.parsed, item.unit
        report.statements += sum(1 for s in parsed.statements if not s.bookkeeping
                                 and s.kind not in ("TransactionStmt", "DoStmt")) + len(item.inner)
        theirs = [f for f in item.theirs if not (f.rule in MOOT_ON_EMPTY and f.statement in item.moot)]
        theirs = _without_superseded(_without_double_syntax_errors(theirs, parsed), item.ours)
        kept = apply_ignores(theirs + item.ours + _problems(parsed) + unit.extra_findings,
                             parsed.ignores + unit.extra_ignores, unit.source)
        report.findings += sorted(profile.apply(kept), key=lambda f: (f.line, f.rule))
    return report


@dataclass
class _Linted:
    unit: SqlUnit
    parsed: ParsedSql | None  # None: the unit could not be read (its ours holds the reason)
    ours: list[Finding]
    moot: set[int] = field(default_factory=set)
    inner: list[Statement] = field(default_factory=list)
    theirs: list[Finding] = field(default_factory=list)


def _squawk_all(done: list[_Linted], options: dict) -> None:
    """squawk over every unit (and the statements of its DO blocks), a few processes for all."""
    jobs, owners = [], []
    for item in done:
        if item.parsed is None:
            continue
        parsed = item.parsed
        # squawk reads what pglast could parse: an unparsable statement must not hide the others from it
        text = blank_out(parsed.text, [s for s in parsed.statements if s.bookkeeping], parsed.problem_spans)
        jobs.append(squawk_adapter.SquawkJob(parsed, text, parsed.starts_in_transaction))
        owners.append((item, None))
        if item.inner:
            shadow, shadow_parsed = _do_block_text(parsed, item.inner)
            jobs.append(squawk_adapter.SquawkJob(shadow_parsed, shadow, True))
            owners.append((item, item.inner))
    by_cwd: dict[str | None, list[int]] = {}
    for k, (item, _) in enumerate(owners):
        by_cwd.setdefault(item.unit.workdir, []).append(k)
    for cwd, ks in by_cwd.items():
        results = squawk_adapter.run_batch([jobs[k] for k in ks], cwd=cwd, **options)
        for k, found in zip(ks, results):
            item, inner = owners[k]
            item.theirs += found if inner is None else _inside_do_blocks(found, inner)


def _our_rules(parsed: ParsedSql, model: SchemaModel) -> tuple[list[Finding], set[int], list[Statement]]:
    """apexdb's findings, the statements on empty tables, and the statements read from DO blocks."""
    ours: list[Finding] = []
    moot: set[int] = set()
    inner: list[Statement] = []
    for stmt in parsed.statements:
        block = do_blocks.inner_statements(parsed, stmt) if not stmt.bookkeeping else None
        for one in block.statements if block is not None else [stmt]:
            try:
                if not one.bookkeeping:
                    if model.is_empty(target_table(one.node)):
                        moot.add(one.index)
                    ours += vector_rules.check(parsed, one, model)
                model.apply(one.node)
            except Exception as exc:  # a shape of statement the rules did not expect: this one, not the run
                if os.environ.get("APEXDB_DEBUG"):
                    raise
                ours.append(Finding(parsed.source, one.line, "lint-internal-error", "warning",
                                    f"apexdb's rules failed on this statement ({type(exc).__name__}: {exc}); "
                                    f"squawk's still ran", "please report it with the statement", one.index))
        if block is not None:
            inner += block.statements
            ours += [Finding(parsed.source, line, "dynamic-sql-not-checked", "info",
                             f"{what}: the statement is built when the DO block runs, so it was not checked",
                             "lint the statement it builds on its own, or write it out as static SQL", stmt.index)
                     for line, what in block.unchecked]
    return ours, moot, inner


def _do_block_text(parsed: ParsedSql, inner: list[Statement]) -> tuple[str, ParsedSql]:
    """The statements of the DO blocks, each on the line it has in the file, for squawk."""
    lines: dict[int, list[str]] = {}
    for stmt in inner:
        lines.setdefault(stmt.line, []).append(" ".join(_sql_of(stmt).split()) + ";")
    shadow = "\n".join(" ".join(lines.get(n, [])) for n in range(1, max(lines) + 1))
    return shadow, parse(shadow, parsed.source)


def _inside_do_blocks(found: list[Finding], inner: list[Statement]) -> list[Finding]:
    """squawk's findings on the DO-block text, tied to the DO statement they sit in."""
    owner = {s.line: s for s in inner}
    for f in found:
        stmt = owner.get(f.line)
        f.statement = stmt.index if stmt else -1
        if stmt is not None:
            f.message += f" (inside the {stmt.inside})"
    return [f for f in found if f.rule != "syntax-error"]


def _sql_of(stmt: Statement) -> str:
    from pglast.stream import RawStream

    try:
        return RawStream()(stmt.node)
    except Exception:  # a node pglast cannot print back: squawk skips it, apexdb's rules did not
        return "SELECT 1"


def _problems(parsed: ParsedSql) -> list[Finding]:
    return [Finding(parsed.source, line, "unparsed-statement", "warning",
                    f"cannot parse this statement ({message}); apexdb's rules skipped it",
                    "fix the statement; if a tool fills it in before it runs (a template, a DO-block "
                    "fragment), lint the SQL it produces", parsed.statement_at(parsed.offset_of(line, 0)).index
                    if parsed.statement_at(parsed.offset_of(line, 0)) else -1)
            for line, message in parsed.problems]


def _without_double_syntax_errors(theirs: list[Finding], parsed: ParsedSql) -> list[Finding]:
    """squawk's syntax-error where pglast already failed: the unparsed-statement finding says it."""
    return [f for f in theirs if not (f.rule == "syntax-error" and parsed.problems)]


def _without_superseded(theirs: list[Finding], ours: list[Finding]) -> list[Finding]:
    covered = {(f.statement, rule) for f in ours for rule in SUPERSEDED.get(f.rule, ())}
    return [f for f in theirs if (f.statement, f.rule) not in covered]


def sql_files(paths: list[str]) -> list[Path]:
    """The .sql files named (a directory stands for the *.sql files under it, in path order, so
    Prisma's migrations/<stamp>/migration.sql are found too)."""
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.rglob("*.sql"), key=lambda p: p.relative_to(path).parts)
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
            units.append(SqlUnit(str(path), path.read_text(encoding="utf-8")))
        except UnicodeDecodeError as exc:
            units.append(SqlUnit(str(path), "", error=f"not UTF-8 text (byte {exc.start}): not linted",
                                 error_fix="save the file as UTF-8"))
        except OSError as exc:
            units.append(SqlUnit(str(path), "", error=f"cannot read the file: {exc.strerror}"))
    return lint_units(units, **options)
