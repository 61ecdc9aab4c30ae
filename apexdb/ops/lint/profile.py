"""Which severity each rule reports at: the profile (``default`` or ``strict``) and the project's
``[lint]`` section of apexdb.toml.

The default profile is one a team can turn on in CI on the first day: what takes locks that stop
traffic, loses data or makes the migration fail stays a warning or critical, and style advice
(squawk's ``prefer-*`` rules, ``ban-char-field``, the timeout reminders, ...) is info, still shown
but below the default ``--fail-on warning``. ``strict`` keeps every rule at its own level (squawk's
warnings are warnings, its errors critical). The config can then set any rule::

    [lint]
    profile = "default"          # or "strict"
    fail_on = "warning"          # the --fail-on default for this project
    [lint.rules]
    prefer-robust-stmts = "warning"
    ban-drop-column = "critical"
    prefer-identity = "off"      # not reported at all
"""
from __future__ import annotations

from dataclasses import dataclass, field

from apexdb.errors import BadInput
from apexdb.ops.lint.findings import SEVERITIES, Finding

PROFILES = ("default", "strict")
LEVELS = (*SEVERITIES, "off")
# advice about style or robustness, not a hazard of its own: info in the default profile
STYLE_RULES = frozenset({
    "prefer-robust-stmts", "prefer-big-int", "prefer-bigint-over-int", "prefer-bigint-over-smallint",
    "prefer-identity", "prefer-text-field", "prefer-timestamp-tz", "prefer-timestamptz",
    "ban-char-field", "ban-drop-function", "ban-drop-view", "ban-drop-constraint",
    # the statements that take the locks are reported themselves; a missing SET is a reminder
    "require-lock-timeout", "require-statement-timeout", "require-timeout-settings",
})


@dataclass
class Profile:
    name: str = "default"
    rules: dict[str, str] = field(default_factory=dict)  # rule -> severity or "off", from the config
    fail_on: str = "warning"
    source: str = "built-in"  # where the settings came from, for the summary

    def severity(self, finding: Finding) -> str | None:
        """The severity ``finding`` is reported at, or None when its rule is off."""
        level = self.rules.get(finding.rule)
        if level is not None:
            return None if level == "off" else level
        if self.name == "default" and finding.rule in STYLE_RULES:
            return "info"
        return finding.severity

    def apply(self, findings: list[Finding]) -> list[Finding]:
        out = []
        for f in findings:
            level = self.severity(f)
            if level is not None:
                f.severity = level
                out.append(f)
        return out


def load_profile(name: str | None = None, fail_on: str | None = None) -> Profile:
    """The profile in force: ``--profile`` > the config's ``[lint] profile`` > default."""
    from apexdb.config import load_config

    config = load_config()
    section = config.section("lint")
    where = f"[lint] in {config.path}" if config.path else "built-in"
    chosen = name or section.get("profile") or "default"
    if chosen not in PROFILES:
        origin = "--profile" if name else where
        raise BadInput(f"{origin}: unknown profile {chosen!r} (choose from {', '.join(PROFILES)})")
    rules = section.get("rules", {})
    if not isinstance(rules, dict):
        raise BadInput(f"{where}: 'rules' must be a table of rule = level")
    for rule, level in rules.items():
        if level not in LEVELS:
            raise BadInput(f"{where}: rule {rule} = {level!r}; choose from {', '.join(LEVELS)}")
    threshold = fail_on or section.get("fail_on") or "warning"
    if threshold not in SEVERITIES:
        origin = "--fail-on" if fail_on else f"{where}: fail_on"
        raise BadInput(f"{origin} {threshold!r}: choose from {', '.join(SEVERITIES)}")
    return Profile(chosen, dict(rules), threshold, where if section else "built-in")
