"""What only the `google` intake does: tag the rows of the form's own response sheet safely.

The scenarios both Google intakes share are in test_scenarios.py.
"""

import json

import pytest

from bot.adapters import sheet_google
from bot.adapters.sheet_google import decode, encode, encode_list, iter_items
from bot.app.wiring import make_cycle
from bot.errors import SheetError
from tests.app.conftest import at, outbox_keys
from tests.app.intakes import ResponseSheet


@pytest.fixture
def setup(google, make_config, sample_rows):
    intake = ResponseSheet(google, make_config, sample_rows)
    cycle = make_cycle(intake.config)
    yield intake, cycle
    cycle.store.close()


def test_new_rows_are_tagged_safely_when_the_lead_sorts_during_the_first_cycle(setup):
    intake, cycle = setup

    def sort_after_first_write(info, seen=[]):
        if info.is_write:
            seen.append(1)
            if len(seen) == 2:   # after the columns' set-up, before the rows are tagged
                intake.sort("Nom")
    intake.google.before_request(sort_after_first_write)
    cycle.run(at(6))
    cycle.run(at(6, 10))
    by_dossier = {r["N° dossier"]: r for r in intake.rows()}
    expected = {number: info["nom"] for number, info in cycle.store.infos().items()}
    assert len(expected) == 12
    assert {n: by_dossier[n]["Nom"] for n in expected} == expected
    assert not intake.google.errors


SHEET = "sheet-1"


@pytest.fixture
def response_sheet(google, make_config, sample_rows, tmp_path):
    google.add_spreadsheet(SHEET, rows=sample_rows)
    config = make_config(sheet={"backend": "google", "google": {
        "spreadsheet_id": SHEET, "credentials_file": str(google.key_file), "api_endpoint": google.url}})
    cycle = make_cycle(config)
    yield google, cycle, tmp_path / "outbox"
    cycle.store.close()


def table(google) -> list[dict]:
    """Each row by header; a cell under no header is keyed "#" + its column index, so none is missed."""
    rows = google.sheet(SHEET).values()
    width = max(len(r) for r in rows)
    header = [h or f"#{i}" for i, h in enumerate(rows[0] + [None] * (width - len(rows[0])))]
    return [dict(zip(header, r + [None] * (width - len(r)))) for r in rows[1:]]


def column(google, name: str) -> int:
    return google.sheet(SHEET).values()[0].index(name)


def shift_columns_before_the_write(google, change):
    """Run `change()` once, just before the cycle's values write reaches the server."""
    def hook(info, done=[]):
        if info.method_id == "sheets.spreadsheets.values.batchUpdateByDataFilter" and not done:
            done.append(1)
            change()
    google.before_request(hook)


@pytest.mark.parametrize("where", ["first", "before_bot_columns", "inside_bot_columns", "deleted"])
def test_columns_moved_between_read_and_write_are_put_right_and_nothing_is_sent_again(response_sheet, where):
    google, cycle, outbox = response_sheet
    if where == "deleted":
        google.insert_columns(SHEET, at=3)                              # a blank column the lead will delete
    cycle.run(at(6))
    if where == "deleted":                                              # room on the right: the write succeeds
        google.insert_columns(SHEET, at=len(google.sheet(SHEET).values()[0]) + 1)
    before = outbox_keys(outbox)
    original = {r["N° dossier"]: r for r in table(google)}
    google.set_cell(SHEET, 2, column(google, "Décision") + 1, "KO")      # Léa Martin, FVMA-2026-0001
    google.set_cell(SHEET, 3, column(google, "CACTUS initialisé") + 1, True)
    google.set_cell(SHEET, 4, column(google, "Commentaire") + 1, "à revoir")
    at_column = {"first": 1, "before_bot_columns": column(google, "N° dossier") + 1,
                 "inside_bot_columns": column(google, "CACTUS initialisé") + 1}.get(where)
    change = (lambda: google.delete_columns(SHEET, at=3)) if where == "deleted" else \
        (lambda: google.insert_columns(SHEET, at=at_column))
    shift_columns_before_the_write(google, change)
    cycle.run(at(6, 10))                                                 # its values land one column off
    cycle.run(at(6, 11))                                                 # the next read puts them right
    after = {r["N° dossier"]: r for r in table(google)}
    assert set(after) == set(original)
    original["FVMA-2026-0001"].update({"Décision": "KO", "Statut": "À corriger — étudiant notifié"})
    original["FVMA-2026-0002"]["CACTUS initialisé"] = True
    original["FVMA-2026-0003"]["Commentaire"] = "à revoir"
    for number, row in after.items():        # every cell as the lead left it, the bot's as they should be
        assert {h: v for h, v in row.items() if h != "Dernière action" and v is not None} == \
            {h: v for h, v in original[number].items() if h != "Dernière action" and v is not None}, number
    assert sorted(set(outbox_keys(outbox)) - set(before)) == ["FVMA-2026-0001.ko.etudiant"]


def test_a_column_moved_after_a_clean_read_is_the_leads_and_is_left_alone(response_sheet):
    # Once a read has seen the bot's values under their headers, the write is done with: a column the lead
    # inserts later, even holding a copy of the bot's values, is not a shifted write to undo.
    google, cycle, _ = response_sheet
    cycle.run(at(6))                                                      # writes every row
    cycle.run(at(6, 10))                                                  # quiet: its read sees them in place
    number = column(google, "N° dossier") + 1
    google.insert_columns(SHEET, at=number)
    google.set_cell(SHEET, 1, number, "Copie du n°")
    first = google.sheet(SHEET).values()[1][number]                       # the row's N° dossier, one column on
    google.set_cell(SHEET, 2, number, first)
    cycle.run(at(6, 11))
    rows = table(google)
    assert rows[0]["Copie du n°"] == first == rows[0]["N° dossier"]
    assert not google.errors


@pytest.mark.parametrize("field", ["Intitulé et description de la mission", "Nom"])
def test_a_sheet_holding_a_broken_character_is_read_like_any_other(response_sheet, field):
    # Half an emoji (a text cut short) is valid JSON, "\ud83d", that no UTF-8 encoder takes: it is read as "�"
    # and the row is checked, stored and written like the others.
    google, cycle, _ = response_sheet
    header = google.sheet(SHEET).values()[0]
    google.set_cell(SHEET, 2, header.index(field) + 1, "Léa \ud83d — tronqué")
    report = cycle.run(at(6))
    assert report.rows == 12 and len(report.new) == 12
    assert all(r["N° dossier"] and r["Statut"] for r in table(google))
    assert table(google)[0][field] == "Léa \ud83d — tronqué"                   # the lead's cell left as it was
    stored = cycle.store.info("FVMA-2026-0001")["nom"]
    assert stored == ("Léa \ufffd — tronqué" if field == "Nom" else "Martin")
    assert not google.errors


def test_request_and_answer_bodies_take_what_orjson_refuses():
    assert json.loads(encode({"v": ["Léa \ud83d", 1.5, None, True]})) == {"v": ["Léa \ud83d", 1.5, None, True]}
    assert decode(b'{"v": [1e400, "\\ud83d"]}') == {"v": [float("inf"), "\ufffd"]}
    assert decode(b'{"v": ["L\xe9a"]}') == {"v": ["L\ufffda"]}                     # Latin-1, not UTF-8
    with pytest.raises(SheetError, match="not JSON"):
        decode(b"<html>502 Bad Gateway</html>")


PLAIN = (rb'{"range": "A1:C4", "majorDimension": "ROWS", "values": [["Horodateur", "Nom"], [46000.375, "L\u00e9a '
         rb'\u2014 ' + "été ✓ 😀".encode() + rb'", true, false, null, -3, 0], [], ["\"cit\u00e9\"\n\t\\", 0.1, 1e-7,'
         rb' 2.5E+3, 12345678901234567]]}')


@pytest.mark.parametrize("body", [
    PLAIN,
    rb'{"values": [["\ud83d\ude00 emoji, escaped"]]}',
    rb'{"values": [["\ud83d tronqu\u00e9"]]}',                        # half an emoji, escaped
    rb'{"values": [[123456789012345678901234567890]]}',                 # beyond 64 bits
    b'{"values": [["L\xe9a"]]}',                                         # Latin-1, not UTF-8
    rb'{"values": [[NaN, 1e400]]}',
    rb'{"range": "A1"}',
])
def test_rows_read_by_the_streaming_parser_are_those_decode_reads(body):
    # The sheet's rows are parsed item by item (no parse tree of the whole answer); whatever that parser
    # would read otherwise falls back to `decode`, so a row's values, and so its revision, never depend on
    # which parser read them.
    rows = list(iter_items(body, "values"))
    expected = decode(body).get("values", [])
    assert repr(rows) == repr(expected)       # repr: tells 1 from 1.0 and True from 1


@pytest.mark.parametrize("items", [[], [{"a": "Léa — été"}], [{"n": 1}, {"v": [None, 2.5, True, "\ud83d"]}, {}]])
def test_a_request_encoded_item_after_item_is_the_json_of_the_whole(items):
    body = encode_list(b'{"valueInputOption":"RAW","data":[', iter(items), b"]}")
    assert isinstance(body, bytes) and json.loads(body) == {"valueInputOption": "RAW", "data": items}


def test_plain_rows_are_read_without_the_whole_answers_parse_tree(monkeypatch):
    def whole(body):
        raise AssertionError("decoded whole")
    monkeypatch.setattr(sheet_google, "decode", whole)
    assert list(iter_items(PLAIN, "values"))[1][:3] == [46000.375, "Léa — été ✓ 😀", True]
    assert list(iter_items(b'{"valueRanges": [{"valueRange": {"values": [["x"]]}}]}', "valueRanges")) == \
        [{"valueRange": {"values": [["x"]]}}]


def test_the_streaming_parser_is_the_compiled_one():
    # ijson's pure-Python parser would take seconds to read 10,000 rows
    assert sheet_google._STREAM is not None and sheet_google._STREAM.backend_name == "yajl2_c"


@pytest.mark.parametrize("header_first", [True, False])
def test_tagged_rows_are_checked_whatever_the_order_of_the_answer(monkeypatch, header_first):
    # batchGetByDataFilter's answer is read one range at a time; Google does not promise the header's range
    # comes first, so rows found before it wait for it. (The answer is made up here: the test server keeps
    # the request's order.)
    from google.auth.credentials import AnonymousCredentials

    from bot.adapters.sheet import RowWrite, fingerprint
    sheet = sheet_google.GoogleSheet(AnonymousCredentials(), spreadsheet_id="x", endpoint="http://127.0.0.1:9")
    sheet.title, sheet.header = "Réponses", ["Horodateur", "Nom", "N° dossier"]
    columns = {"horodateur": 0, "nom": 1}
    moved_header = ["Note", "Horodateur", "Nom", "N° dossier"]          # a column inserted meanwhile
    lea, hugo = ["", 46000.5, "Martin", ""], ["", 46001.5, "Durand", ""]
    binds = [RowWrite("FVMA-2026-0001", 2, fingerprint(["46000.5", "Martin"], columns), {}, True),
             RowWrite("FVMA-2026-0002", 3, fingerprint([46001.5, "Autre"], columns), {}, True)]

    def lookup(number):
        return {"developerMetadataLookup": {"metadataKey": "fvma-dossier", "metadataValue": number}}
    answer = [{"valueRange": {"values": [lea]}, "dataFilters": [lookup("FVMA-2026-0001")]},
              {"valueRange": {"values": [hugo]}, "dataFilters": [lookup("FVMA-2026-0002")]}]
    head = {"valueRange": {"values": [moved_header]}, "dataFilters": [{"a1Range": "'Réponses'!1:1"}]}
    answer = [head] + answer if header_first else answer + [head]
    monkeypatch.setattr(sheet, "items", lambda *args, **kwargs: iter(answer))
    header, verified = sheet._verify(binds, columns)
    assert header == moved_header
    assert verified == {"FVMA-2026-0001"}      # Hugo's row holds another name: tagged again next cycle
