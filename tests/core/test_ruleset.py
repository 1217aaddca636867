"""The rules files (bot.core.ruleset, loaded by bot.adapters.rules_dir): what they declare, how they are refused."""

import re
import shutil
from datetime import date

import pytest

from bot.adapters.rules_dir import load_years
from bot.core.models import Severity
from bot.core.ruleset import current_year, select_year
from bot.errors import RulesError

from .samples import RULES_DIR

ERROR, WARNING = Severity.ERROR, Severity.WARNING

# SPEC §4: every rule id with the severities it may have.
SPEC_RULES = {
    "champ-requis": {ERROR},
    "email-invalide": {ERROR},
    "date-invalide": {ERROR},
    "valeur-inconnue": {ERROR},
    "siret-invalide": {ERROR},
    "annee-inconnue": {ERROR},
    "hors-campagne": {WARNING},
    "delai-court": {WARNING},
    "debut-trop-tard": {ERROR},
    "fin-avant-debut": {ERROR},
    "fin-trop-tot": {ERROR},
    "fin-trop-tard": {ERROR},
    "duree-apprentissage": {ERROR},
    "duree-professionnalisation": {ERROR, WARNING},
    "annee-non-validee": {ERROR, WARNING},
    "admission-non-confirmee": {ERROR},
    "site-requis": {ERROR},
    "age-apprentissage": {WARNING},
    "age-professionnalisation": {WARNING},
    "documents-non-presentes": {WARNING},
    "doublon": {WARNING},
}

# SPEC §4's table of the two shipped years.
SPEC_CALENDARS = {
    "2025-2026": dict(ouverture_validation=date(2025, 5, 15), delai_minimum_jours=15,
                      debut_formation=date(2025, 9, 1), debut_contrat_au_plus_tard=date(2025, 11, 1),
                      fin_formation_m1=date(2026, 8, 31), fin_formation_m2=date(2026, 9, 30),
                      fin_formation_m2_annee_suivante=date(2027, 9, 30), fin_contrat_max_apres_formation_mois=2),
    "2026-2027": dict(ouverture_validation=date(2026, 5, 20), delai_minimum_jours=15,
                      debut_formation=date(2026, 9, 1), debut_contrat_au_plus_tard=date(2026, 11, 1),
                      fin_formation_m1=date(2027, 8, 31), fin_formation_m2=date(2027, 9, 30),
                      fin_formation_m2_annee_suivante=date(2028, 9, 30), fin_contrat_max_apres_formation_mois=2),
}


# --- the shipped files -----------------------------------------------------------------------------------

def test_the_two_shipped_years_load(years):
    assert sorted(y.annee for y in years) == ["2025-2026", "2026-2027"]


@pytest.mark.parametrize("name", sorted(SPEC_CALENDARS))
def test_each_shipped_calendar_holds_the_dates_of_the_spec(years, name):
    year = next(y for y in years if y.annee == name)

    assert year.calendrier.model_dump() == SPEC_CALENDARS[name]


@pytest.mark.parametrize("name", sorted(SPEC_CALENDARS))
def test_each_shipped_year_declares_every_rule_id_of_the_spec_with_its_severities(years, name):
    year = next(y for y in years if y.annee == name)

    declared = {rule: {o.gravite for o in spec.constats.values()} for rule, spec in year.regles.items()}

    assert declared == SPEC_RULES


@pytest.mark.parametrize("name", sorted(SPEC_CALENDARS))
def test_the_training_end_dates_are_marked_as_to_be_confirmed(name):
    text = (RULES_DIR / f"{name}.toml").read_text(encoding="utf-8")

    for key in ("fin_formation_m1", "fin_formation_m2", "fin_formation_m2_annee_suivante"):
        line = next(line for line in text.splitlines() if line.startswith(key + " "))
        assert "CONFIRMER" in line.upper(), line


# --- which year applies -----------------------------------------------------------------------------------

def test_a_year_applies_from_its_training_start_minus_three_months(years):
    assert {y.annee: y.calendrier.applies_from() for y in years} == {
        "2025-2026": date(2025, 6, 1), "2026-2027": date(2026, 6, 1)}


@pytest.mark.parametrize("start, name", [
    (date(2025, 6, 1), "2025-2026"),
    (date(2026, 5, 31), "2025-2026"),
    (date(2026, 6, 1), "2026-2027"),
    (date(2030, 1, 1), "2026-2027"),
])
def test_the_year_is_the_latest_that_applies_on_the_contracts_start(years, start, name):
    assert select_year(years, start).annee == name


def test_no_year_applies_before_the_first_years_start_minus_three_months(years):
    assert select_year(years, date(2025, 5, 31)) is None


@pytest.mark.parametrize("today, name", [
    (date(2024, 1, 1), "2025-2026"),
    (date(2025, 5, 15), "2025-2026"),
    (date(2026, 5, 19), "2025-2026"),
    (date(2026, 5, 20), "2026-2027"),
])
def test_the_current_year_is_the_one_whose_campaign_opened_last(years, today, name):
    assert current_year(years, today).annee == name


def test_adding_next_year_is_adding_a_file(tmp_path):
    for path in RULES_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path)
    text = (RULES_DIR / "2026-2027.toml").read_text(encoding="utf-8")
    shifted = re.sub(r"(\d{4})-(\d{2})-(\d{2})", lambda m: f"{int(m[1]) + 1}-{m[2]}-{m[3]}", text)
    (tmp_path / "2027-2028.toml").write_text(shifted.replace('annee = "2026-2027"', 'annee = "2027-2028"'),
                                             encoding="utf-8")

    years = load_years(tmp_path)

    assert select_year(years, date(2027, 9, 1)).annee == "2027-2028"
    assert select_year(years, date(2027, 5, 31)).annee == "2026-2027"


# --- refused files: each error names the file and the rule or key --------------------------------------------

@pytest.fixture
def rules_copy(tmp_path):
    """A folder with a copy of 2025-2026.toml, and a function to change its text before loading it."""
    path = tmp_path / "2025-2026.toml"
    original = (RULES_DIR / "2025-2026.toml").read_text(encoding="utf-8")

    def load_with(old: str, new: str) -> str:
        assert old in original, old
        path.write_text(original.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(RulesError) as caught:
            load_years(tmp_path)
        message = str(caught.value)
        assert message.startswith(f"{path}: "), message
        assert "\n" not in message
        return message

    return load_with


def test_the_unchanged_copy_loads(tmp_path):
    shutil.copy(RULES_DIR / "2025-2026.toml", tmp_path)

    assert [y.annee for y in load_years(tmp_path)] == ["2025-2026"]


def test_an_unknown_verification_is_refused_naming_the_rule_and_the_known_ones(rules_copy):
    message = rules_copy('verification = "delai-minimum"', 'verification = "delai-minimun"')

    assert "[regles.delai-court]" in message
    assert "'delai-minimun'" in message
    assert "delai-minimum" in message.split("expected", 1)[1]


def test_an_unknown_parameter_is_refused_naming_the_rule_and_the_parameter(rules_copy):
    message = rules_copy("min_mois = 6", "min_moi = 6")

    assert "[regles.duree-apprentissage]" in message
    assert "min_moi" in message
    assert "unknown parameter" in message


def test_a_parameter_of_the_wrong_type_is_refused(rules_copy):
    message = rules_copy("age = 30", 'age = "30"')

    assert "[regles.age-apprentissage] age = '30': expected int" in message


def test_a_missing_parameter_is_refused(rules_copy):
    message = rules_copy("age = 26\n", "")

    assert "[regles.age-professionnalisation]" in message
    assert "missing parameter age" in message


def test_a_field_key_that_is_not_a_field_is_refused(rules_copy):
    message = rules_copy('champ = "admission"', 'champ = "admision"')

    assert "[regles.admission-non-confirmee] champ = 'admision'" in message


def test_an_unknown_placeholder_in_a_message_is_refused_naming_it_and_the_allowed_ones(rules_copy):
    message = rules_copy("(début indiqué : {debut})", "(début indiqué : {date_debut})")

    assert "[regles.debut-trop-tard.constats.constat]" in message
    assert "{date_debut}" in message
    assert "{debut}, {limite}" in message


def test_a_message_with_an_unclosed_brace_is_refused(rules_copy):
    message = rules_copy("(début indiqué : {debut})", "(début indiqué : {debut)")

    assert "[regles.debut-trop-tard.constats.constat] message" in message


def test_an_outcome_the_verification_cannot_produce_is_refused(rules_copy):
    message = rules_copy("constats.trop-court", "constats.trop-courte")

    assert "[regles.duree-apprentissage] constats.trop-courte" in message


def test_an_unknown_severity_is_refused(rules_copy):
    message = rules_copy('gravite = "alerte", message = "Formulaire déposé',
                         'gravite = "warning", message = "Formulaire déposé')

    assert "[regles.hors-campagne]" in message
    assert "'warning'" in message


def test_a_missing_calendar_key_is_refused_naming_it(rules_copy):
    message = rules_copy("fin_formation_m1 = 2026-08-31", "")

    assert message.endswith("[calendrier] fin_formation_m1: missing")


def test_an_unknown_calendar_key_is_refused_naming_it(rules_copy):
    message = rules_copy("fin_formation_m1 =", "fin_formation_m3 = 2026-08-31\nfin_formation_m1 =")

    assert "[calendrier] fin_formation_m3: unknown key" in message


def test_a_file_that_is_not_toml_is_refused(rules_copy):
    message = rules_copy('annee = "2025-2026"', 'annee = "2025-2026')

    assert "not valid TOML" in message


def test_a_folder_without_rules_files_is_refused(tmp_path):
    with pytest.raises(RulesError, match=re.escape(f"{tmp_path}: no rules file")):
        load_years(tmp_path)


def test_two_files_for_the_same_year_are_refused(tmp_path):
    shutil.copy(RULES_DIR / "2025-2026.toml", tmp_path / "a.toml")
    shutil.copy(RULES_DIR / "2025-2026.toml", tmp_path / "b.toml")

    with pytest.raises(RulesError, match="same year"):
        load_years(tmp_path)
