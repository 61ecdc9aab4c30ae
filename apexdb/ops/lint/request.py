"""One ``apexdb migrate lint`` request: .sql files, or a revision range of an Alembic project.

Arguments that end in ``.sql`` or name an existing file or folder are files; otherwise the one
argument is a revision range (``A:B`` inclusive, ``A:``, ``:B``, or a single revision) and no
argument at all means every revision of the project.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from apexdb.errors import BadInput
from apexdb.ops.lint.engine import LintReport, lint_files, lint_units
from apexdb.ops.lint.profile import Profile, load_profile
from apexdb.ops.lint.server_facts import server_facts


@dataclass
class LintRequest:
    targets: list[str]
    config_path: str | None = None
    dsn: str | None = None
    target: str | None = None
    pg_version: str | None = None  # overrides the server's
    assume_in_transaction: bool = False
    profile: str | None = None  # "default" / "strict"; else the config's [lint] profile
    fail_on: str | None = None  # else the config's [lint] fail_on, else "warning"
    queries: list[str] | None = None  # files of the project's queries: the metrics its indexes must serve


@dataclass
class LintOutcome:
    report: LintReport
    kind: str  # "files" or "revisions"
    version_note: str
    profile: Profile


def is_file_mode(targets: list[str]) -> bool:
    return any(t.lower().endswith(".sql") or Path(t).exists() for t in targets)


def run_lint(req: LintRequest) -> LintOutcome:
    from apexdb.ops.lint.query_metrics import metrics_from_files

    profile = load_profile(req.profile, req.fail_on)
    metrics = metrics_from_files(req.queries or [])
    files = is_file_mode(req.targets)
    if not files and len(req.targets) > 1:
        raise BadInput(f"give one revision range or .sql files, not {' '.join(req.targets)!r} "
                       f"(does a file name lack its .sql?)")
    if req.pg_version:
        _check_version(req.pg_version)
        facts, note = None, f"PostgreSQL {req.pg_version} (--pg-version)"
    else:
        facts = server_facts(req.dsn, req.target, want_columns=files)
        note = facts.note
    version = req.pg_version or (facts.pg_version if facts else None)
    for key, used in (facts.metrics if facts else {}).items():
        metrics.setdefault(key, set()).update(used)
    if files:
        report = lint_files(req.targets, pg_version=version, assume_in_transaction=req.assume_in_transaction,
                            known_columns=facts.columns if facts else None,
                            known_indexes=facts.indexes if facts else None, profile=profile,
                            query_metrics=metrics)
        return LintOutcome(report, "files", note, profile)
    from apexdb.ops.migrate.project import load_project
    from apexdb.ops.lint.alembic_source import revision_units

    cfg = load_project(req.config_path, req.dsn)
    units = revision_units(cfg, req.targets[0] if req.targets else None)
    # `apexdb migrate` and apexdb's env.py set lock_timeout/statement_timeout on every connection,
    # so squawk's "missing SET lock_timeout" rules would flag every statement of every revision.
    report = lint_units(units, pg_version=version, timeouts_set_by_runner=True, profile=profile,
                        query_metrics=metrics)
    return LintOutcome(report, "revisions", note, profile)


def _check_version(text: str) -> None:
    parts = text.split(".")
    if not (1 <= len(parts) <= 3 and all(p.isdigit() for p in parts)):
        raise BadInput(f"--pg-version {text!r}: expected a version such as 16 or 17.2")
