"""Forms API JSON → the form's fields: timestamps, question matching, answers as cell text."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.adapters.forms_answers import Instant, answer_text, field_map, submission_of
from bot.core import intake


def form(*titles: str, collect: str | None = None) -> dict:
    items = [{"itemId": f"i{n}", "title": t, "questionItem": {"question": {"questionId": f"q{n}"}}}
             for n, t in enumerate(titles)]
    items.insert(1, {"itemId": "page", "title": "Votre entreprise", "pageBreakItem": {}})
    return {"formId": "f", "items": items, **({"settings": {"emailCollectionType": collect}} if collect else {})}


def text(*answers: str) -> dict:
    return {"textAnswers": {"answers": [{"value": a} for a in answers]}}


@pytest.mark.parametrize("raw, second, nanos", [
    ("2026-10-01T12:34:56Z", datetime(2026, 10, 1, 12, 34, 56, tzinfo=timezone.utc), 0),
    ("2026-10-01T12:34:56.789Z", datetime(2026, 10, 1, 12, 34, 56, tzinfo=timezone.utc), 789_000_000),
    ("2026-10-01T12:34:56.123456Z", datetime(2026, 10, 1, 12, 34, 56, tzinfo=timezone.utc), 123_456_000),
    ("2026-10-01T12:34:56.123456789Z", datetime(2026, 10, 1, 12, 34, 56, tzinfo=timezone.utc), 123_456_789),
    ("2026-10-01T14:34:56+02:00", datetime(2026, 10, 1, 12, 34, 56, tzinfo=timezone.utc), 0),
])
def test_it_reads_rfc3339_timestamps_to_the_nanosecond(raw, second, nanos):
    assert Instant.parse(raw) == Instant(second, nanos)


@pytest.mark.parametrize("raw", ["", None, "01/10/2026 12:34:56", "2026-10-01", "2026-13-01T00:00:00Z",
                                 "2026-10-01T12:34:56"])
def test_it_reads_nothing_else_as_a_timestamp(raw):
    assert Instant.parse(raw) is None


def test_nanoseconds_order_two_submissions_in_the_same_microsecond():
    assert Instant.parse("2026-10-01T12:00:00.000000001Z") > Instant.parse("2026-10-01T12:00:00Z")
    assert Instant.parse("2026-10-01T12:00:00.5Z") == Instant.parse("2026-10-01T12:00:00.500000000Z")


def test_the_filter_form_keeps_every_digit_and_the_overlap_goes_back_in_time():
    moment = Instant.parse("2026-10-01T12:34:56.123456789Z")
    assert moment.rfc3339() == "2026-10-01T12:34:56.123456789Z"
    assert moment.minus(timedelta(minutes=10)).rfc3339() == "2026-10-01T12:24:56.123456789Z"


@pytest.mark.parametrize("raw, shown", [
    ("2026-10-01T12:34:56.789Z", "01/10/2026 14:34:56"),   # summer time: UTC+2
    ("2026-01-15T12:00:00Z", "15/01/2026 13:00:00"),       # winter time: UTC+1
    ("2026-03-29T00:59:59Z", "29/03/2026 01:59:59"),       # the hour before the change
    ("2026-03-29T01:00:00Z", "29/03/2026 03:00:00"),
])
def test_people_see_the_submission_in_paris_wall_time(raw, shown):
    assert Instant.parse(raw).paris() == shown


def test_the_core_reads_a_forms_timestamp_as_paris_wall_time():
    assert intake.parse_response({"horodateur": "2026-10-01T12:34:56.789Z"}).submitted_at == \
        datetime(2026, 10, 1, 14, 34, 56, 789000)


def test_questions_are_matched_like_a_sheets_headers_in_the_forms_order():
    fields = field_map(form("Nom", "Prénom :", "numéro étudiant ?", "Votre couleur préférée"))
    assert fields.by_question == {"q0": "nom", "q1": "prenom", "q2": "numero_etudiant"}
    assert fields.fields == ("horodateur", "email_etudiant", "nom", "prenom", "numero_etudiant")


def test_a_renamed_question_is_found_by_its_alias_and_a_reordered_form_keeps_its_order():
    renamed = form("Début du contrat", "Nom", "Prénom")
    assert field_map(renamed).by_question == {"q1": "nom", "q2": "prenom"}
    fields = field_map(renamed, {"date_debut": ["Début du contrat"]})
    assert fields.by_question == {"q0": "date_debut", "q1": "nom", "q2": "prenom"}
    assert fields.fields == ("horodateur", "email_etudiant", "date_debut", "nom", "prenom")


def test_the_address_column_exists_only_when_the_form_collects_or_asks_it():
    assert "email_etudiant" not in field_map(form("Nom", collect="DO_NOT_COLLECT")).fields
    assert "email_etudiant" in field_map(form("Nom", collect="VERIFIED")).fields
    asked = field_map(form("Nom", "Adresse e-mail", collect="DO_NOT_COLLECT"))
    assert asked.fields == ("horodateur", "email_etudiant", "nom") and asked.by_question["q1"] == "email_etudiant"


def test_a_question_titled_like_the_timestamp_is_not_taken_for_it():
    assert field_map(form("Horodateur", "Nom")).by_question == {"q1": "nom"}


def test_a_response_becomes_the_cells_a_french_reader_expects():
    fields = field_map(form("Nom", "Date de début du contrat", "Type de contrat", "Tuteur en entreprise — nom"))
    response = {
        "responseId": "ACYDBN1", "createTime": "2026-09-01T08:00:00.000Z",
        "lastSubmittedTime": "2026-09-02T09:15:00.123456Z", "respondentEmail": "lea@etu.univ-amu.fr",
        "answers": {"q0": {"questionId": "q0", **text("Martin")}, "q1": text("2026-09-15"),
                    "q2": text("Contrat d'apprentissage"), "q9": text("une question inconnue")},
    }
    sub = submission_of(response, fields)
    assert sub.response_id == "ACYDBN1" and sub.submitted_text == "2026-09-02T09:15:00.123456Z"
    assert sub.created < sub.submitted
    assert sub.cells == {"horodateur": "02/09/2026 11:15:00", "email_etudiant": "lea@etu.univ-amu.fr",
                         "nom": "Martin", "date_debut": "15/09/2026", "type_contrat": "Contrat d'apprentissage",
                         "tuteur_nom": ""}
    parsed = intake.parse_response(sub.cells)
    assert parsed.date_debut.isoformat() == "2026-09-15" and parsed.submitted_at == datetime(2026, 9, 2, 11, 15)


def test_the_collected_address_comes_before_an_answered_one_as_in_a_response_sheet():
    fields = field_map(form("Adresse e-mail", "Nom"))
    both = {"responseId": "r", "lastSubmittedTime": "2026-09-01T08:00:00Z", "respondentEmail": "vu@etu.fr",
            "answers": {"q0": text("tape@etu.fr")}}
    assert submission_of(both, fields).cells["email_etudiant"] == "vu@etu.fr"
    del both["respondentEmail"]
    assert submission_of(both, fields).cells["email_etudiant"] == "tape@etu.fr"


def test_a_response_without_id_or_time_is_none():
    fields = field_map(form("Nom"))
    assert submission_of({"lastSubmittedTime": "2026-09-01T08:00:00Z"}, fields) is None
    assert submission_of({"responseId": "r", "lastSubmittedTime": "hier"}, fields) is None


def test_answers_keep_what_is_not_a_plain_date_and_join_several_choices():
    assert answer_text(text("Oui", "Non")) == "Oui, Non"
    assert answer_text(text("2026-02-31")) == "31/02/2026"   # the core then reports it: date-invalide
    assert answer_text(text("15/09/2026")) == "15/09/2026"
    assert answer_text(text("22409071")) == "22409071"       # a text answer: no number, no lost zero
    assert answer_text({"fileUploadAnswers": {"answers": [{"fileId": "x", "fileName": "cerfa.pdf"}]}}) == "cerfa.pdf"
    assert answer_text({}) == ""
