"""The check kinds a rules file can declare, implemented in code (SPEC §4).

Each kind looks at one parsed response (and the year's calendar when it needs
one) and returns the outcome it found with the values its message may name, or
None. A kind whose inputs are missing or unreadable returns None: the missing
input has its own finding.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.core import fields as form
from bot.core.dates import add_months, age_on, french, last_day_of_duration
from bot.core.models import Level, Problem, Response
from bot.core.ruleset import Calendar, CheckSpec
from bot.errors import RulesError


@dataclass(frozen=True)
class Context:
    response: Response
    calendar: Calendar | None
    validated_elsewhere: str | None = None  # how to name the other, validated dossier


Result = tuple[str, dict[str, Any]] | None


@dataclass(frozen=True)
class Kind:
    run: Callable[[Context, dict[str, Any]], Result]
    placeholders: tuple[str, ...]
    outcomes: tuple[str, ...] | None  # None: outcome names are values of the `champ` parameter
    params: dict[str, type] = field(default_factory=dict)
    needs_calendar: bool = False
    optional: tuple[str, ...] = ()

    def validate(self, rule_id: str, spec: CheckSpec, source: str) -> None:
        where = f"{source}: [regles.{rule_id}]"
        for name, value in spec.params.items():
            expected = self.params.get(name)
            if expected is None:
                raise RulesError(f"{where} {name}: unknown parameter for verification = {spec.verification!r}"
                                 f" (expected: {', '.join(self.params) or 'none'})")
            if not isinstance(value, expected) or isinstance(value, bool) and expected is int:
                raise RulesError(f"{where} {name} = {value!r}: expected {expected.__name__}")
            if name in ("champ", "si_champ") and value not in form.BY_KEY:
                raise RulesError(f"{where} {name} = {value!r}: expected a field key of the form "
                                 f"({', '.join(form.BY_KEY)})")
        missing = [name for name in self.params if name not in spec.params and name not in self.optional]
        if missing:
            raise RulesError(f"{where}: missing parameter {', '.join(missing)}")
        allowed = self.outcomes if self.outcomes is not None else _choice_names(spec.params.get("champ", ""))
        for name in spec.constats:
            if name not in allowed:
                raise RulesError(f"{where} constats.{name}: expected one of {', '.join(allowed)}")


def _choice_names(key: str) -> tuple[str, ...]:
    fld = form.BY_KEY.get(key)
    return tuple(c.value.value for c in fld.choices) if fld else ()


# --- form-level problems -------------------------------------------------------------------------

def _problems(problem: Problem) -> Callable[[Context, dict[str, Any]], Result]:
    def run(ctx: Context, _: dict[str, Any]) -> Result:
        found = [p for p in ctx.response.problems if p.problem is problem]
        if not found:
            return None
        labels = ", ".join(form.BY_KEY[p.field].label for p in found)
        details = " ; ".join(f"{form.BY_KEY[p.field].label} : « {p.raw} »" for p in found)
        return "constat", {"champs": labels, "details": details}
    return run


def _unknown_year(ctx: Context, _: dict[str, Any]) -> Result:
    start = ctx.response.date_debut
    if start is None or ctx.calendar is not None:
        return None
    return "constat", {"debut": french(start)}


# --- calendar --------------------------------------------------------------------------------------

def _before_opening(ctx: Context, _: dict[str, Any]) -> Result:
    submitted, cal = ctx.response.submitted_at, ctx.calendar
    if submitted is None or submitted.date() >= cal.ouverture_validation:
        return None
    return "constat", {"depot": french(submitted.date()), "ouverture": french(cal.ouverture_validation)}


def _short_notice(ctx: Context, _: dict[str, Any]) -> Result:
    submitted, start, cal = ctx.response.submitted_at, ctx.response.date_debut, ctx.calendar
    if submitted is None or start is None:
        return None
    days = (start - submitted.date()).days
    if days >= cal.delai_minimum_jours:
        return None
    return "constat", {"depot": french(submitted.date()), "debut": french(start), "jours": days,
                       "jours_min": cal.delai_minimum_jours, "ecart": _gap(days)}


def _gap(days: int) -> str:
    """How long before the start the response came, in words: never a negative count of days."""
    if days > 0:
        return f"{days} jour(s)"
    if days == 0:
        return "le jour même du début"
    return f"{-days} jour(s) après le début"


def _start_too_late(ctx: Context, _: dict[str, Any]) -> Result:
    start, cal = ctx.response.date_debut, ctx.calendar
    if start is None or start <= cal.debut_contrat_au_plus_tard:
        return None
    return "constat", {"debut": french(start), "limite": french(cal.debut_contrat_au_plus_tard)}


def _end_before_start(ctx: Context, _: dict[str, Any]) -> Result:
    start, end = ctx.response.date_debut, ctx.response.date_fin
    if start is None or end is None or end > start:
        return None
    return "constat", {"debut": french(start), "fin": french(end)}


def cycle_end(level: Level, end: date, cal: Calendar) -> tuple[date, str]:
    """The last day of training of the contract's cycle, and how to name that cycle.

    An M1 contract ending after the M1's last day + the allowed margin is a
    two-year contract, checked against the following year's M2.
    """
    if level is Level.M2:
        return cal.fin_formation_m2, "M2"
    if end <= add_months(cal.fin_formation_m1, cal.fin_contrat_max_apres_formation_mois):
        return cal.fin_formation_m1, "M1"
    return cal.fin_formation_m2_annee_suivante, "M2 de l'année suivante (contrat de deux ans)"


def _end_vs_cycle(direction: str) -> Callable[[Context, dict[str, Any]], Result]:
    def run(ctx: Context, _: dict[str, Any]) -> Result:
        level, end, cal = ctx.response.niveau, ctx.response.date_fin, ctx.calendar
        if level is None or end is None:
            return None
        last, cycle = cycle_end(level, end, cal)
        latest = add_months(last, cal.fin_contrat_max_apres_formation_mois)
        values = {"fin": french(end), "cycle": cycle, "dernier_jour": french(last), "limite": french(latest),
                  "mois": cal.fin_contrat_max_apres_formation_mois}
        if direction == "min" and end < last or direction == "max" and end > latest:
            return "constat", values
        return None
    return run


def _duration(ctx: Context, params: dict[str, Any]) -> Result:
    r = ctx.response
    if r.type_contrat is None or r.type_contrat.key != params["type_contrat"] or not (r.date_debut and r.date_fin):
        return None
    values = {"debut": french(r.date_debut), "fin": french(r.date_fin), "min_mois": params["min_mois"],
              "max_mois": params["max_mois"], "alerte_mois": params.get("alerte_au_dela_mois", "")}
    if r.date_fin < last_day_of_duration(r.date_debut, params["min_mois"]):
        return "trop-court", values
    if r.date_fin > last_day_of_duration(r.date_debut, params["max_mois"]):
        return "trop-long", values
    warn = params.get("alerte_au_dela_mois")
    if warn is not None and r.date_fin > last_day_of_duration(r.date_debut, warn):
        return "long", values
    return None


def _max_age(ctx: Context, params: dict[str, Any]) -> Result:
    r = ctx.response
    if r.type_contrat is None or r.type_contrat.key != params["type_contrat"]:
        return None
    if r.date_naissance is None or r.date_debut is None:
        return None
    age = age_on(r.date_naissance, r.date_debut)
    if age < params["age"]:
        return None
    return "constat", {"age": age, "age_max": params["age"], "naissance": french(r.date_naissance),
                       "debut": french(r.date_debut)}


# --- eligibility answers ---------------------------------------------------------------------------

def _answer(ctx: Context, params: dict[str, Any]) -> Result:
    value = getattr(ctx.response, params["champ"])
    return (value.value, {"valeur": value.value}) if value is not None else None


def _required_if(ctx: Context, params: dict[str, Any]) -> Result:
    r = ctx.response
    condition = getattr(r, params["si_champ"])
    if condition is None or condition.value != params["si_valeur"]:
        return None
    if getattr(r, params["champ"]) is not None or r.has_problem(params["champ"]):
        return None
    return "constat", {"champ": form.BY_KEY[params["champ"]].label}


def _duplicate(ctx: Context, _: dict[str, Any]) -> Result:
    if ctx.validated_elsewhere is None:
        return None
    return "constat", {"autre": ctx.validated_elsewhere}


_CONTRACT = {"type_contrat": str}
_FIELD_PARAMS = ("champs", "details")
_CYCLE = ("fin", "cycle", "dernier_jour", "limite", "mois")

KINDS: dict[str, Kind] = {
    "champ-manquant": Kind(_problems(Problem.MISSING), _FIELD_PARAMS, ("constat",)),
    "email-illisible": Kind(_problems(Problem.BAD_EMAIL), _FIELD_PARAMS, ("constat",)),
    "date-illisible": Kind(_problems(Problem.BAD_DATE), _FIELD_PARAMS, ("constat",)),
    "valeur-illisible": Kind(_problems(Problem.UNKNOWN_VALUE), _FIELD_PARAMS, ("constat",)),
    "siret-illisible": Kind(_problems(Problem.BAD_SIRET), _FIELD_PARAMS, ("constat",)),
    "annee-inconnue": Kind(_unknown_year, ("debut",), ("constat",)),
    "depot-avant-ouverture": Kind(_before_opening, ("depot", "ouverture"), ("constat",), needs_calendar=True),
    "delai-minimum": Kind(_short_notice, ("depot", "debut", "jours", "jours_min", "ecart"), ("constat",),
                          needs_calendar=True),
    "debut-au-plus-tard": Kind(_start_too_late, ("debut", "limite"), ("constat",), needs_calendar=True),
    "fin-apres-debut": Kind(_end_before_start, ("debut", "fin"), ("constat",)),
    "fin-au-plus-tot": Kind(_end_vs_cycle("min"), _CYCLE, ("constat",), needs_calendar=True),
    "fin-au-plus-tard": Kind(_end_vs_cycle("max"), _CYCLE, ("constat",), needs_calendar=True),
    "duree": Kind(_duration, ("debut", "fin", "min_mois", "max_mois", "alerte_mois"),
                  ("trop-court", "trop-long", "long"),
                  {**_CONTRACT, "min_mois": int, "max_mois": int, "alerte_au_dela_mois": int},
                  needs_calendar=True, optional=("alerte_au_dela_mois",)),
    "age-maximum": Kind(_max_age, ("age", "age_max", "naissance", "debut"), ("constat",),
                        {**_CONTRACT, "age": int}, needs_calendar=True),
    "reponse": Kind(_answer, ("valeur",), None, {"champ": str}),
    "requis-si": Kind(_required_if, ("champ",), ("constat",), {"champ": str, "si_champ": str, "si_valeur": str}),
    "doublon": Kind(_duplicate, ("autre",), ("constat",)),
}
