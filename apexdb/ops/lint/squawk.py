"""The generic migration rules, from squawk (the ``squawk-cli`` wheel's binary, JSON reporter).

squawk reads the SQL on stdin; its lines are 0-based and its levels are Warning/Error. Each
finding is tied back to the statement it falls in, so ``apexdb: ignore`` comments and the
pgvector rules' dedupe work on squawk's findings too.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

from apexdb.errors import NotEnabled
from apexdb.ops.lint.findings import Finding
from apexdb.ops.lint.statements import ParsedSql

# squawk rules a runner that sets its own lock_timeout/statement_timeout makes moot
TIMEOUT_RULES = ("require-lock-timeout", "require-statement-timeout")
LEVELS = {"warning": "warning", "error": "critical"}
OPEN_TX, CLOSE_TX = "BEGIN;", "COMMIT;"


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


def run_squawk(parsed: ParsedSql, text: str, *, pg_version: str | None = None,
               assume_in_transaction: bool = False, exclude: tuple[str, ...] = (),
               cwd: str | None = None) -> list[Finding]:
    """squawk's findings for ``text`` (the parsed SQL, bookkeeping statements blanked out)."""
    if not text.strip() or not any(not s.bookkeeping for s in parsed.statements):
        return []
    args = [squawk_binary(), "--reporter", "json", "--stdin-filepath", parsed.source or "stdin.sql"]
    if pg_version:
        args += ["--pg-version", pg_version]
    shift = 0
    if assume_in_transaction:
        # squawk's own --assume-in-transaction misses a first statement (2.70), so spell the
        # transaction out; BEGIN shares line 1 so every line number stays as in the file
        text, shift = OPEN_TX + text + "\n" + CLOSE_TX, len(OPEN_TX)
    # squawk reads .squawk.toml from its working directory upwards
    try:
        proc = subprocess.run(args, input=text, capture_output=True, text=True, timeout=120, cwd=cwd)
    except subprocess.TimeoutExpired:
        return [_failed(parsed, "it did not finish within 120 s")]
    try:
        raw = json.loads(proc.stdout) if proc.stdout.strip() else []
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, list) or proc.returncode not in (0, 1):
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        return [_failed(parsed, detail[-1] if detail else f"exit {proc.returncode}")]
    # excluded here rather than with --exclude, which would replace a .squawk.toml's excluded_rules
    return [_finding(parsed, item, shift) for item in raw if item.get("rule_name") not in exclude]


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
