"""What the linter reports: findings, their severities, and ``apexdb: ignore`` directives.

One ignore mechanism covers both squawk's rules and apexdb's own, so a migration author
learns one comment form: ``-- apexdb: ignore RULE[,RULE...] reason``. An ignore must say
why; one without a reason still silences its rule but is itself reported, and an ignore
that silences nothing is reported as ``unused-ignore`` so stale ones do not pile up.
"""
from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("info", "warning", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
DIRECTIVE = "apexdb:"


@dataclass
class Finding:
    source: str  # the revision id, or the .sql file as given
    line: int  # 1-based, in the file or in the revision's offline SQL
    rule: str
    severity: str
    message: str
    fix: str
    statement: int = field(default=-1, repr=False, compare=False)  # index of the statement it belongs to

    def as_dict(self) -> dict:
        return {"source": self.source, "line": self.line, "rule": self.rule, "severity": self.severity,
                "message": self.message, "fix": self.fix}


@dataclass
class Ignore:
    rules: tuple[str, ...]
    reason: str
    line: int
    scope: str  # "statement" (the next statement), "file" (the whole file or revision)
    statement: int = -1
    used: set[str] = field(default_factory=set)
    where: str = ""  # " (in 0004_x.py)" for a comment in a revision's script: its line is that file's

    def covers(self, finding: Finding) -> bool:
        if finding.rule not in self.rules:
            return False
        return self.scope == "file" or (self.statement >= 0 and finding.statement == self.statement)


def parse_directive(comment: str, line: int) -> Ignore | None:
    """An ``apexdb: ignore`` or ``apexdb: ignore-file`` directive in one comment's text, or None.

    ``comment`` is the comment body without its ``--``/``#``/``/* */`` markers; the reason is
    whatever follows the rule list, with a leading ``--``, ``:`` or dash dropped.
    """
    text = comment.strip()
    if not text.lower().startswith(DIRECTIVE):
        return None
    words = text[len(DIRECTIVE):].split(None, 1)
    if not words or words[0].lower() not in ("ignore", "ignore-file"):
        return None
    scope = "file" if words[0].lower() == "ignore-file" else "statement"
    rest = words[1] if len(words) > 1 else ""
    rules: list[str] = []
    tokens = rest.replace(",", " , ").split()
    consumed = 0
    for i, token in enumerate(tokens):
        if token == ",":
            consumed = i + 1
            continue
        name = token.rstrip(":")
        if not _looks_like_rule(name) or (rules and tokens[i - 1] != ","):
            break
        rules.append(name.lower())
        consumed = i + 1
        if token.endswith(":"):
            break
    reason = " ".join(tokens[consumed:]).replace(" , ", ", ").strip()
    reason = reason.lstrip("-:—– ").strip()
    return Ignore(tuple(rules), reason, line, scope)


def _looks_like_rule(word: str) -> bool:
    return bool(word) and word[0].isalpha() and all(c.isalnum() or c in "-_" for c in word)


def apply_ignores(findings: list[Finding], ignores: list[Ignore], source: str) -> list[Finding]:
    """The findings no directive covers, plus findings about the directives themselves."""
    kept = []
    for finding in findings:
        covering = [ig for ig in ignores if ig.covers(finding)]
        for ig in covering:
            ig.used.add(finding.rule)
        if not covering:
            kept.append(finding)
    for ig in ignores:
        if not ig.rules:
            kept.append(Finding(source, ig.line, "ignore-without-rule", "warning",
                                f"an apexdb: ignore comment names no rule{ig.where}",
                                "write the rule name after 'ignore', e.g. '-- apexdb: ignore "
                                "vector-index-not-concurrent table is empty here'"))
            continue
        if ig.used and not ig.reason:
            kept.append(Finding(source, ig.line, "ignore-without-reason", "warning",
                                f"ignore of {', '.join(ig.rules)} gives no reason{ig.where}",
                                "say why the rule does not apply after the rule name"))
        for rule in ig.rules:
            if rule not in ig.used:
                kept.append(Finding(source, ig.line, "unused-ignore", "info",
                                    f"ignore of {rule} matches no finding{ig.where}",
                                    "remove the rule from the comment (or check its spelling)"))
    return kept


def at_or_above(findings: list[Finding], threshold: str) -> list[Finding]:
    floor = SEVERITY_RANK[threshold]
    return [f for f in findings if SEVERITY_RANK[f.severity] >= floor]
