"""The loopback Google server, driven by the real gspread, google-auth and googleapiclient clients."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import gspread
import pytest
import requests
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from tests.support.google_a1 import A1Error, parse
from tests.support.google_server import GoogleServer

SHEETS = "https://sheets.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/spreadsheets"
READONLY = "https://www.googleapis.com/auth/spreadsheets.readonly"
FORMS_SCOPES = [
    "https://www.googleapis.com/auth/forms.body.readonly",
    "https://www.googleapis.com/auth/forms.responses.readonly",
]
TAB = "Réponses au formulaire 1"
Q = f"'{TAB}'"
UTC = timezone.utc

HEADER = ["Horodateur", "Nom", "Numéro étudiant", "Début", "Validé", "Note"]
ROWS = [
    HEADER,
    [datetime(2026, 11, 22, 14, 3, 12), "Alice", 612345678, date(2025, 9, 1), True, 12.5],
    [datetime(2026, 11, 22, 15, 0, 0), "Bob", 22001122, date(2025, 9, 2), False, 14],
    [datetime(2026, 11, 23, 9, 30, 0), "Chloé", 22003344, date(2025, 10, 6), None, None],
]


@pytest.fixture
def server():
    with GoogleServer() as s:
        yield s
        assert s.errors == []


def client_for(server: GoogleServer, scopes=(SCOPE,)) -> gspread.Client:
    class LoopbackHTTPClient(HTTPClient):
        def request(self, method, endpoint, *args, **kwargs):
            return super().request(method, endpoint.replace(SHEETS, server.url), *args, **kwargs)

    return gspread.Client(auth=server.credentials(list(scopes)), http_client=LoopbackHTTPClient)


@pytest.fixture
def gc(server):
    server.add_spreadsheet("sheet-1", rows=ROWS)
    return client_for(server)


@pytest.fixture
def ws(gc):
    return gc.open_by_key("sheet-1").sheet1


def raw(gc: gspread.Client, method: str, path: str, **kwargs):
    """A request through gspread's own (authorized) HTTP client, for methods gspread does not wrap."""
    return gc.http_client.request(method, f"{SHEETS}/v4/spreadsheets/{path}", **kwargs).json()


def row_metadata(sheet_id: int, row0: int, key: str, value: str) -> dict:
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataKey": key,
                "metadataValue": value,
                "visibility": "DOCUMENT",
                "location": {"dimensionRange": {"sheetId": sheet_id, "dimension": "ROWS",
                                                "startIndex": row0, "endIndex": row0 + 1}},
            }
        }
    }


# ---------------------------------------------------------------------------------------- auth


def test_service_account_flow_records_scopes_and_tokens(server, ws):
    assert ws.title == TAB
    assert server.scopes_seen == [SCOPE]
    assert server.token_requests[0]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert server.token_requests[0]["claims"]["iss"] == "fvma-bot@fvma-test.iam.gserviceaccount.com"
    assert all(r.headers["authorization"] == "Bearer tok-1" for r in server.requests)


def test_requests_without_a_token_get_401_unless_anonymous(server):
    server.add_spreadsheet("s")
    r = requests.get(f"{server.url}/v4/spreadsheets/s")
    assert r.status_code == 401
    assert r.json()["error"]["status"] == "UNAUTHENTICATED"
    r = requests.get(f"{server.url}/v4/spreadsheets/s", headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401
    server.allow_anonymous = True
    assert requests.get(f"{server.url}/v4/spreadsheets/s").json()["properties"]["locale"] == "fr_FR"


def test_expired_token_is_refreshed_by_the_client(server, ws):
    server.expire_tokens()
    assert ws.get_all_values()[1][1] == "Alice"
    assert [r.status for r in server.requests[-2:]] == [401, 200]
    assert len(server.token_requests) == 2


def test_read_only_scope_cannot_write(server):
    server.add_spreadsheet("s", rows=[["a"]])
    ws = client_for(server, scopes=(READONLY,)).open_by_key("s").sheet1
    assert ws.acell("A1").value == "a"
    with pytest.raises(APIError) as e:
        ws.update([["b"]], "A1")
    assert e.value.code == 403
    assert e.value.error["message"] == "Request had insufficient authentication scopes."


# ---------------------------------------------------------------------------------------- reads


def test_open_by_key_gives_metadata_like_a_form_response_sheet(gc):
    sh = gc.open_by_key("sheet-1")
    assert (sh.locale, sh.timezone) == ("fr_FR", "Europe/Paris")
    ws = sh.sheet1
    assert (ws.id, ws.title, ws.row_count, ws.col_count) == (0, TAB, 1000, 26)
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound) as e:
        gc.open_by_key("nope")
    assert e.value.args[0].json()["error"]["status"] == "NOT_FOUND"


def test_formatted_values_follow_the_french_locale(ws):
    values = ws.get_all_values()
    assert values[1] == ["22/11/2026 14:03:12", "Alice", "612345678", "01/09/2025", "VRAI", "12,5"]
    assert values[2][4:] == ["FAUX", "14"]
    assert values[3] == ["23/11/2026 09:30:00", "Chloé", "22003344", "06/10/2025", "", ""]
    assert len(values) == 4  # trailing empty rows are not returned


def test_unformatted_values_give_numbers_booleans_and_serial_dates(ws):
    values = ws.get_all_values(value_render_option="UNFORMATTED_VALUE")
    assert values[1][2:] == [612345678, 45901, True, 12.5]
    assert values[1][0] == pytest.approx(46348 + (14 * 3600 + 3 * 60 + 12) / 86400)
    as_text = ws.get_all_values(value_render_option="UNFORMATTED_VALUE", date_time_render_option="FORMATTED_STRING")
    assert as_text[1][3] == "01/09/2025" and as_text[1][4] is True


def test_values_get_trims_trailing_cells_and_answers_the_requested_range(gc, ws):
    reply = gc.open_by_key("sheet-1").values_get(f"{Q}!A2:F")
    assert reply["range"] == f"{Q}!A2:F1000"
    assert reply["values"][-1] == ["23/11/2026 09:30:00", "Chloé", "22003344", "06/10/2025"]
    whole = gc.open_by_key("sheet-1").values_get(Q)
    assert whole["range"] == f"{Q}!A1:Z1000"
    cols = gc.open_by_key("sheet-1").values_get(f"{Q}!B:C", params={"majorDimension": "COLUMNS"})
    assert cols["values"][0] == ["Nom", "Alice", "Bob", "Chloé"]
    empty = gc.open_by_key("sheet-1").values_get(f"{Q}!Y1:Z2")
    assert "values" not in empty and empty["range"] == f"{Q}!Y1:Z2"


def test_batch_get_and_row_and_column_ranges(ws):
    a, b, c = ws.batch_get(["1:1", "B2:B3", "E2:E"])  # gspread prefixes the sheet title
    assert a == [HEADER]
    assert b == [["Alice"], ["Bob"]]
    assert c == [["VRAI"], ["FAUX"]]


def test_unknown_sheet_in_a_range_is_unparsable_and_past_the_grid_is_refused(gc):
    sh = gc.open_by_key("sheet-1")
    with pytest.raises(APIError) as e:
        sh.values_get("'Nope'!A1")
    assert e.value.code == 400 and e.value.error["message"] == "Unable to parse range: 'Nope'!A1"
    with pytest.raises(APIError) as e:
        sh.values_get(f"{Q}!A1:AB2")
    assert e.value.error["message"] == f"Range ({Q}!A1:AB2) exceeds grid limits. Max rows: 1000, max columns: 26"


def test_an_unquoted_title_that_reads_as_a_cell_is_a_cell(server, gc):
    # As Google answers for a tab named CO2 (dataiku/dataiku-contrib#215, ontodev/cogs#123).
    server.add_spreadsheet("co2", title="CO2", rows=[["ppm"]])
    sh = gc.open_by_key("co2")
    with pytest.raises(APIError) as e:
        sh.values_get("CO2")
    assert e.value.error["message"] == "Range ('CO2'!CO2) exceeds grid limits. Max rows: 1000, max columns: 26"
    assert sh.values_get("'CO2'") == {"range": "'CO2'!A1:Z1000", "majorDimension": "ROWS", "values": [["ppm"]]}


# ---------------------------------------------------------------------------------------- writes


def test_raw_keeps_text_and_user_entered_parses_it(server, ws):
    ws.update([["0612345678", "=1+1", "VRAI"]], "B5", raw=True)
    ws.update([["0612345678", "=1+1", "VRAI", "01/09/2025", "3,5"]], "B6", raw=False)
    sheet = server.sheet("sheet-1")
    assert sheet.values()[4][1:4] == ["0612345678", "=1+1", "VRAI"]
    assert sheet.values()[5][1:] == [612345678, "=1+1", True, date(2025, 9, 1), 3.5]
    assert server.formulas_written == [{"spreadsheetId": "sheet-1", "range": f"{Q}!C6", "formula": "=1+1"}]
    assert ws.get("C5:C6", value_render_option="FORMULA") == [["=1+1"], ["=1+1"]]


def test_null_is_skipped_and_empty_string_clears(server, ws):
    reply = ws.batch_update([{"range": "B2:F2", "values": [[None, None, None, None, ""]]},
                             {"range": "B3", "values": [["Bobby"]]}])
    assert reply["totalUpdatedCells"] == 2 and reply["totalUpdatedSheets"] == 1
    sheet = server.sheet("sheet-1")
    assert sheet.values()[1] == [datetime(2026, 11, 22, 14, 3, 12), "Alice", 612345678, date(2025, 9, 1), True]
    assert sheet.cell(3, 2) == "Bobby"


def test_writing_past_the_grid_fails_until_it_grows(server, gc, ws):
    with pytest.raises(APIError) as e:
        ws.update([["revue"]], "AB2")
    assert e.value.code == 400
    assert e.value.error["message"] == f"Range ({Q}!AB2) exceeds grid limits. Max rows: 1000, max columns: 26"
    assert e.value.error["status"] == "INVALID_ARGUMENT"
    ws.add_cols(7)  # updateSheetProperties gridProperties/columnCount
    ws.update([["revue"]], "AB2")
    assert server.sheet("sheet-1").column_count == 33
    assert server.sheet("sheet-1").cell(2, 28) == "revue"


def test_a_range_smaller_than_the_values_is_refused_and_nothing_is_written(server, ws):
    with pytest.raises(APIError) as e:
        ws.batch_update([{"range": "G2", "values": [["ok"]]}, {"range": "G3:H3", "values": [["a", "b", "c"]]}])
    assert e.value.error["message"] == (
        "Invalid data[1]: Requested writing within range ['Réponses au formulaire 1'!G3:H3], "
        "but tried writing to column [I]")
    assert server.sheet("sheet-1").cell(2, 7) is None  # values:batchUpdate is atomic


def test_append_simulates_a_form_submission(server, gc):
    sh = gc.open_by_key("sheet-1")
    reply = sh.values_append(Q, params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                             body={"values": [["22/11/2026 16:00:00", "Dan"]]})
    assert reply["tableRange"] == f"{Q}!A1:F4"
    assert reply["updates"]["updatedRange"] == f"{Q}!A5:B5"
    assert server.sheet("sheet-1").row_count == 1001
    assert server.append_row("sheet-1", [datetime(2026, 11, 24, 8, 0), "Eve"]) == 6


# ---------------------------------------------------------------------------------------- data filters


def test_row_metadata_follows_its_row_through_sort_and_insert(server, gc, ws):
    reply = gc.open_by_key("sheet-1").batch_update({"requests": [row_metadata(0, 2, "fvma.response", "bob")]})
    created = reply["replies"][0]["createDeveloperMetadata"]["developerMetadata"]
    assert created["location"] == {"locationType": "ROW", "dimensionRange": {
        "sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}}
    assert isinstance(created["metadataId"], int) and created["metadataId"] > 0

    server.sort_rows("sheet-1", key=2, reverse=True)  # Chloé, Bob, Alice
    server.insert_rows("sheet-1", at=2, n=2)  # two empty rows above the data
    assert server.sheet("sheet-1").metadata_row("fvma.response", "bob") == 5

    lookup = {"developerMetadataLookup": {"metadataKey": "fvma.response", "metadataValue": "bob",
                                          "locationType": "ROW"}}
    got = raw(gc, "post", "sheet-1/values:batchGetByDataFilter",
              json={"dataFilters": [lookup], "valueRenderOption": "UNFORMATTED_VALUE"})
    assert len(got["valueRanges"]) == 1
    assert got["valueRanges"][0]["dataFilters"] == [lookup]
    assert got["valueRanges"][0]["valueRange"]["range"] == f"{Q}!A5:Z5"
    assert got["valueRanges"][0]["valueRange"]["values"][0][1] == "Bob"

    put = raw(gc, "post", "sheet-1/values:batchUpdateByDataFilter", json={
        "valueInputOption": "RAW",
        "data": [{"dataFilter": {"developerMetadataLookup": {"metadataId": created["metadataId"]}},
                  "majorDimension": "ROWS", "values": [[None, None, None, None, None, None, "Validé"]]}]})
    assert put["totalUpdatedCells"] == 1
    assert put["responses"][0]["updatedRange"] == f"{Q}!A5:G5"
    assert put["responses"][0]["dataFilter"] == {"developerMetadataLookup": {"metadataId": created["metadataId"]}}
    assert server.sheet("sheet-1").values()[4][1:] == ["Bob", 22001122, date(2025, 9, 2), False, 14, "Validé"]


def test_a_deleted_row_takes_its_metadata_and_a_filter_then_matches_nothing(server, gc):
    gc.open_by_key("sheet-1").batch_update({"requests": [row_metadata(0, 1, "k", "alice")]})
    server.delete_rows("sheet-1", at=2)
    assert server.sheet("sheet-1").developer_metadata == []
    lookup = {"developerMetadataLookup": {"metadataKey": "k"}}
    assert raw(gc, "post", "sheet-1/values:batchGetByDataFilter", json={"dataFilters": [lookup]}) == {
        "spreadsheetId": "sheet-1"}
    body = {"valueInputOption": "RAW", "data": [{"dataFilter": lookup, "values": [["x"]]}]}
    assert raw(gc, "post", "sheet-1/values:batchUpdateByDataFilter", json=body) == {"spreadsheetId": "sheet-1"}
    server.unmatched_data_filter = "error"
    with pytest.raises(APIError) as e:
        raw(gc, "post", "sheet-1/values:batchUpdateByDataFilter", json=body)
    assert e.value.code == 400


def test_a1_and_grid_range_filters(gc):
    got = raw(gc, "post", "sheet-1/values:batchGetByDataFilter", json={"dataFilters": [
        {"a1Range": f"{Q}!B2:B3"},
        {"gridRange": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 1,
                       "endColumnIndex": 3}},
    ]})
    assert [m["valueRange"]["values"] for m in got["valueRanges"]] == [[["Alice"], ["Bob"]],
                                                                        [["Nom", "Numéro étudiant"]]]


# ---------------------------------------------------------------------------------------- batchUpdate


def test_every_supported_batch_update_request(server, gc):
    sh = gc.open_by_key("sheet-1")
    rule = {"condition": {"type": "BOOLEAN"}, "strict": True}
    requests_ = [
        {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                                   "fields": "gridProperties.frozenRowCount"}},
        {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 4}},
        {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2},
                             "inheritFromBefore": False}},
        {"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}},
        {"addSheet": {"properties": {"title": "Journal", "gridProperties": {"rowCount": 10, "columnCount": 3}}}},
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 26},
                         "rows": [{"values": [{"userEnteredValue": {"stringValue": "Statut"}},
                                              {"userEnteredValue": {"numberValue": 45901},
                                               "userEnteredFormat": {"numberFormat": {"type": "DATE"}}},
                                              {"userEnteredValue": {"boolValue": True}}]}],
                         "fields": "userEnteredValue,userEnteredFormat.numberFormat"}},
        {"repeatCell": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold"}},
        {"setDataValidation": {"range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 1000,
                                         "startColumnIndex": 28, "endColumnIndex": 29}, "rule": rule}},
        {"setDataValidation": {"range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3,
                                         "startColumnIndex": 26, "endColumnIndex": 27},
                               "rule": {"condition": {"type": "ONE_OF_LIST", "values": [
                                   {"userEnteredValue": "OK"}, {"userEnteredValue": "KO"}]}, "showCustomUi": True}}},
        {"addConditionalFormatRule": {"index": 0, "rule": {
            "ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 26, "endColumnIndex": 27}],
            "booleanRule": {"condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "KO"}]},
                            "format": {"backgroundColor": {"red": 1}}}}}},
        {"addConditionalFormatRule": {"index": 1, "rule": {
            "ranges": [{"sheetId": 0, "startColumnIndex": 1, "endColumnIndex": 2}],
            "booleanRule": {"condition": {"type": "BLANK"}, "format": {}}}}},
        {"deleteConditionalFormatRule": {"sheetId": 0, "index": 1}},
        {"createDeveloperMetadata": {"developerMetadata": {"metadataKey": "fvma.sheet", "metadataValue": "v1",
                                                           "visibility": "DOCUMENT", "location": {"sheetId": 0}}}},
        {"createDeveloperMetadata": {"developerMetadata": {"metadataKey": "fvma.book", "visibility": "DOCUMENT",
                                                           "location": {"spreadsheet": True}}}},
        row_metadata(0, 1, "fvma.response", "alice"),
        {"updateDeveloperMetadata": {"dataFilters": [{"developerMetadataLookup": {"metadataKey": "fvma.sheet"}}],
                                     "developerMetadata": {"metadataValue": "v2"}, "fields": "metadataValue"}},
        {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"metadataKey": "fvma.book"}}}},
        {"sortRange": {"range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 4},
                       "sortSpecs": [{"dimensionIndex": 1, "sortOrder": "DESCENDING"}]}},
    ]
    reply = sh.batch_update({"requests": requests_})
    replies = reply["replies"]
    assert len(replies) == len(requests_)
    assert replies[0] == replies[1] == replies[5] == replies[7] == replies[17] == {}
    assert replies[4]["addSheet"]["properties"]["title"] == "Journal"
    assert replies[4]["addSheet"]["properties"]["gridProperties"] == {"rowCount": 10, "columnCount": 3}
    assert replies[11]["deleteConditionalFormatRule"]["rule"]["booleanRule"]["condition"]["type"] == "BLANK"
    assert replies[15]["updateDeveloperMetadata"]["developerMetadata"][0]["metadataValue"] == "v2"
    assert replies[16]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"][0]["metadataKey"] == "fvma.book"

    sheet = server.sheet("sheet-1")
    assert (sheet.frozen_row_count, sheet.column_count, sheet.row_count) == (1, 30, 1000)
    assert sheet.values()[0][26:] == ["Statut", date(2025, 9, 1), True]
    assert [r[1] for r in sheet.values()[1:4]] == ["Chloé", "Bob", "Alice"]
    assert sheet.metadata_row("fvma.response", "alice") == 4  # sorted along with Alice's row
    assert sheet.validation(2, 29) == rule and sheet.validation(1, 29) is None
    # the list rule was on Alice's and Bob's rows (2-3); sorting moved it with their cells (3-4)
    assert sheet.validations[0]["range"] == {"sheetId": 0, "startRowIndex": 2, "endRowIndex": 4,
                                             "startColumnIndex": 26, "endColumnIndex": 27}
    assert sheet.formats[0]["fields"] == "userEnteredFormat.numberFormat"

    meta = sh.fetch_sheet_metadata()
    first = meta["sheets"][0]
    assert first["properties"]["gridProperties"] == {"rowCount": 1000, "columnCount": 30, "frozenRowCount": 1}
    assert [r["booleanRule"]["condition"]["type"] for r in first["conditionalFormats"]] == ["TEXT_EQ"]
    assert [(m["metadataKey"], m["metadataValue"]) for m in first["developerMetadata"]] == [("fvma.sheet", "v2")]
    assert "developerMetadata" not in meta  # the spreadsheet-level one was deleted
    assert [s["properties"]["title"] for s in meta["sheets"]] == [TAB, "Journal"]


def test_batch_update_is_atomic(server, gc):
    sh = gc.open_by_key("sheet-1")
    with pytest.raises(APIError) as e:
        sh.batch_update({"requests": [
            {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 5}},
            {"deleteDimension": {"range": {"sheetId": 7, "dimension": "ROWS", "startIndex": 0, "endIndex": 1}}},
        ]})
    assert e.value.error["message"] == "Invalid requests[1].deleteDimension: No grid with id: 7"
    assert server.sheet("sheet-1").row_count == 1000


def test_unknown_fields_enums_and_request_kinds_are_rejected(server, gc, ws):
    sh = gc.open_by_key("sheet-1")
    bad = {"requests": [{"updateSheetProperties": {"properties": {"sheetId": 0, "title": "x", "colour": 1},
                                                   "fields": "title"}}]}
    with pytest.raises(APIError) as e:
        sh.batch_update(bad)
    assert e.value.code == 400 and e.value.error["status"] == "INVALID_ARGUMENT"
    assert e.value.error["message"] == (
        "Invalid JSON payload received. Unknown name \"colour\" at "
        "'requests[0].update_sheet_properties.properties': Cannot find field.")
    with pytest.raises(APIError) as e:
        sh.batch_update({"requests": [{"frobnicate": {}}]})
    assert e.value.error["message"] == (
        "Invalid JSON payload received. Unknown name \"frobnicate\" at 'requests[0]': Cannot find field.")
    with pytest.raises(APIError) as e:
        sh.batch_update({"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROW", "length": 1}}]})
    assert "Invalid value at 'requests[0].append_dimension.dimension'" in e.value.error["message"]
    with pytest.raises(APIError) as e:
        sh.values_update(f"{Q}!A1", params={"valueInputOption": "RAW"}, body={"values": [["x"]], "extra": 1})
    assert 'Unknown name "extra": Cannot find field.' in e.value.error["message"]
    with pytest.raises(APIError) as e:
        sh.values_get(f"{Q}!A1", params={"valueRenderOption": "PRETTY"})
    assert e.value.code == 400
    assert server.sheet("sheet-1").title == TAB and server.sheet("sheet-1").cell(1, 1) == "Horodateur"


def test_inserting_a_column_moves_validations_and_conditional_formats(server, gc):
    sh = gc.open_by_key("sheet-1")
    sh.batch_update({"requests": [
        {"setDataValidation": {"range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 10,
                                         "startColumnIndex": 4, "endColumnIndex": 5},
                               "rule": {"condition": {"type": "BOOLEAN"}}}},
        {"addConditionalFormatRule": {"rule": {
            "ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 4, "endColumnIndex": 5}],
            "booleanRule": {"condition": {"type": "BLANK"}, "format": {}}}}},
        {"createDeveloperMetadata": {"developerMetadata": {
            "metadataKey": "col.valide", "visibility": "DOCUMENT",
            "location": {"dimensionRange": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 4,
                                            "endIndex": 5}}}}},
    ]})
    server.insert_columns("sheet-1", at=1)
    sheet = server.sheet("sheet-1")
    assert sheet.validation(2, 6) == {"condition": {"type": "BOOLEAN"}} and sheet.validation(2, 5) is None
    assert sheet.conditional_formats[0]["ranges"][0]["startColumnIndex"] == 5
    assert sheet.developer_metadata[0].start == 5
    assert sheet.cell(2, 6) is True  # the data moved too
    server.insert_rows("sheet-1", at=5)  # inside the validated run: it grows over the new row
    assert sheet.validation(5, 6) == {"condition": {"type": "BOOLEAN"}}
    assert sheet.validations[0]["range"]["endRowIndex"] == 11


# ---------------------------------------------------------------------------------------- controls


def test_429_with_retry_after_reaches_the_client_then_the_request_succeeds(server, ws):
    server.fail_next(429, retry_after=7, match=lambda info: info.is_write)
    assert ws.acell("B2").value == "Alice"  # reads are not matched
    with pytest.raises(APIError) as e:
        ws.update([["x"]], "G2")
    assert e.value.code == 429 and e.value.error["status"] == "RESOURCE_EXHAUSTED"
    assert e.value.response.headers["Retry-After"] == "7"
    assert "Write requests" in e.value.error["message"]
    ws.update([["x"]], "G2")
    assert server.sheet("sheet-1").cell(2, 7) == "x"
    assert [r.fault for r in server.requests if r.is_write] == [429, None]


def test_dropped_connections_random_faults_and_delays(server, ws):
    server.fail_next(0)
    with pytest.raises(requests.exceptions.ConnectionError):
        ws.get_all_values()
    server.fail_rate(1.0, statuses=(503,), seed=1)
    with pytest.raises(APIError) as e:
        ws.get_all_values()
    assert e.value.code == 503 and e.value.error["status"] == "UNAVAILABLE"
    server.fail_rate(0)
    server.delay(0.2, match=lambda info: info.method_id == "sheets.spreadsheets.values.get", count=1)
    start = time.monotonic()
    ws.get_all_values()
    assert time.monotonic() - start >= 0.2
    start = time.monotonic()
    ws.get_all_values()
    assert time.monotonic() - start < 0.2


def test_a_lost_answer_after_an_applied_write(server, ws):
    server.fail_next(0, applied=True, match=lambda info: info.is_write)
    with pytest.raises(requests.exceptions.ConnectionError):
        ws.update([["envoyé"]], "G2")
    assert server.sheet("sheet-1").cell(2, 7) == "envoyé"  # the write happened; only its answer was lost
    assert server.requests[-1].fault == 0


def test_counting_reads_and_writes(server, gc):
    sh = gc.open_by_key("sheet-1")  # spreadsheets.get
    ws = sh.sheet1
    server.reset_counts()
    ws.get_all_values()
    ws.batch_get(["A1", "B2"])
    raw(gc, "post", "sheet-1/values:batchGetByDataFilter", json={"dataFilters": [{"a1Range": "A1"}]})
    ws.update([["x"]], "G2")
    ws.batch_update([{"range": "G3", "values": [["y"]]}])
    sh.batch_update({"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 1}}]})
    assert (server.count("read"), server.count("write"), server.count()) == (3, 3, 6)
    assert len(server.token_requests) == 1  # the token request never counts


def test_hooks_let_a_person_sort_between_the_read_and_the_write(server, gc):
    sh = gc.open_by_key("sheet-1")
    sh.batch_update({"requests": [row_metadata(0, 1, "fvma.response", "alice")]})
    seen = []

    def person_sorts(info):
        seen.append((info.number, info.method, info.method_id, info.kind))
        if info.method_id == "sheets.spreadsheets.values.get":
            server.sort_rows("sheet-1", key=lambda row: row[1], reverse=True)

    server.after_request(person_sorts)
    assert sh.sheet1.get_all_values()[1][1] == "Alice"  # the bot read Alice on row 2...
    raw(gc, "post", "sheet-1/values:batchUpdateByDataFilter", json={
        "valueInputOption": "RAW",
        "data": [{"dataFilter": {"developerMetadataLookup": {"metadataKey": "fvma.response",
                                                             "metadataValue": "alice"}},
                  "values": [[None, None, None, None, None, None, "relue"]]}]})
    values = server.sheet("sheet-1").values()
    assert values[3][1] == "Alice" and values[3][6] == "relue"  # ...and its write followed her to row 4
    assert [k for *_, k in seen] == ["read", "read", "write"]
    assert seen[0][0] < seen[1][0] < seen[2][0]


def test_before_hook_sees_the_request_as_sent_and_can_be_removed(server, gc):
    seen = []
    remove = server.before_request(lambda info: seen.append((info.path, info.query, info.body)) if info.is_write else None)
    ws = gc.open_by_key("sheet-1").sheet1
    ws.update([["x"]], "G2")
    assert seen == [(f"/v4/spreadsheets/sheet-1/values/{Q}!G2", {"valueInputOption": "RAW"},
                     {"values": [["x"]], "majorDimension": None})]  # gspread sends explicit nulls
    remove()
    ws.update([["y"]], "G2")
    assert len(seen) == 1


def test_sheets_through_googleapiclient_create_clear_and_search(server):
    sheets = build("sheets", "v4", static_discovery=True, credentials=server.credentials([SCOPE]),
                   client_options={"api_endpoint": server.url})
    book = sheets.spreadsheets().create(body={"properties": {"title": "Suivi"},
                                              "sheets": [{"properties": {"title": "Envois"}}]}).execute()
    sid = book["spreadsheetId"]
    assert book["sheets"][0]["properties"]["gridProperties"] == {"rowCount": 1000, "columnCount": 26}
    values = sheets.spreadsheets().values()
    values.update(spreadsheetId=sid, range="Envois!A1", valueInputOption="RAW",
                  body={"values": [["a", "b"], ["c", "d"]]}).execute()
    assert values.clear(spreadsheetId=sid, range="Envois!B1:B2").execute()["clearedRange"] == "Envois!B1:B2"
    reply = values.batchClear(spreadsheetId=sid, body={"ranges": ["Envois!A2"]}).execute()
    assert reply["clearedRanges"] == ["Envois!A2"]
    assert server.sheet(sid).values() == [["a"]]
    sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [row_metadata(0, 0, "k", "v")]}).execute()
    found = sheets.spreadsheets().developerMetadata().search(spreadsheetId=sid, body={"dataFilters": [
        {"a1Range": "Envois!A1:C1"}]}).execute()
    assert [m["developerMetadata"]["metadataKey"] for m in found["matchedDeveloperMetadata"]] == ["k"]


# ---------------------------------------------------------------------------------------- A1


def test_a1_parsing():
    titles = [TAB, "Sheet1", "It's"]
    def bounds(text):
        r = parse(text, titles)
        return r.title, r.start_row, r.end_row, r.start_col, r.end_col

    assert bounds("'It''s'!B2") == ("It's", 1, 2, 1, 2)
    assert bounds("Sheet1!AA1:AB3") == ("Sheet1", 0, 3, 26, 28)
    assert bounds(f"'{TAB}'!2:1000") == (TAB, 1, 1000, 0, None)
    assert bounds("'Sheet1'!A:C") == ("Sheet1", 0, None, 0, 3)
    assert parse("A2:Z", titles).title == TAB and parse("A2:Z", titles).end_row is None
    assert parse("sheet1", titles).whole_sheet
    assert bounds("TAB1") == (TAB, 0, 1, 13547, 13548)  # a cell of the first sheet, not a title
    with pytest.raises(A1Error):
        parse("'Nope'!A1", titles)


# ---------------------------------------------------------------------------------------- Forms


@pytest.fixture
def forms(server):
    return build("forms", "v1", static_discovery=True, credentials=server.credentials(FORMS_SCOPES),
                 client_options={"api_endpoint": server.url})


def test_forms_get_and_questions_renamed_or_reordered(server, forms):
    form = server.add_form("form-1", "FVMA 2026", ["Nom", {"title": "Début", "kind": "date"},
                                                 {"title": "Rythme", "kind": "radio", "options": ["1/1", "2/2"]}])
    got = forms.forms().get(formId="form-1").execute()
    assert got["info"]["title"] == "FVMA 2026"
    assert [i["title"] for i in got["items"]] == ["Nom", "Début", "Rythme"]
    qids = [i["questionItem"]["question"]["questionId"] for i in got["items"]]
    assert got["items"][1]["questionItem"]["question"]["dateQuestion"] == {"includeYear": True}
    server.rename_question("form-1", "Nom", "Nom de naissance")
    server.reorder_questions("form-1", [qids[2], qids[0]])
    got = forms.forms().get(formId="form-1").execute()
    assert [i["title"] for i in got["items"]] == ["Rythme", "Nom de naissance", "Début"]
    assert [i["questionItem"]["question"]["questionId"] for i in got["items"]] == [qids[2], qids[0], qids[1]]
    assert form.question_id("Nom de naissance") == qids[0]
    with pytest.raises(HttpError) as e:
        forms.forms().get(formId="nope").execute()
    assert e.value.resp.status == 404


def test_forms_responses_pagination_filter_and_edits(server, forms):
    server.add_form("form-1", "FVMA", ["Nom", {"title": "Options", "kind": "checkbox", "options": ["a", "b"]}])
    base = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
    ids = [server.add_response("form-1", {"Nom": f"N{i}", "Options": ["a", "b"]}, email=f"e{i}@etu.univ-amu.fr",
                               submitted=base + timedelta(hours=i)) for i in range(5)]

    pages, request = [], forms.forms().responses().list(formId="form-1", pageSize=2)
    while request is not None:
        reply = request.execute()
        pages.append([r["responseId"] for r in reply["responses"]])
        request = forms.forms().responses().list_next(request, reply)
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]

    everything = forms.forms().responses().list(formId="form-1").execute()
    first = everything["responses"][0]
    assert "nextPageToken" not in everything and len(everything["responses"]) == 5
    assert set(first) == {"responseId", "createTime", "lastSubmittedTime", "respondentEmail", "answers"}
    qid = next(iter(first["answers"]))
    assert first["answers"][qid] == {"questionId": qid, "textAnswers": {"answers": [{"value": "N0"}]}}
    assert list(first["answers"].values())[1]["textAnswers"]["answers"] == [{"value": "a"}, {"value": "b"}]
    assert first["createTime"] == "2025-09-01T08:00:00.000Z"
    assert first["lastSubmittedTime"] == "2025-09-01T08:00:00.000000Z"

    since = "2025-09-01T10:00:00Z"
    after = forms.forms().responses().list(formId="form-1", filter=f"timestamp > {since}").execute()
    assert [r["responseId"] for r in after["responses"]] == ids[3:]
    at_or_after = forms.forms().responses().list(formId="form-1", filter=f"timestamp >= {since}").execute()
    assert [r["responseId"] for r in at_or_after["responses"]] == ids[2:]

    server.edit_response("form-1", ids[0], {"Nom": "N0 corrigé"}, submitted=datetime(2025, 9, 2, tzinfo=UTC))
    edited = forms.forms().responses().list(formId="form-1", filter="timestamp > 2025-09-01T12:00:00Z").execute()
    again = [r for r in edited["responses"] if r["responseId"] == ids[0]][0]
    assert again["createTime"] == "2025-09-01T08:00:00.000Z"
    assert again["lastSubmittedTime"] == "2025-09-02T00:00:00.000000Z"
    assert again["answers"][qid]["textAnswers"]["answers"] == [{"value": "N0 corrigé"}]
    one = forms.forms().responses().get(formId="form-1", responseId=ids[0]).execute()
    assert one["formId"] == "form-1" and one["responseId"] == ids[0]

    with pytest.raises(HttpError) as e:
        forms.forms().responses().list(formId="form-1", filter="after yesterday").execute()
    assert e.value.resp.status == 400
    token = forms.forms().responses().list(formId="form-1", pageSize=1).execute()["nextPageToken"]
    with pytest.raises(HttpError) as e:
        forms.forms().responses().list(formId="form-1", pageToken=token, filter=f"timestamp > {since}").execute()
    assert e.value.resp.status == 400
    assert server.count("read", api="forms") >= 8 and server.count("write") == 0


def test_forms_settings_and_the_timestamp_the_filter_compares(server, forms):
    server.add_form("form-2", "FVMA", ["Nom"], email_collection="VERIFIED")
    got = forms.forms().get(formId="form-2").execute()
    assert got["settings"] == {"emailCollectionType": "VERIFIED"}
    server.add_form("form-3", "Sans réglages", ["Nom"])
    assert "settings" not in forms.forms().get(formId="form-3").execute()
    rid = server.add_response("form-2", {"Nom": "A"}, submitted=datetime(2025, 9, 1, 8, 0, tzinfo=UTC))
    server.edit_response("form-2", rid, {"Nom": "B"}, submitted=datetime(2025, 9, 2, 8, 0, tzinfo=UTC))
    since = "timestamp > 2025-09-01T12:00:00Z"
    assert len(forms.forms().responses().list(formId="form-2", filter=since).execute()["responses"]) == 1
    server.forms_filter_on = "createTime"
    assert "responses" not in forms.forms().responses().list(formId="form-2", filter=since).execute()
