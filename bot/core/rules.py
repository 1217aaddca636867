"""Running a year's declared checks over one response (SPEC §4). Pure: no I/O, no clock."""

import string
from dataclasses import dataclass
from datetime import date

from bot.core.checks import KINDS, Context
from bot.core.models import Finding, Response, Severity, sort_findings
from bot.core.ruleset import RulesYear, current_year, select_year


@dataclass(frozen=True, slots=True)
class Verdict:
    year: str | None
    findings: tuple[Finding, ...]

    @property
    def has_error(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)


class _Values(dict):
    def __missing__(self, key: str) -> str:  # build_year refuses unknown placeholders; belt and braces
        return "{" + key + "}"


def evaluate(response: Response, years: list[RulesYear], today: date,
             validated_elsewhere: str | None = None) -> Verdict:
    """The findings of the year that applies to the response, errors first.

    When no year applies, the rules of the current year (by `today`) that need no
    calendar still run; the calendar, duration and age rules do not.
    """
    year = select_year(years, response.date_debut) if response.date_debut else None
    rules = year or current_year(years, today)
    ctx = Context(response, year.calendrier if year else None, validated_elsewhere)
    findings = []
    for rule_id, spec in rules.regles.items():
        kind = KINDS[spec.verification]
        if kind.needs_calendar and year is None:
            continue
        result = kind.run(ctx, spec.params)
        if result is None:
            continue
        outcome, values = result
        declared = spec.constats.get(outcome)
        if declared is None:  # the file chose not to report this outcome
            continue
        message = string.Formatter().vformat(declared.message, (), _Values(values))
        findings.append(Finding(rule=rule_id, severity=declared.gravite, message=message))
    return Verdict(year.annee if year else None, tuple(sort_findings(findings)))


def summary_cell(findings: tuple[Finding, ...]) -> str:
    """`Conforme`, or one finding per line, errors first (`✖ …`, `⚠ …`)."""
    if not findings:
        return "Conforme"
    return "\n".join(f"{f.severity.mark} {f.message}" for f in findings)
