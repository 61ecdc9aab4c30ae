"""Severity profiles: the default keeps style at info so a team can adopt lint in CI on day one,
--profile strict reports every rule at its own level, and apexdb.toml's [lint] section sets the
profile, the --fail-on default and single rules per project."""
from __future__ import annotations

from support import lint

MIGRATION = ("CREATE TABLE events (id int PRIMARY KEY, at timestamp);\n"  # prefer-bigint, prefer-timestamptz
             "ALTER TABLE accounts DROP COLUMN legacy;\n")  # ban-drop-column: data loss


def write(tmp_path, text: str = MIGRATION) -> str:
    path = tmp_path / "m.sql"
    path.write_text(text)
    return str(path)


def severities(result) -> dict[str, str]:
    return {f["rule"]: f["severity"] for f in result.json}


def test_default_profile_style_is_info_hazards_stay_warnings(tmp_path):
    result = lint(write(tmp_path), "--format", "json")
    got = severities(result)
    assert got["prefer-bigint-over-int"] == "info" and got["prefer-timestamp-tz"] == "info"
    assert got["ban-drop-column"] == "warning"
    assert result.exit_code == 1  # the drop column is a hazard
    assert "profile default" in result.stderr


def test_strict_profile_reports_every_rule_at_its_own_level(tmp_path):
    result = lint(write(tmp_path), "--format", "json", "--profile", "strict")
    got = severities(result)
    assert got["prefer-bigint-over-int"] == "warning" and got["ban-drop-column"] == "warning"
    assert "profile strict" in result.stderr
    bad = lint(write(tmp_path), "--profile", "lenient")
    assert bad.exit_code == 2 and "unknown profile 'lenient'" in bad.stderr


def test_the_summary_counts_each_severity(tmp_path):
    result = lint(write(tmp_path), "--format", "json")
    counts = {level: sum(1 for f in result.json if f["severity"] == level) for level in ("critical", "warning", "info")}
    assert (f"({counts['critical']} critical, {counts['warning']} warning, {counts['info']} info)"
            in result.stderr), result.stderr


def test_the_config_sets_rules_profile_and_fail_on_per_project(tmp_path):
    config = tmp_path / "apexdb.toml"
    config.write_text('[lint]\nfail_on = "critical"\n[lint.rules]\nban-drop-column = "off"\n'
                      'prefer-timestamp-tz = "critical"\n')
    env = {"APEXDB_CONFIG": str(config)}
    result = lint(write(tmp_path), "--format", "json", env=env)
    got = severities(result)
    assert "ban-drop-column" not in got and got["prefer-timestamp-tz"] == "critical"
    assert result.exit_code == 1 and "at or above critical" in result.stderr
    config.write_text('[lint]\nprofile = "strict"\nfail_on = "critical"\n')
    result = lint(write(tmp_path, "ALTER TABLE accounts DROP COLUMN legacy;\n"), "--format", "json", env=env)
    assert result.exit_code == 0  # warnings only, and this project fails on critical
    assert lint(write(tmp_path), "--fail-on", "warning", env=env).exit_code == 1  # the flag wins


def test_a_bad_lint_section_is_one_line_of_bad_input(tmp_path):
    config = tmp_path / "apexdb.toml"
    config.write_text('[lint.rules]\nban-drop-column = "loud"\n')
    result = lint(write(tmp_path), env={"APEXDB_CONFIG": str(config)})
    assert result.exit_code == 2 and "ban-drop-column = 'loud'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
