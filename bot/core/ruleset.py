"""The rules files' model (SPEC §4): a year's calendar and its declared checks.

A check names a kind implemented in `bot.core.checks`, its parameters, and, for
each outcome the kind can produce, a severity and a French message whose
`{placeholders}` name the values involved. Nothing in a rules file is evaluated.
"""

import string
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.dates import add_months
from bot.core.models import Severity
from bot.errors import RulesError


class Calendar(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ouverture_validation: date
    delai_minimum_jours: int = Field(ge=0)
    debut_formation: date
    debut_contrat_au_plus_tard: date
    fin_formation_m1: date
    fin_formation_m2: date
    fin_formation_m2_annee_suivante: date
    fin_contrat_max_apres_formation_mois: int = Field(ge=0)

    def applies_from(self) -> date:
        """Earliest contract start this year covers: training start minus 3 months (L6222-12)."""
        return add_months(self.debut_formation, -3)


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    gravite: Severity
    message: str


class CheckSpec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    verification: str
    constats: dict[str, Outcome]

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class RulesYear(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    annee: str
    calendrier: Calendar
    regles: dict[str, CheckSpec]


def build_year(data: dict[str, Any], source: str) -> RulesYear:
    """Validate a parsed rules file; raises RulesError naming `source`, the rule and the problem."""
    from bot.core.checks import KINDS

    try:
        year = RulesYear.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{source}: {_describe(exc.errors()[0])}") from None
    for rule_id, spec in year.regles.items():
        kind = KINDS.get(spec.verification)
        if kind is None:
            raise RulesError(f"{source}: [regles.{rule_id}] verification = {spec.verification!r}: "
                             f"expected one of {', '.join(sorted(KINDS))}")
        kind.validate(rule_id, spec, source)
        for name, outcome in spec.constats.items():
            try:
                parsed = list(string.Formatter().parse(outcome.message))
            except ValueError as exc:  # `{debut` without its `}`
                raise RulesError(f"{source}: [regles.{rule_id}.constats.{name}] message: {exc} "
                                 f"(write {{{{ and }}}} for literal braces)") from None
            for _, field, _, _ in parsed:
                if field is not None and field not in kind.placeholders:
                    raise RulesError(f"{source}: [regles.{rule_id}.constats.{name}] message uses {{{field}}}: "
                                     f"expected one of {', '.join('{' + p + '}' for p in kind.placeholders)}")
    return year


def _describe(error: dict[str, Any]) -> str:
    """`[calendrier] fin_formation_m1: missing`, `[regles.x] constats.constat.gravite = 'warning': …`."""
    loc = [str(p) for p in error["loc"]]
    table = loc[:2] if loc[:1] == ["regles"] else loc[:1]
    rest = ".".join(loc[len(table):])
    where = f"[{'.'.join(table)}] {rest}".rstrip() if len(loc) > 1 else ".".join(loc)
    if error["type"] == "missing":
        return f"{where}: missing"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    value = "" if isinstance(error["input"], dict) else f" = {error['input']!r}"
    return f"{where}{value}: {error['msg']}"


def select_year(years: list[RulesYear], start: date) -> RulesYear | None:
    """The latest year whose training start minus 3 months is on or before the contract's start."""
    eligible = [y for y in years if y.calendrier.applies_from() <= start]
    return max(eligible, key=lambda y: y.calendrier.debut_formation, default=None)


def current_year(years: list[RulesYear], today: date) -> RulesYear:
    """The year whose campaign is open or most recently opened on `today` (else the earliest)."""
    ordered = sorted(years, key=lambda y: y.calendrier.debut_formation)
    opened = [y for y in ordered if y.calendrier.ouverture_validation <= today]
    return opened[-1] if opened else ordered[0]
