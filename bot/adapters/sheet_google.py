"""The `google` sheet backend: the form's response sheet through gspread.

Row identity: each dossier's row carries a row developer metadata
`fvma-dossier = <N° dossier>`, which moves with the row when the lead sorts,
filters or inserts. Every write addresses rows by that metadata (values
`batchUpdateByDataFilter`, with nulls for cells left alone), never by position.
A new row gets its metadata in a set-up request, then a read checks that the
metadata sits on the row holding the same answers before anything is written
through it; a row that moved in between is bound again next cycle.
"""

import json
import logging
from collections.abc import Iterator

import gspread
import ijson
import orjson
from google.auth.exceptions import GoogleAuthError

from bot.adapters.google_http import client_class
from bot.adapters.sheet import BOT_HEADERS, CACTUS, DECISION, DOSSIER, STATUS, RowWrite, Snapshot, fingerprint
from bot.adapters.sheet_shift import Written, packed, texts, undo_shift
from bot.config import Config
from bot.core import review, values
from bot.errors import ConfigError, SheetError

log = logging.getLogger(__name__)
try:
    _STREAM = ijson.get_backend("yajl2_c")
except ImportError:     # no compiled parser on this platform: ijson's pure-Python one would cost seconds a read
    _STREAM = None
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]  # read the responses, write the review columns
KEY = "fvma-dossier"
READ = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
STATUS_COLOURS = (  # (text the Statut starts with, background)
    (review.WAITING, (1.0, 0.95, 0.8)), (review.KO_DONE, (0.99, 0.87, 0.8)),
    ("Validé", (0.85, 0.93, 0.83)), ("Remplacé", (0.93, 0.93, 0.93)), (review.UNREADABLE, (0.96, 0.8, 0.8)),
    (review.MODIFIED, (0.96, 0.8, 0.8)), ("Envoi en échec", (0.96, 0.8, 0.8)), ("Adresse rejetée", (0.96, 0.8, 0.8)),
)


def google_credentials(config: Config, scopes: list[str] = SCOPES):
    g = config.sheet.google
    if not g.credentials_file:
        raise ConfigError("[sheet.google].credentials_file is empty: give the service account's JSON key")
    path = config.path(g.credentials_file)
    try:
        if g.credentials_type == "service_account":
            from google.oauth2 import service_account

            creds = service_account.Credentials.from_service_account_file(str(path), scopes=scopes)
            offline = g.api_endpoint or (config.sheet.backend == "forms" and config.sheet.forms.api_endpoint)
            return offline_boundary(creds) if offline else creds
        from google.oauth2.credentials import Credentials

        creds = Credentials.from_authorized_user_file(str(path), scopes)
        return creds.with_token_uri(g.token_uri) if g.token_uri else creds
    except FileNotFoundError:
        raise ConfigError(f"[sheet.google].credentials_file = \"{g.credentials_file}\": no such file") from None
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"[sheet.google].credentials_file = \"{g.credentials_file}\": not a "
                          f"{g.credentials_type} file ({exc})") from None


def offline_boundary(credentials):
    """With an `api_endpoint` (tests, air-gapped setups), skip google-auth's lookup of the service account's
    regional access boundary: it calls iamcredentials.googleapis.com, which no endpoint setting moves."""
    if hasattr(credentials, "_set_regional_access_boundary"):
        from datetime import datetime

        credentials._set_regional_access_boundary({"encodedLocations": "0x0", "expiry": datetime(2100, 1, 1)})
    return credentials


def quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


class GoogleSheet:
    def __init__(self, credentials, spreadsheet_id: str, worksheet: str = "", endpoint: str = "",
                 id_key: str = "[sheet.google].spreadsheet_id"):
        if not spreadsheet_id:
            raise ConfigError(f"{id_key} is empty: copy it from the sheet's address")
        self.client = gspread.Client(auth=credentials, http_client=client_class(endpoint, id_key=id_key))
        self.http = self.client.http_client
        self.id = spreadsheet_id
        self.worksheet = worksheet
        self.sheet_id: int | None = None
        self.title = ""
        self.columns = 0
        self.header: list[object] = []
        self.rows: dict[int, list[object]] = {}                  # the last read, by row number
        self.written: Written | None = None                      # the last write, to undo if columns moved
        self.repairs: dict[str, dict[int, object]] = {}          # dossier → cells to put back at the next write
        self.base = (endpoint.rstrip("/") if endpoint else "https://sheets.googleapis.com") + "/v4/spreadsheets/"

    # --- requests -------------------------------------------------------------------------------------

    def call(self, method: str, suffix: str, **kwargs) -> dict:
        return decode(self._answer(method, suffix, **kwargs))

    def items(self, method: str, suffix: str, key: str, **kwargs) -> Iterator:
        """The items of the list under `key` in the answer, one after the other, for answers that hold the
        sheet's rows (see `iter_items`)."""
        return iter_items(self._answer(method, suffix, **kwargs), key)

    def post(self, suffix: str, body: dict | bytes) -> dict:
        """POST `body` (a request, or its JSON already encoded)."""
        return self.call("post", suffix, **_json(body))

    def _answer(self, method: str, suffix: str, **kwargs) -> bytes:
        try:
            return self.http.request(method, self.base + self.id + suffix, **kwargs).content
        except GoogleAuthError as exc:
            raise SheetError(f"Google authentication failed ({exc}) — check [sheet.google].credentials_file and "
                             f"that the key is still valid", transient=True) from None

    def _metadata(self) -> None:
        data = self.call("get", "", params={"includeGridData": "false"})
        sheets = data.get("sheets", [])
        chosen = next((s for s in sheets if s["properties"]["title"] == self.worksheet), None) \
            if self.worksheet else (sheets[0] if sheets else None)
        if chosen is None:
            titles = ", ".join(s["properties"]["title"] for s in sheets)
            raise SheetError(f"no worksheet named {self.worksheet!r} in the spreadsheet (found: {titles}) — "
                             f"check [sheet.google].worksheet")
        self.locate(chosen["properties"])

    def locate(self, props: dict) -> None:
        """Use the worksheet with these properties (from the spreadsheet's metadata)."""
        self.sheet_id, self.title = props["sheetId"], props["title"]
        self.columns = props.get("gridProperties", {}).get("columnCount", 26)

    # --- the interface --------------------------------------------------------------------------------

    def prepare(self) -> None:
        self._metadata()
        header = self.call("get", "/values/" + quoted(self.title) + "!1:1").get("values", [[]])
        header = header[0] if header else []
        present = {values.text(h) for h in header}
        missing = [h for h in BOT_HEADERS if h not in present]
        if not missing:
            return
        last = max((i + 1 for i, h in enumerate(header) if not values.is_blank(h)), default=0)
        requests = []
        if last + len(missing) > self.columns:
            requests.append({"appendDimension": {"sheetId": self.sheet_id, "dimension": "COLUMNS",
                                                 "length": last + len(missing) - self.columns}})
        requests.append({"updateCells": {
            "start": {"sheetId": self.sheet_id, "rowIndex": 0, "columnIndex": last},
            "rows": [{"values": [{"userEnteredValue": {"stringValue": h}} for h in missing]}],
            "fields": "userEnteredValue"}})
        position = {h: last + i for i, h in enumerate(missing)}
        requests += self.decorations(position)
        self.post(":batchUpdate", {"requests": requests})
        self.columns = max(self.columns, last + len(missing))
        log.info("sheet %s: added columns %s", self.title, ", ".join(missing))

    def decorations(self, position: dict[str, int]) -> list[dict]:
        """The OK/KO drop-down, the CACTUS check box and the Statut colours for the bot columns at `position`."""
        def column(index: int) -> dict:
            return {"sheetId": self.sheet_id, "startRowIndex": 1, "startColumnIndex": index,
                    "endColumnIndex": index + 1}

        found = []
        if DECISION in position:
            found.append({"setDataValidation": {"range": column(position[DECISION]), "rule": {
                "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "OK"},
                                                                {"userEnteredValue": "KO"}]},
                "strict": False, "showCustomUi": True,
                "inputMessage": "OK : mission validée ; KO : corrections demandées (expliquer dans Commentaire)"}}})
        if CACTUS in position:
            found.append({"setDataValidation": {"range": column(position[CACTUS]),
                                                "rule": {"condition": {"type": "BOOLEAN"}}}})
        if STATUS in position:
            for index, (text, (r, g, b)) in enumerate(STATUS_COLOURS):
                found.append({"addConditionalFormatRule": {"index": index, "rule": {
                    "ranges": [column(position[STATUS])],
                    "booleanRule": {"condition": {"type": "TEXT_STARTS_WITH", "values": [{"userEnteredValue": text}]},
                                    "format": {"backgroundColor": {"red": r, "green": g, "blue": b}}}}}})
        return found

    def read(self) -> Snapshot:
        if self.sheet_id is None:
            self._metadata()
        rows = list(self.items("get", "/values/" + quoted(self.title), "values", params=READ))
        self.header = list(rows[0]) if rows else []
        body = list(enumerate(rows[1:], start=2))
        self._undo_shift(body)
        self.rows = dict(body)
        return Snapshot(self.header, body)

    def _undo_shift(self, body: list[tuple[int, list[object]]]) -> None:
        repairs = undo_shift(self.written, self.header, body)
        if not repairs:
            # The last write landed where it was meant to: nothing of it is left to undo. (Kept otherwise, until
            # the write carrying the repairs succeeds.) A column moved after this read moves the bot's values
            # with it, and must not be taken for a shifted write later.
            self.written = None
        self.repairs = {}
        number = texts(self.header).index(DOSSIER) if DOSSIER in texts(self.header) else None
        for line, cells in repairs.items():
            row = dict(body)[line]
            dossier = values.text(row[number]) if number is not None and number < len(row) else ""
            if dossier:
                self.repairs[dossier] = cells
                log.warning("dossier %s: columns were moved while the bot wrote its row; putting back %d cell(s)",
                            dossier, len(cells))

    def write(self, writes: list[RowWrite], fingerprint_columns: dict[str, int]) -> set[str]:
        try:
            return self._write(writes, fingerprint_columns)
        finally:
            self.rows = {}     # the read this write followed: not needed any more, and the whole sheet

    def _write(self, writes: list[RowWrite], fingerprint_columns: dict[str, int]) -> set[str]:
        if not writes and not self.repairs:
            return set()
        # What the rows held before this write, in case a column moves before it lands (packed: a quarter of
        # the decoded rows' weight); the read is let go before any request is built.
        before = packed({w.dossier: self.rows.get(w.row, []) for w in writes}
                        | {d: self._row_of(d) for d in self.repairs})
        self.rows = {}
        header = self.header
        binds = [w for w in writes if w.bind]
        if binds:
            self._bind(binds)
            header, verified = self._verify(binds, fingerprint_columns)
            writes = [w for w in writes if not w.bind or w.dossier in verified]
        repairs = self.repairs if texts(header) == texts(self.header) else {}
        columns = {name: i for i, h in enumerate(header) if (name := values.text(h)) in BOT_HEADERS}
        cells: dict[str, dict[int, object]] = {d: dict(c) for d, c in repairs.items()}
        for w in writes:
            cells.setdefault(w.dossier, {}).update({columns[name]: value for name, value in w.cells.items()})
        if not cells:
            return set()
        self.post("/values:batchUpdateByDataFilter", _values_update(cells))
        self.repairs = {}
        self.written = Written(texts(header), columns[DOSSIER], packed(cells), before)
        return {w.dossier for w in writes}

    def _row_of(self, dossier: str) -> list[object]:
        number = texts(self.header).index(DOSSIER)
        return next((r for r in self.rows.values() if number < len(r) and values.text(r[number]) == dossier), [])

    def _bind(self, binds: list[RowWrite]) -> None:
        """One set-up request: for each new row, drop any earlier metadata of its dossier and tag the row."""
        def requests():
            for w in binds:
                yield {"deleteDeveloperMetadata": {"dataFilter": _lookup(w.dossier)}}
                yield {"createDeveloperMetadata": {"developerMetadata": {
                    "metadataKey": KEY, "metadataValue": w.dossier, "visibility": "DOCUMENT",
                    "location": {"dimensionRange": {"sheetId": self.sheet_id, "dimension": "ROWS",
                                                    "startIndex": w.row - 1, "endIndex": w.row}}}}}
        # Its answer, one reply per request (each tag as created: as large as the request), is not read.
        self._answer("post", ":batchUpdate", **_json(encode_list(b'{"requests":[', requests(), b"]}")))

    def _verify(self, binds: list[RowWrite], fingerprint_columns: dict[str, int]) -> tuple[list[object], set[str]]:
        """Read the header and each newly tagged row; keep the dossiers whose row holds the answers read."""
        filters = [{"a1Range": quoted(self.title) + "!1:1"}] + [_lookup(w.dossier) for w in binds]
        matches = self.items("post", "/values:batchGetByDataFilter", "valueRanges",
                             **_json({"dataFilters": filters, "majorDimension": "ROWS", **READ}))
        header: list[object] | None = None
        waiting: dict[str, list[list[object]]] = {}      # rows found before the header: checked once it is
        prints: dict[str, list[str | None]] = {}         # dossier → the fingerprint of each row found tagged
        for match in matches:                            # one at a time: a new season's rows are not all kept
            rows = match.get("valueRange", {}).get("values", [[]])
            row = rows[0] if rows else []
            for f in match.get("dataFilters", []):
                if "a1Range" in f:
                    header = row
                    moved = _moved_columns(self.header, header, fingerprint_columns)
                elif "developerMetadataLookup" in f:
                    waiting.setdefault(f["developerMetadataLookup"]["metadataValue"], []).append(row)
            if header is not None:
                _fingerprints(waiting, moved, prints)
        if header is None:
            header = self.header
            _fingerprints(waiting, _moved_columns(self.header, header, fingerprint_columns), prints)
        verified = set()
        for w in binds:
            found = prints.get(w.dossier, [])
            if len(found) == 1 and found[0] == w.fingerprint:
                verified.add(w.dossier)
            else:
                log.warning("dossier %s: its row changed while the bot was tagging it; tagged again next cycle",
                            w.dossier)
        return header, verified

def encode(body: dict) -> bytes:
    """A request's JSON, as bytes straight away (see `decode`); a text orjson refuses is escaped instead."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body).encode("ascii")


def _json(body: dict | bytes) -> dict:
    """The keyword arguments of a request carrying `body` (a request, or its JSON already encoded)."""
    data = body if isinstance(body, bytes) else encode(body)
    return {"data": data, "headers": {"Content-Type": "application/json; charset=UTF-8"}}


def iter_items(body: bytes, key: str) -> Iterator:
    """The items of the list under `key` in an answer's JSON, each built as the parse reaches it by a
    streaming parser: orjson first builds a parse tree of the whole answer, and a sheet's worth of rows
    weighs 10 MB more for it at 10,000 rows. What the streaming parser would not read as `decode` does (an
    escaped half emoji, which it turns into "?", a number beyond 64 bits, NaN, bytes that are not UTF-8)
    is left to `decode`: the parser stops there, and the items it had not given yet come from `decode`."""
    given = 0
    if _STREAM is not None and b"\\ud" not in body and b"\\uD" not in body:
        try:
            for item in _STREAM.items(body, key + ".item", use_float=True):
                yield item
                given += 1
            return
        except ijson.JSONError:
            pass
    found = decode(body).get(key, [])
    yield from (found if isinstance(found, list) else [])[given:]


def decode(body: bytes) -> dict:
    """An answer's JSON. orjson builds the values straight from the bytes: the standard library first decodes
    the whole answer into one string, and a sheet's worth of text with one accent or dash in it takes two bytes
    a character there, as much again as the answer itself. The standard library takes what orjson refuses:
    half an emoji (a lone surrogate), which is mended, bytes that are not UTF-8 (replaced, as requests did),
    NaN or an infinite number."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            return values.mended(json.loads(body.decode("utf-8", "replace")))
        except ValueError as exc:
            raise SheetError(f"the Sheets API answered something that is not JSON ({exc})", transient=True) from None


def _values_update(cells: dict[str, dict[int, object]]) -> bytes:
    """The values batchUpdateByDataFilter request writing `cells` (dossier → {column index: value}, nulls
    elsewhere)."""
    def data():
        for dossier, placed in cells.items():
            row = [None] * (max(placed) + 1)
            for index, value in placed.items():
                row[index] = value
            yield {"dataFilter": _lookup(dossier), "majorDimension": "ROWS", "values": [row]}
    return encode_list(b'{"valueInputOption":"RAW","includeValuesInResponse":false,"data":[', data(), b"]}")


def encode_list(head: bytes, items, tail: bytes) -> bytes:
    """A request whose one long list is encoded item after item, between `head` and `tail`: built whole
    as dicts, a request for 10,000 rows weighed twice its JSON while it was sent."""
    body = bytearray(head)
    for n, item in enumerate(items):
        body += (b"," if n else b"") + encode(item)
    body += tail
    return bytes(body)


def _fingerprints(waiting: dict[str, list[list[object]]], moved: dict[str, int] | None,
                  prints: dict[str, list[str | None]]) -> None:
    """Move the rows `waiting` into `prints`, as their fingerprints with the form's columns at `moved`
    (None for each when a form column is gone)."""
    for dossier, rows in waiting.items():
        prints.setdefault(dossier, []).extend(fingerprint(r, moved) if moved is not None else None for r in rows)
    waiting.clear()


def _lookup(dossier: str) -> dict:
    return {"developerMetadataLookup": {"metadataKey": KEY, "metadataValue": dossier, "locationType": "ROW"}}


def _moved_columns(old: list[object], new: list[object], columns: dict[str, int]) -> dict[str, int] | None:
    """The form fields' columns in `new`, found by the header text they had in `old`; None if one is gone."""
    texts = [values.text(h) for h in new]
    moved = {}
    for key, index in columns.items():
        name = values.text(old[index]) if index < len(old) else None
        if name is None or name not in texts:
            return None
        moved[key] = texts.index(name)
    return moved

