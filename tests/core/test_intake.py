"""From a header row and cells to a parsed Response (bot.core.intake, SPEC §2)."""

from datetime import date, datetime

import pytest

from bot.core.fields import BY_KEY, FIELDS
from bot.core.intake import cells_of, find_column, is_empty_row, map_headers, parse_response
from bot.core.models import ContractType, FieldProblem, Level, Problem, Site, YearStatus, YesNo

from .samples import VALID

HEADER = [f.header for f in FIELDS]


def row_for(header, cells):
    """The row a sheet with `header` holds for `cells` (keyed by field key, unknown columns blank)."""
    by_header = {BY_KEY[key].header: value for key, value in cells.items()}
    return [by_header.get(h, "") for h in header]


# --- headers -------------------------------------------------------------------------------------------

def test_every_default_header_is_found_where_it_is():
    headers = map_headers(HEADER)

    assert headers.columns == {f.key: i for i, f in enumerate(FIELDS)}
    assert headers.missing() == []
    assert headers.duplicates == ()


@pytest.mark.parametrize("written, key", [
    ("HORODATEUR", "horodateur"),
    ("horodateur", "horodateur"),
    ("  Horodateur  ", "horodateur"),
    ("Timestamp", "horodateur"),
    ("Email Address", "email_etudiant"),
    ("Adresse e-mail :", "email_etudiant"),
    ("Adresse e-mail:", "email_etudiant"),
    ("Prenom", "prenom"),
    ("PRÉNOM", "prenom"),
    ("Numero etudiant ?", "numero_etudiant"),
    ("Numéro étudiant?", "numero_etudiant"),
    ("Date de début du contrat :", "date_debut"),
    ("Annee en cours validee", "annee_validee"),
    ("Contact RH - nom", "rh_nom"),
    ("Contact RH – e-mail", "rh_email"),
    ("Intitulé et description  de la mission", "mission"),
    ("Documents de la formation présentés à l’entreprise ?", "documents_presentes"),
])
def test_a_header_matches_whatever_its_case_accents_spaces_and_trailing_punctuation(written, key):
    assert map_headers(["Colonne inconnue", written]).columns == {key: 1}


def test_a_configured_alias_matches_like_a_default_header():
    headers = map_headers(["Début du contrat", "N° d'étudiant :"],
                          {"date_debut": ["début du contrat"], "numero_etudiant": ["N° d'étudiant"]})

    assert headers.columns == {"date_debut": 0, "numero_etudiant": 1}


def test_an_alias_configured_for_another_field_does_not_match():
    assert map_headers(["Début du contrat"], {"date_fin": ["Fin du contrat"]}).columns == {}


def test_columns_in_any_order_give_the_same_response():
    shuffled = list(reversed(HEADER))

    assert parse_response(cells_of(row_for(shuffled, VALID), map_headers(shuffled))) == parse_response(VALID)


def test_unknown_columns_are_ignored():
    header = ["Question ajoutée en cours d'année", *HEADER[:5], "Contrôle automatique", *HEADER[5:], "Statut"]
    row = row_for(header, VALID)
    row[0], row[6], row[-1] = "réponse libre", "✖ ancien constat", "En attente de décision"

    headers = map_headers(header)

    assert set(headers.columns) == set(BY_KEY)
    assert parse_response(cells_of(row, headers)) == parse_response(VALID)


def test_a_missing_column_is_reported_and_its_field_reads_as_empty():
    header = [h for h in HEADER if h != "SIRET"]
    headers = map_headers(header)

    assert [f.key for f in headers.missing()] == ["siret"]
    response = parse_response(cells_of(row_for(header, VALID), headers))
    assert response.problems == (FieldProblem(field="siret", problem=Problem.MISSING),)


def test_a_duplicated_header_is_reported_and_the_first_non_blank_value_is_read():
    # A question deleted and re-created in the form: older answers in the first
    # column, newer ones in the second.
    header = [*HEADER, "SIRET"]
    headers = map_headers(header)
    older = row_for(HEADER, VALID) + [""]
    newer = row_for(HEADER, {**VALID, "siret": ""}) + ["356 000 000 49837"]

    assert headers.duplicates == ("siret",)
    assert headers.columns["siret"] == HEADER.index("SIRET")
    assert parse_response(cells_of(older, headers)).siret == "32682006500083"
    assert parse_response(cells_of(newer, headers)).siret == "35600000049837"


def test_of_two_filled_duplicated_columns_the_first_wins():
    header = ["Nom", "Nom"]

    assert cells_of(["Martin", "Bernard"], map_headers(header)) == {"nom": "Martin"}


def test_a_row_shorter_than_the_header_reads_its_missing_cells_as_empty():
    cells = cells_of(["10/06/2025 09:14:22"], map_headers(HEADER))

    assert cells["horodateur"] == "10/06/2025 09:14:22"
    assert cells["date_fin"] is None


def test_find_column_matches_the_bots_columns_by_normalised_header():
    header = ["Horodateur", " décision :", "N° DOSSIER"]

    assert find_column(header, "Décision") == 1
    assert find_column(header, "N° dossier") == 2
    assert find_column(header, "Statut") is None


@pytest.mark.parametrize("row, empty", [([], True), (["", None, "  "], True), (["", "x"], False), ([0], False)])
def test_a_row_is_empty_when_every_cell_is_blank(row, empty):
    assert is_empty_row(row) is empty


# --- parsing a response ---------------------------------------------------------------------------------

def test_a_valid_response_parses_into_typed_values():
    response = parse_response(VALID)

    assert response.problems == ()
    assert response.submitted_at == datetime(2025, 6, 10, 9, 14, 22)
    assert response.date_naissance == date(2002, 3, 14)
    assert (response.date_debut, response.date_fin) == (date(2025, 9, 1), date(2026, 9, 30))
    assert response.niveau is Level.M2
    assert response.site is Site.AIX
    assert response.annee_validee is YearStatus.YES
    assert response.admission is YesNo.YES
    assert response.type_contrat is ContractType.APPRENTICESHIP
    assert response.siret == "32682006500083"
    assert response.numero_etudiant == "22409071"
    assert response.rh_email == "claire.fontaine@soprasteria.example"


@pytest.mark.parametrize("raw", [
    "01/09/2025", 45901, 45901.0, "45901", "2025-09-01", date(2025, 9, 1), datetime(2025, 9, 1),
])
def test_a_contract_date_is_read_from_each_form(raw):
    assert parse_response({**VALID, "date_debut": raw}).date_debut == date(2025, 9, 1)


@pytest.mark.parametrize("raw, expected", [
    ("01/09/2025 14:03:12", datetime(2025, 9, 1, 14, 3, 12)),
    (45901.75, datetime(2025, 9, 1, 18)),
    ("45901.75", datetime(2025, 9, 1, 18)),
    ("2025-09-01T14:03:12Z", datetime(2025, 9, 1, 16, 3, 12)),
    (datetime(2025, 9, 1, 14, 3, 12), datetime(2025, 9, 1, 14, 3, 12)),
])
def test_the_timestamp_is_read_from_each_form(raw, expected):
    assert parse_response({**VALID, "horodateur": raw}).submitted_at == expected


@pytest.mark.parametrize("raw", [22409071, 22409071.0, "22409071", " 22409071 "])
def test_a_student_number_reads_as_its_digits_whether_a_number_or_text(raw):
    assert parse_response({**VALID, "numero_etudiant": raw}).numero_etudiant == "22409071"


@pytest.mark.parametrize("key, raw, expected", [
    ("niveau", "m1", Level.M1),
    ("niveau", "Master 2", Level.M2),
    ("site", "MARSEILLE", Site.MARSEILLE),
    ("site", "Aix-en-Provence", Site.AIX),
    ("annee_validee", "en attente des resultats", YearStatus.PENDING),
    ("annee_validee", "En attente des résultats", YearStatus.PENDING),
    ("annee_validee", "NON", YearStatus.NO),
    ("admission", "oui", YesNo.YES),
    ("type_contrat", "apprentissage", ContractType.APPRENTICESHIP),
    ("type_contrat", "Contrat d’apprentissage", ContractType.APPRENTICESHIP),
    ("type_contrat", "CONTRAT DE PROFESSIONNALISATION", ContractType.PROFESSIONALISATION),
    ("type_contrat", "Professionnalisation", ContractType.PROFESSIONALISATION),
    ("documents_presentes", "Non", YesNo.NO),
])
def test_enumerations_match_leniently(key, raw, expected):
    response = parse_response({**VALID, key: raw})

    assert getattr(response, key) is expected
    assert response.problems == ()


@pytest.mark.parametrize("key, raw", [
    ("niveau", "M3"), ("niveau", "M1 / M2"), ("admission", "Oui / Non"), ("type_contrat", "CDI"),
    ("annee_validee", "Peut-être"), ("site", "Luminy"),
])
def test_an_unknown_or_ambiguous_enumeration_value_is_a_problem_not_a_guess(key, raw):
    response = parse_response({**VALID, key: raw})

    assert getattr(response, key) is None
    assert response.problems == (FieldProblem(field=key, problem=Problem.UNKNOWN_VALUE, raw=raw),)


@pytest.mark.parametrize("key, raw, problem", [
    ("date_debut", "31/02/2025", Problem.BAD_DATE),
    ("horodateur", "demain", Problem.BAD_DATE),
    ("date_naissance", "2025-13-01", Problem.BAD_DATE),
    ("rh_email", "julie.blanc@startup", Problem.BAD_EMAIL),
    ("tuteur_email", "a@b.fr, c@d.fr", Problem.BAD_EMAIL),
    ("siret", "123 456 789 00010", Problem.BAD_SIRET),
])
def test_an_unreadable_value_becomes_a_problem_quoting_it_and_the_field_stays_empty(key, raw, problem):
    response = parse_response({**VALID, key: raw})

    assert response.problems == (FieldProblem(field=key, problem=problem, raw=raw),)
    attribute = "submitted_at" if key == "horodateur" else key
    assert getattr(response, attribute) is None


def test_an_unreadable_value_does_not_stop_the_other_fields():
    response = parse_response({**VALID, "date_debut": "demain", "siret": "x", "niveau": "M9"})

    assert {p.field for p in response.problems} == {"date_debut", "siret", "niveau"}
    assert response.date_fin == date(2026, 9, 30)
    assert response.nom == "Martin"


def test_an_empty_required_field_is_missing_and_an_empty_optional_one_is_not():
    response = parse_response({**VALID, "nom": " ", "rh_telephone": "", "date_naissance": None})

    assert response.problems == (FieldProblem(field="nom", problem=Problem.MISSING),)


def test_absent_keys_count_as_empty():
    response = parse_response({})

    assert {p.field for p in response.problems} == {f.key for f in FIELDS if f.required}
    assert all(p.problem is Problem.MISSING for p in response.problems)


def test_a_student_is_identified_by_lower_case_address_and_student_number_digits():
    response = parse_response({**VALID, "email_etudiant": "Lea.Martin@ETU.univ-amu.fr", "numero_etudiant": 22409071})

    assert response.student_keys() == {"email:lea.martin@etu.univ-amu.fr", "numero:22409071"}


def test_a_student_number_of_zeros_identifies_no_one():
    # "0000" and "0" once made one student of everyone who typed them: the later replaced the earlier
    for raw in ("0000", 0, "0", "inconnu"):
        assert parse_response({**VALID, "numero_etudiant": raw}).student_keys() == {
            "email:" + VALID["email_etudiant"].lower()}


def test_an_unreadable_value_is_quoted_on_one_line():
    response = parse_response({**VALID, "email_etudiant": "lea@etu.fr\r\nBcc: victime@example.org"})
    [problem] = [p for p in response.problems if p.field == "email_etudiant"]
    assert problem.raw == "lea@etu.fr Bcc: victime@example.org"
