"""The generic migration rules, from squawk (the ``squawk-cli`` wheel's binary, JSON reporter).

squawk reads each migration from a file of its own, many files per process; its lines are
0-based and its levels are Warning/Error. Each finding is tied back to the statement it falls in, so ``apexdb: ignore`` comments and the
pgvector rules' dedupe work on squawk's findings too.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from apexdb.errors import NotEnabled
from apexdb.ops.lint.findings import Finding
from apexdb.ops.lint.statements import ParsedSql

# squawk rules a runner that sets its own lock_timeout/statement_timeout makes moot
TIMEOUT_RULES = ("require-lock-timeout", "require-statement-timeout")
LEVELS = {"warning": "warning", "error": "critical"}
OPEN_TX, CLOSE_TX = "BEGIN;", "COMMIT;"
BATCH = 200  # files per squawk process (keeps the command line short)


def squawk_binary() -> str:
    """The squawk executable installed next to this Python (the wheel's), else on PATH."""
    candidate = Path(sysconfig.get_path("scripts")) / "squawk"
    if candidate.exists() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("squawk")
    if found:
        return found
    raise NotEnabled("squawk is not installed", hint="pip install squawk-cli")


def squawk_version() -> str:
    out = subprocess.run([squawk_binary(), "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip().removeprefix("squawk ").strip()


@dataclass
class SquawkJob:
    """One text for squawk: a migration's SQL (or the statements of its DO blocks)."""

    parsed: ParsedSql
    text: str
    assume_in_transaction: bool = False


def run_squawk(parsed: ParsedSql, text: str, *, pg_version: str | None = None,
               assume_in_transaction: bool = False, exclude: tuple[str, ...] = (),
               cwd: str | None = None) -> list[Finding]:
    """squawk's findings for ``text`` (the parsed SQL, bookkeeping statements blanked out)."""
    return run_batch([SquawkJob(parsed, text, assume_in_transaction)], pg_version=pg_version,
                     exclude=exclude, cwd=cwd)[0]


def run_batch(jobs: list[SquawkJob], *, pg_version: str | None = None, exclude: tuple[str, ...] = (),
              cwd: str | None = None) -> list[list[Finding]]:
    """squawk's findings for each job, from one squawk process per BATCH files (a process per
    migration would cost more than the linting): each text goes to a file of its own."""
    out: list[list[Finding]] = [[] for _ in jobs]
    todo = [i for i, job in enumerate(jobs)
            if job.text.strip() and any(not s.bookkeeping for s in job.parsed.statements)]
    with tempfile.TemporaryDirectory(prefix="apexdb-lint-") as tmp:
        paths, shifts = {}, {}
        for i in todo:
            text, shifts[i] = jobs[i].text, 0
            if jobs[i].assume_in_transaction:
                # squawk's own --assume-in-transaction misses a first statement (2.70), so spell the
                # transaction out; BEGIN shares line 1 so every line number stays as in the file
                text, shifts[i] = OPEN_TX + text + "\n" + CLOSE_TX, len(OPEN_TX)
            paths[i] = os.path.join(tmp, f"{i:06d}.sql")
            with open(paths[i], "w", encoding="utf-8") as fh:
                fh.write(text)
        for chunk in (todo[k:k + BATCH] for k in range(0, len(todo), BATCH)):
            by_path = {paths[i]: i for i in chunk}
            raw, why = _squawk(list(by_path), pg_version, cwd)
            for i in chunk:
                if raw is None:
                    out[i] = [_failed(jobs[i].parsed, why)]
            # excluded here rather than with --exclude, which would replace a .squawk.toml's excluded_rules
            for item in raw or ():
                i = by_path.get(item.get("file"))
                if i is not None and item.get("rule_name") not in exclude:
                    out[i].append(_finding(jobs[i].parsed, item, shifts[i]))
    return out


def _squawk(paths: list[str], pg_version: str | None, cwd: str | None) -> tuple[list | None, str]:
    args = [squawk_binary(), "--reporter", "json"]
    if pg_version:
        args += ["--pg-version", pg_version]
    # squawk reads .squawk.toml from its working directory upwards
    try:
        proc = subprocess.run(args + paths, capture_output=True, text=True, timeout=300, cwd=cwd)
    except subprocess.TimeoutExpired:
        return None, "it did not finish within 300 s"
    try:
        raw = json.loads(proc.stdout) if proc.stdout.strip() else []
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, list) or proc.returncode not in (0, 1):
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        return None, detail[-1] if detail else f"exit {proc.returncode}"
    return raw, ""


def _failed(parsed: ParsedSql, why: str) -> Finding:
    """One file squawk cannot lint is a finding of that file, not the end of the run."""
    return Finding(parsed.source, 1, "squawk-failed", "warning", f"squawk could not lint this file: {why}",
                   "apexdb's own rules still ran; run squawk on the file alone to see why")


def _finding(parsed: ParsedSql, item: dict, shift: int = 0) -> Finding:
    line = int(item.get("line", 0)) + 1
    column = int(item.get("column", 0)) - (shift if line == 1 else 0)
    offset = parsed.offset_of(line, column)
    stmt = parsed.statement_at(offset)
    rule = item.get("rule_name") or "squawk"
    message = " ".join(str(item.get("message") or "").split())
    fix = " ".join(str(item.get("help") or "").split())
    severity = LEVELS.get(str(item.get("level", "warning")).lower(), "warning")
    if rule == "syntax-error":  # pglast already accepted it: squawk's parser lags PostgreSQL's
        severity, message = "info", f"squawk could not parse this statement ({message}); its rules skipped it"
        fix = fix or "nothing to do unless the statement is really wrong"
    return Finding(parsed.source, line, rule, severity, message, fix, stmt.index if stmt else -1)
