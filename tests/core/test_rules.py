"""The rules of SPEC §4, one rule id at a time, at its boundaries (bot.core.rules with the shipped files)."""

from datetime import date

import pytest

from bot.core.fields import BY_KEY, FIELDS
from bot.core.models import Severity
from bot.core.review_check import check_rows
from bot.core.rules import summary_cell

from .samples import TODAY, VALID

ERROR, WARNING = Severity.ERROR, Severity.WARNING

CALENDAR_RULES = {"hors-campagne", "delai-court", "debut-trop-tard", "fin-trop-tot", "fin-trop-tard",
                  "duree-apprentissage", "duree-professionnalisation", "age-apprentissage",
                  "age-professionnalisation"}


def test_the_baseline_response_has_no_finding(verdict):
    result = verdict()

    assert result.findings == ()
    assert result.year == "2025-2026"
    assert not result.has_error


def test_the_summary_cell_says_conforme_without_findings_and_lists_errors_first(verdict):
    assert summary_cell(verdict().findings) == "Conforme"

    cell = summary_cell(verdict(documents_presentes="Non", admission="Non").findings)

    assert cell.splitlines() == [
        "✖ L'admission dans la formation n'est pas confirmée.",
        "⚠ Les documents de la formation (fiche formation, calendrier, coût, fiche RNCP) n'ont pas été "
        "présentés à l'entreprise.",
    ]


def test_findings_are_sorted_errors_first(verdict):
    result = verdict(documents_presentes="Non", annee_validee="En attente des résultats", admission="Non",
                     date_debut="02/11/2025")

    severities = [f.severity for f in result.findings]

    assert severities == sorted(severities, key=lambda s: s.rank)
    assert severities[0] is ERROR and severities[-1] is WARNING


# --- debut-trop-tard ---------------------------------------------------------------------------------

def test_a_contract_starting_on_november_first_is_accepted(findings):
    assert "debut-trop-tard" not in findings(date_debut="01/11/2025")


def test_it_rejects_a_contract_starting_after_november_first(findings):
    found = findings(date_debut="02/11/2025")

    assert found["debut-trop-tard"].severity is ERROR


def test_the_late_start_message_names_the_limit_and_the_start(findings):
    found = findings(date_debut="15/11/2025")

    assert found["debut-trop-tard"].message == \
        "Le contrat doit débuter au plus tard le 01/11/2025 (début indiqué : 15/11/2025)."


# --- delai-court --------------------------------------------------------------------------------------

@pytest.mark.parametrize("submitted", ["17/08/2025 09:12:00", "17/08/2025 23:59:59", "16/08/2025 08:00:00"])
def test_fifteen_days_lead_or_more_is_enough_whatever_the_time_of_day(findings, submitted):
    assert "delai-court" not in findings(horodateur=submitted, date_debut="01/09/2025")


def test_it_warns_when_submitted_fourteen_days_before_the_start(findings):
    found = findings(horodateur="18/08/2025 00:00:01", date_debut="01/09/2025")

    assert found["delai-court"].severity is WARNING
    assert found["delai-court"].message == (
        "La validation doit être demandée au moins 15 jours avant le début du contrat "
        "(dépôt le 18/08/2025, début le 01/09/2025 : 14 jour(s)).")


@pytest.mark.parametrize("submitted", ["01/09/2025 08:00:00", "05/09/2025 10:00:00"])
def test_it_warns_when_submitted_on_or_after_the_start(findings, submitted):
    assert findings(horodateur=submitted, date_debut="01/09/2025")["delai-court"].severity is WARNING


@pytest.mark.parametrize(("submitted", "gap"), [("01/09/2025 08:00:00", "le jour même du début"),
                                                ("05/09/2025 10:00:00", "4 jour(s) après le début")])
def test_a_response_on_or_after_the_start_says_so_never_a_negative_count_of_days(findings, submitted, gap):
    message = findings(horodateur=submitted, date_debut="01/09/2025")["delai-court"].message
    assert message.endswith(f"(dépôt le {submitted[:10]}, début le 01/09/2025 : {gap}).")
    assert "-" not in message.split(":")[-1]


# --- hors-campagne --------------------------------------------------------------------------------------

@pytest.mark.parametrize("opening, start, end, year", [
    ("15/05/2025", "01/09/2025", "30/09/2026", "2025-2026"),
    ("20/05/2026", "01/09/2026", "30/09/2027", "2026-2027"),
])
def test_a_response_submitted_on_the_opening_day_is_in_the_campaign(verdict, opening, start, end, year):
    result = verdict(horodateur=f"{opening} 00:00:00", date_debut=start, date_fin=end)

    assert result.year == year
    assert result.findings == ()


@pytest.mark.parametrize("day_before, opening, start, end", [
    ("14/05/2025", "15/05/2025", "01/09/2025", "30/09/2026"),
    ("19/05/2026", "20/05/2026", "01/09/2026", "30/09/2027"),
])
def test_it_warns_about_a_response_submitted_the_day_before_the_opening(findings, day_before, opening, start, end):
    found = findings(horodateur=f"{day_before} 23:59:59", date_debut=start, date_fin=end)

    assert set(found) == {"hors-campagne"}
    assert found["hors-campagne"].severity is WARNING
    assert found["hors-campagne"].message == \
        f"Formulaire déposé le {day_before}, avant l'ouverture des validations le {opening}."


# --- fin-trop-tot / fin-trop-tard: M2 ---------------------------------------------------------------------

def test_an_m2_contract_ending_on_the_last_day_of_training_is_accepted(findings):
    assert findings(date_fin="30/09/2026") == {}


def test_it_rejects_an_m2_contract_ending_the_day_before_the_last_day_of_training(findings):
    found = findings(date_fin="29/09/2026")

    assert set(found) == {"fin-trop-tot"}
    assert found["fin-trop-tot"].severity is ERROR
    assert found["fin-trop-tot"].message == ("Le contrat doit se terminer au plus tôt le dernier jour de formation "
                                             "du M2, le 30/09/2026 (fin indiquée : 29/09/2026).")


def test_an_m2_contract_ending_exactly_two_months_after_the_training_is_accepted(findings):
    assert findings(date_fin="30/11/2026") == {}


def test_it_rejects_an_m2_contract_ending_a_day_later_than_two_months_after_the_training(findings):
    found = findings(date_fin="01/12/2026")

    assert set(found) == {"fin-trop-tard"}
    assert found["fin-trop-tard"].severity is ERROR
    assert found["fin-trop-tard"].message == (
        "Le contrat doit se terminer au plus tard 2 mois après le dernier jour de formation du M2, "
        "soit le 30/11/2026 (fin indiquée : 01/12/2026).")


# --- fin-trop-tot / fin-trop-tard: M1, one-year and two-year contracts -------------------------------------

@pytest.mark.parametrize("end", ["31/08/2026", "30/09/2026", "31/10/2026"])
def test_an_m1_one_year_contract_may_end_from_the_m1_last_day_to_two_months_later(findings, end):
    assert findings(niveau="M1", date_fin=end) == {}


def test_it_rejects_an_m1_contract_ending_before_the_m1_last_day(findings):
    found = findings(niveau="M1", date_fin="30/08/2026")

    assert set(found) == {"fin-trop-tot"}
    assert found["fin-trop-tot"].message == ("Le contrat doit se terminer au plus tôt le dernier jour de formation "
                                             "du M1, le 31/08/2026 (fin indiquée : 30/08/2026).")


@pytest.mark.parametrize("end", ["01/11/2026", "01/03/2027", "29/09/2027"])
def test_an_m1_contract_ending_after_the_m1_margin_is_a_two_year_contract_checked_against_the_next_m2(
        findings, end):
    found = findings(niveau="M1", date_fin=end)

    assert set(found) == {"fin-trop-tot"}
    assert "30/09/2027" in found["fin-trop-tot"].message
    assert f"(fin indiquée : {end})" in found["fin-trop-tot"].message


@pytest.mark.parametrize("end", ["30/09/2027", "30/11/2027"])
def test_an_m1_two_year_contract_may_end_from_the_next_m2_last_day_to_two_months_later(findings, end):
    assert findings(niveau="M1", date_fin=end) == {}


def test_it_rejects_an_m1_two_year_contract_ending_more_than_two_months_after_the_next_m2(findings):
    found = findings(niveau="M1", date_fin="01/12/2027")

    assert set(found) == {"fin-trop-tard"}
    assert "30/11/2027" in found["fin-trop-tard"].message


# --- durée ---------------------------------------------------------------------------------------------

def test_an_apprenticeship_of_exactly_six_months_is_long_enough(findings):
    assert "duree-apprentissage" not in findings(date_fin="28/02/2026")


def test_it_rejects_an_apprenticeship_a_day_shorter_than_six_months(findings):
    found = findings(date_fin="27/02/2026")

    assert found["duree-apprentissage"].severity is ERROR
    assert "du 01/09/2025 au 27/02/2026" in found["duree-apprentissage"].message


def test_an_apprenticeship_of_exactly_three_years_is_not_too_long(findings):
    assert "duree-apprentissage" not in findings(date_fin="31/08/2028")


def test_it_rejects_an_apprenticeship_a_day_longer_than_three_years(findings):
    found = findings(date_fin="01/09/2028")

    assert found["duree-apprentissage"].severity is ERROR
    assert "du 01/09/2025 au 01/09/2028" in found["duree-apprentissage"].message


PRO = "Contrat de professionnalisation"


@pytest.mark.parametrize("end", ["28/02/2026", "31/08/2026"])
def test_a_professionalisation_contract_of_six_to_twelve_months_has_no_duration_finding(findings, end):
    assert "duree-professionnalisation" not in findings(type_contrat=PRO, date_fin=end)


def test_it_rejects_a_professionalisation_contract_shorter_than_six_months(findings):
    assert findings(type_contrat=PRO, date_fin="27/02/2026")["duree-professionnalisation"].severity is ERROR


@pytest.mark.parametrize("end", ["01/09/2026", "30/09/2026", "31/08/2028"])
def test_it_warns_about_a_professionalisation_contract_longer_than_twelve_months(findings, end):
    found = findings(type_contrat=PRO, date_fin=end)

    assert found["duree-professionnalisation"].severity is WARNING
    assert found["duree-professionnalisation"].message == (
        f"Un contrat de professionnalisation de plus de 12 mois (du 01/09/2025 au {end}) nécessite un accord "
        "de branche (articles L6325-11 et L6325-12 du Code du travail).")


def test_a_professionalisation_contract_longer_than_36_months_is_an_error_and_not_also_a_warning(verdict):
    result = verdict(type_contrat=PRO, date_fin="01/09/2028")

    durations = [f for f in result.findings if f.rule == "duree-professionnalisation"]

    assert len(durations) == 1
    assert durations[0].severity is ERROR


def test_the_apprenticeship_duration_rule_ignores_professionalisation_contracts(findings):
    assert "duree-apprentissage" not in findings(type_contrat=PRO, date_fin="27/02/2026")


# --- âge -------------------------------------------------------------------------------------------------

def test_it_warns_about_an_apprentice_turning_thirty_on_the_first_day(findings):
    found = findings(date_naissance="01/09/1995")

    assert set(found) == {"age-apprentissage"}
    assert found["age-apprentissage"].severity is WARNING
    assert found["age-apprentissage"].message.startswith("L'étudiant aura 30 ans au début du contrat (01/09/2025)")


def test_an_apprentice_turning_thirty_the_day_after_the_start_has_no_age_finding(findings):
    assert findings(date_naissance="02/09/1995") == {}


def test_it_warns_about_a_professionalisation_student_aged_26(findings):
    found = findings(type_contrat=PRO, niveau="M1", date_fin="31/08/2026", date_naissance="01/09/1999")

    assert set(found) == {"age-professionnalisation"}
    assert found["age-professionnalisation"].severity is WARNING
    assert "26 ans" in found["age-professionnalisation"].message


def test_a_professionalisation_student_aged_25_has_no_age_finding(findings):
    assert findings(type_contrat=PRO, niveau="M1", date_fin="31/08/2026", date_naissance="02/09/1999") == {}


def test_the_apprenticeship_age_limit_does_not_apply_to_professionalisation(findings):
    found = findings(type_contrat=PRO, niveau="M1", date_fin="31/08/2026", date_naissance="01/09/1995")

    assert "age-apprentissage" not in found
    assert "age-professionnalisation" in found


def test_without_a_birth_date_there_is_no_age_finding_and_nothing_is_required(findings):
    assert findings(date_naissance=None) == {}


# --- l'éligibilité -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, severity", [("Non", ERROR), ("En attente des résultats", WARNING)])
def test_an_unvalidated_year_is_reported_with_its_severity(findings, answer, severity):
    found = findings(annee_validee=answer)

    assert set(found) == {"annee-non-validee"}
    assert found["annee-non-validee"].severity is severity


def test_it_rejects_a_response_whose_admission_is_not_confirmed(findings):
    found = findings(admission="Non")

    assert set(found) == {"admission-non-confirmee"}
    assert found["admission-non-confirmee"].severity is ERROR


def test_an_m1_response_without_a_site_gets_site_requis_and_not_champ_requis(findings):
    found = findings(niveau="M1", site=None)

    assert set(found) == {"site-requis"}
    assert found["site-requis"].severity is ERROR


def test_an_m2_response_without_a_site_has_no_finding(findings):
    assert findings(site=None) == {}


def test_an_m1_response_with_an_unknown_site_gets_valeur_inconnue_only(findings):
    assert set(findings(niveau="M1", site="Luminy")) == {"valeur-inconnue"}


def test_it_warns_when_the_training_documents_were_not_shown_to_the_company(findings):
    found = findings(documents_presentes="Non")

    assert set(found) == {"documents-non-presentes"}
    assert found["documents-non-presentes"].severity is WARNING


def test_documents_presentes_is_optional(findings):
    assert findings(documents_presentes=None) == {}


# --- champ-requis and the formats ----------------------------------------------------------------------------

REQUIRED = [f for f in FIELDS if f.required]


@pytest.mark.parametrize("fld", REQUIRED, ids=[f.key for f in REQUIRED])
def test_each_required_field_left_empty_gets_champ_requis_naming_it(findings, fld):
    found = findings(**{fld.key: "  "})

    assert found["champ-requis"].severity is ERROR
    assert found["champ-requis"].message == f"Champ obligatoire non renseigné : {fld.header}."


def test_the_required_fields_are_those_of_the_spec():
    assert [f.key for f in REQUIRED] == [
        "horodateur", "email_etudiant", "nom", "prenom", "numero_etudiant", "niveau", "annee_validee",
        "admission", "type_contrat", "entreprise", "siret", "rh_nom", "rh_email", "tuteur_nom", "mission",
        "date_debut", "date_fin"]


@pytest.mark.parametrize("key", ["date_naissance", "adresse_entreprise", "rh_telephone", "tuteur_email",
                                 "documents_presentes", "site"])
def test_an_optional_field_left_empty_has_no_finding(findings, key):
    assert findings(**{key: None}) == {}


def test_several_empty_fields_make_one_finding_naming_them_all(findings):
    found = findings(nom=None, prenom=None)

    assert found["champ-requis"].message == "Champ obligatoire non renseigné : Nom, Prénom."


def test_a_missing_end_date_gives_champ_requis_and_no_end_or_duration_finding(findings):
    assert set(findings(date_fin=None)) == {"champ-requis"}


def test_a_missing_start_date_gives_champ_requis_and_no_calendar_finding(verdict):
    result = verdict(date_debut=None, horodateur="01/10/2025 10:00:00", date_naissance="01/01/1980")

    assert [f.rule for f in result.findings] == ["champ-requis"]
    assert result.year is None


@pytest.mark.parametrize("key", ["email_etudiant", "rh_email", "tuteur_email"])
@pytest.mark.parametrize("address", [
    "lea martin@etu.univ-amu.fr",
    "lea.martin@etu.univ-amu.fr, l.martin@gmail.com",
    "lea.martin@etu.univ-amu.fr l.martin@gmail.com",
    "Léa Martin <lea.martin@etu.univ-amu.fr>",
    "lea.martin@",
    "julie.blanc@startup",
])
def test_it_rejects_an_address_that_is_not_one_valid_address(findings, key, address):
    found = findings(**{key: address})

    assert set(found) == {"email-invalide"}
    assert found["email-invalide"].severity is ERROR
    assert f"{BY_KEY[key].header} : « {address} »" in found["email-invalide"].message


def test_the_invalid_address_message_quotes_the_field_and_the_value(findings):
    assert findings(rh_email="julie.blanc@startup")["email-invalide"].message == (
        "Adresse e-mail invalide — Contact RH — e-mail : « julie.blanc@startup ». "
        "Indiquer une seule adresse, de la forme nom@domaine.fr.")


def test_an_invalid_student_address_does_not_also_count_as_missing(findings):
    assert "champ-requis" not in findings(email_etudiant="lea.martin@")


@pytest.mark.parametrize("raw", ["31/02/2025", "2025-13-01", "demain", "0", "200000", 0, -1, 200000])
def test_an_unreadable_start_date_gets_date_invalide_and_no_calendar_finding(verdict, raw):
    result = verdict(date_debut=raw)

    assert [f.rule for f in result.findings] == ["date-invalide"]
    assert result.findings[0].severity is ERROR
    assert result.year is None


def test_the_unreadable_date_message_quotes_the_field_and_the_value(findings):
    assert findings(date_fin="31/02/2027")["date-invalide"].message == (
        "Date illisible — Date de fin du contrat : « 31/02/2027 ». Indiquer une date réelle au format JJ/MM/AAAA.")


@pytest.mark.parametrize("key", ["horodateur", "date_naissance", "date_fin"])
def test_each_unreadable_date_field_gets_date_invalide_alone(findings, key):
    assert set(findings(**{key: "31/02/2025"})) == {"date-invalide"}


@pytest.mark.parametrize("key, raw", [
    ("niveau", "M3"),
    ("site", "Luminy"),
    ("annee_validee", "Peut-être"),
    ("admission", "Oui / Non"),
    ("type_contrat", "CDI"),
    ("documents_presentes", "Bof"),
])
def test_an_unknown_enumeration_value_gets_valeur_inconnue(findings, key, raw):
    found = findings(**{key: raw})

    assert set(found) == {"valeur-inconnue"}
    assert found["valeur-inconnue"].severity is ERROR
    assert f"« {raw} »" in found["valeur-inconnue"].message


@pytest.mark.parametrize("siret", [
    "326 820 065 0008",      # 13 digits
    "326 820 065 000833",    # 15 digits
    "3268200650O083",        # a letter O for a zero
    "32682006500084",        # fails the Luhn check
    "35600000049838",        # La Poste, digit sum not a multiple of 5
])
def test_it_rejects_an_invalid_siret(findings, siret):
    found = findings(siret=siret)

    assert set(found) == {"siret-invalide"}
    assert found["siret-invalide"].severity is ERROR
    assert f"« {siret} »" in found["siret-invalide"].message


@pytest.mark.parametrize("siret", [
    "32682006500083",
    "326 820 065 00083",
    "326.820.065.00083",
    32682006500083,
    "356 000 000 49837",   # La Poste: fails Luhn, digit sum 45
    "35600000000048",      # La Poste's head office: passes Luhn
])
def test_it_accepts_a_valid_siret(findings, siret):
    assert findings(siret=siret) == {}


# --- annee-inconnue and year selection --------------------------------------------------------------------------

@pytest.mark.parametrize("start, year", [
    ("01/06/2025", "2025-2026"),
    ("01/11/2025", "2025-2026"),
    ("31/05/2026", "2025-2026"),
    ("01/06/2026", "2026-2027"),
    ("01/09/2026", "2026-2027"),
])
def test_the_year_is_the_latest_whose_training_start_minus_three_months_is_on_or_before_the_start(
        verdict, start, year):
    assert verdict(date_debut=start, horodateur="01/01/2025 10:00:00").year == year


def test_a_start_on_may_31_2026_belongs_to_2025_2026_and_starts_too_late(findings):
    found = findings(date_debut="31/05/2026", date_fin="30/09/2026")

    assert found["debut-trop-tard"].message == \
        "Le contrat doit débuter au plus tard le 01/11/2025 (début indiqué : 31/05/2026)."


def test_a_start_before_june_first_2025_has_no_year(verdict):
    result = verdict(date_debut="31/05/2025")

    assert result.year is None
    assert [(f.rule, f.severity) for f in result.findings] == [("annee-inconnue", ERROR)]
    assert result.findings[0].message == ("Aucun calendrier de formation ne couvre un contrat débutant le "
                                          "31/05/2025 : vérifier la date de début du contrat.")


def test_an_unknown_year_is_reported_with_the_findings_that_need_no_calendar(findings):
    found = findings(
        date_debut="15/03/2025", date_fin="01/03/2025",           # fin-avant-debut; would be too short
        horodateur="20/03/2025 10:00:00",                           # after the start: would be delai-court
        date_naissance="01/01/1980",                                # would be age-apprentissage
        niveau="M1", site=None, admission="Non", annee_validee="Non", documents_presentes="Non",
        siret="32682006500084", rh_email="rh@", mission=None, tuteur_email="x", type_contrat="apprentissage",
    )

    assert set(found) == {"annee-inconnue", "fin-avant-debut", "site-requis", "admission-non-confirmee",
                          "annee-non-validee", "documents-non-presentes", "siret-invalide", "email-invalide",
                          "champ-requis"}
    assert not set(found) & CALENDAR_RULES


def test_an_unknown_year_still_reports_an_unknown_value(findings):
    assert set(findings(date_debut="01/01/2024", niveau="M9")) == {"annee-inconnue", "valeur-inconnue"}


def test_an_unknown_year_still_reports_doublon(findings):
    found = findings(date_debut="01/01/2024", validated_elsewhere="ligne 2")

    assert set(found) == {"annee-inconnue", "doublon"}


def test_the_non_calendar_rules_run_whatever_today_is_when_no_year_applies(verdict):
    for today in (date(2024, 1, 1), TODAY, date(2027, 1, 1)):
        result = verdict(today=today, date_debut="01/01/2024", admission="Non")

        assert {f.rule for f in result.findings} == {"annee-inconnue", "admission-non-confirmee"}


# --- independence ----------------------------------------------------------------------------------------------

def test_a_contract_ending_before_it_starts_gets_three_independent_findings(findings):
    found = findings(date_fin="31/08/2025")

    assert set(found) == {"fin-avant-debut", "fin-trop-tot", "duree-apprentissage"}
    assert all(f.severity is ERROR for f in found.values())
    assert found["fin-avant-debut"].message == \
        "La date de fin du contrat (31/08/2025) doit être postérieure à sa date de début (01/09/2025)."


def test_a_contract_ending_on_its_first_day_ends_on_or_before_its_start(findings):
    assert "fin-avant-debut" in findings(date_fin="01/09/2025")


def test_rules_whose_input_is_unreadable_do_not_fire(findings):
    found = findings(date_fin="2026-13-40", niveau="M7", type_contrat="Stage", date_naissance="hier")

    assert set(found) == {"date-invalide", "valeur-inconnue"}


def test_each_rule_gives_one_finding_naming_every_field_it_is_about(findings):
    found = findings(date_naissance="31/02/2000", date_fin="31/02/2027")

    assert found["date-invalide"].message == (
        "Date illisible — Date de naissance : « 31/02/2000 » ; Date de fin du contrat : « 31/02/2027 ». "
        "Indiquer une date réelle au format JJ/MM/AAAA.")


# --- doublon, through check_rows with a Décision column ---------------------------------------------------------

HEADER = [f.header for f in FIELDS]


def sheet(*rows: dict[str, object], decisions: list[object] | None = None, dossiers: list[str] | None = None):
    """A header row and one row per response, with `Décision` (and `N° dossier`) columns when given."""
    header = list(HEADER)
    if dossiers is not None:
        header.append("N° dossier")
    if decisions is not None:
        header.append("Décision")
    lines = [header]
    for index, overrides in enumerate(rows):
        line = [{**VALID, **overrides}[f.key] for f in FIELDS]
        if dossiers is not None:
            line.append(dossiers[index])
        if decisions is not None:
            line.append(decisions[index])
        lines.append(line)
    return lines


OTHER_STUDENT = {"email_etudiant": "hugo.bernard@etu.univ-amu.fr", "numero_etudiant": "22311456",
                 "nom": "Bernard", "prenom": "Hugo"}


def rules_by_line(years, rows):
    _, checked = check_rows(rows, years, TODAY)
    return {row.line: {f.rule: f for f in row.verdict.findings} for row in checked}


def test_a_second_response_of_a_validated_student_gets_doublon(years):
    rows = sheet({}, {"email_etudiant": "LEA.Martin@etu.univ-amu.fr", "numero_etudiant": "99999999"},
                 decisions=["OK", ""])

    found = rules_by_line(years, rows)

    assert found[2] == {}
    assert set(found[3]) == {"doublon"}
    assert found[3]["doublon"].severity is WARNING
    assert found[3]["doublon"].message == \
        "Cet étudiant a déjà une mission validée (ligne 2) : une mission validée ne peut plus être changée."


def test_the_student_number_matches_as_digits_whether_a_number_or_a_string(years):
    rows = sheet({"numero_etudiant": 22409071},
                 {"numero_etudiant": "22409071", "email_etudiant": "l.martin@gmail.com"},
                 decisions=["OK", None])

    assert set(rules_by_line(years, rows)[3]) == {"doublon"}


def test_the_student_number_matches_whatever_its_spacing(years):
    rows = sheet({"numero_etudiant": 22409071.0},
                 {"numero_etudiant": " 224 090 71", "email_etudiant": "l.martin@gmail.com"},
                 decisions=["ok", None])

    assert set(rules_by_line(years, rows)[3]) == {"doublon"}


def test_doublon_names_the_validated_dossier_when_the_sheet_has_dossier_numbers(years):
    rows = sheet({}, {}, decisions=["OK", None], dossiers=["FVMA-2025-0001", ""])

    found = rules_by_line(years, rows)

    assert "(dossier FVMA-2025-0001)" in found[3]["doublon"].message


@pytest.mark.parametrize("decision", ["KO", "", None, "peut-être"])
def test_a_response_that_is_not_validated_does_not_make_a_doublon(years, decision):
    rows = sheet({}, {}, decisions=[decision, None])

    assert rules_by_line(years, rows) == {2: {}, 3: {}}


def test_another_students_validated_response_does_not_make_a_doublon(years):
    rows = sheet({}, OTHER_STUDENT, decisions=["OK", None])

    assert rules_by_line(years, rows) == {2: {}, 3: {}}


def test_without_a_decision_column_nothing_is_a_doublon(years):
    assert rules_by_line(years, sheet({}, {})) == {2: {}, 3: {}}


def test_check_rows_keeps_the_sheet_row_numbers_across_empty_rows(years):
    rows = sheet({}, OTHER_STUDENT)
    rows.insert(2, ["", None, "  "])
    rows.insert(2, [])

    assert list(rules_by_line(years, rows)) == [2, 5]


def test_check_rows_uses_the_configured_aliases(years):
    rows = sheet({})
    rows[0] = ["Début du contrat" if h == "Date de début du contrat" else h for h in rows[0]]

    headers, checked = check_rows(rows, years, TODAY, {"date_debut": ["Début du contrat"]})

    assert "date_debut" in headers.columns
    assert checked[0].verdict.findings == ()
