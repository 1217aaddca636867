"""Fixtures for the core's tests: the shipped rules files and one valid response to change a field at a time.

`VALID` is an M2 apprenticeship for 2025-2026 that has no finding at all (see
test_rules.py::test_the_baseline_response_has_no_finding): each test overrides
the one field it is about, so the finding it sees can only come from that field.
"""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.adapters.rules_dir import load_years
from bot.core.fields import FIELDS
from bot.core.intake import parse_response
from bot.core.models import Finding, Response
from bot.core.rules import Verdict, evaluate
from bot.core.ruleset import RulesYear

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"

# Any date works for the rules that select their year by the contract's start;
# it only picks the rules run when no year applies.
TODAY = date(2025, 6, 20)

VALID: dict[str, object] = {
    "horodateur": "10/06/2025 09:14:22",
    "email_etudiant": "lea.martin@etu.univ-amu.fr",
    "nom": "Martin",
    "prenom": "Léa",
    "numero_etudiant": "22409071",
    "date_naissance": "14/03/2002",
    "niveau": "M2",
    "site": "Aix",
    "annee_validee": "Oui",
    "admission": "Oui",
    "type_contrat": "Contrat d'apprentissage",
    "entreprise": "Sopra Steria",
    "siret": "326 820 065 00083",
    "adresse_entreprise": "6 avenue Kléber, 75116 Paris",
    "rh_nom": "Claire Fontaine",
    "rh_email": "claire.fontaine@soprasteria.example",
    "rh_telephone": "04 91 00 00 01",
    "tuteur_nom": "Marc Lenoir",
    "tuteur_email": "marc.lenoir@soprasteria.example",
    "mission": "Développeuse full-stack : évolution d'une application de gestion des stocks.",
    "date_debut": "01/09/2025",
    "date_fin": "30/09/2026",
    "documents_presentes": "Oui",
}

assert set(VALID) == {f.key for f in FIELDS}


@pytest.fixture(scope="session")
def years() -> list[RulesYear]:
    return load_years(RULES_DIR)


@pytest.fixture
def cells() -> Callable[..., dict[str, object]]:
    """`cells(date_fin="27/02/2026")`: the valid response's cells with some changed (None empties one)."""
    def make(**overrides: object) -> dict[str, object]:
        unknown = set(overrides) - set(VALID)
        assert not unknown, f"not a field key: {unknown}"
        return {**VALID, **overrides}
    return make


@pytest.fixture
def response(cells) -> Callable[..., Response]:
    """`response(niveau="M1")`: the valid response, parsed, with some fields changed."""
    def make(**overrides: object) -> Response:
        return parse_response(cells(**overrides))
    return make


@pytest.fixture
def verdict(years, response) -> Callable[..., Verdict]:
    """`verdict(date_debut="02/11/2025")`: the rules run on the valid response with some fields changed."""
    def run(*, today: date = TODAY, validated_elsewhere: str | None = None, **overrides: object) -> Verdict:
        return evaluate(response(**overrides), years, today, validated_elsewhere)
    return run


@pytest.fixture
def findings(verdict) -> Callable[..., dict[str, Finding]]:
    """The findings by rule id; checks on the way that no rule gave two (SPEC §4: at most one per rule)."""
    def run(**overrides: object) -> dict[str, Finding]:
        found = verdict(**overrides).findings
        by_rule = {f.rule: f for f in found}
        assert len(by_rule) == len(found), f"a rule gave two findings: {found}"
        return by_rule
    return run
