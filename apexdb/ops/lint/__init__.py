"""Migration linting: squawk's generic rules plus apexdb's pgvector rules (see docs/lint.md)."""
from apexdb.ops.lint.engine import LintReport, SqlUnit, lint_files, lint_units
from apexdb.ops.lint.findings import SEVERITIES, Finding, at_or_above

__all__ = ["LintReport", "SqlUnit", "lint_files", "lint_units", "SEVERITIES", "Finding", "at_or_above"]
