"""The `forms` intake (SPEC §7): responses from the Google Forms API, the review in a sheet the bot owns.

The review worksheet holds one row per response, appended in the order the
responses were first submitted: the response's fields under SPEC §2's headers,
the bot's columns of SPEC §3, then `ID réponse` (the Forms responseId) and
`Dernière soumission (UTC)` (its lastSubmittedTime, exactly as the API wrote it).
The cycle reads it like any sheet: one core, two intakes.

Row identity: each row carries a row developer metadata `fvma-response = <responseId>`,
created in the same atomic request as the row; every later write addresses rows by
it (values batchUpdateByDataFilter), so a sort never sends a cell to another row.
Rows without a response id of their own (typed or copied by a person) are not shown
to the cycle. The worksheet and the spreadsheet are tagged `fvma-review = <form_id>`:
the worksheet is found again after its tab is renamed, and once created it is never
silently created again (that would take every response for a new one).

Watermark: the newest `Dernière soumission` in the sheet. A read lists only the
responses submitted after it (less `OVERLAP`, for responses the API shows late),
so when a write fails nothing is lost: the same responses come again. Every
`full_scan_seconds` the whole list is read instead, because the API documents
"submitted after" without saying whether an edit moves a response past the filter.
A response missing from the sheet but older than its rows (its row was deleted)
is left out, not added again.

The Snapshot is the sheet as read, with each edited response's new answers laid
over its row (its fingerprint changes: the core re-checks it) and each new
response as a row after the last; `write` stores them with the bot's cells.

Budget per cycle: one Sheets read and one responses.list (one more per 5,000
responses); forms.get only when responses came; one Sheets write when something
changed, two when new responses and changes on earlier rows come in the same cycle.
"""

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Protocol

from bot.adapters.forms_answers import FieldMap, Instant, Submission, field_map, submission_of
from bot.adapters.sheet import CACTUS, DECISION, RowWrite, Snapshot
from bot.adapters.sheet_google import GoogleSheet, quoted
from bot.adapters.sheet_review import Review, header_requests, planned_header
from bot.config import Config
from bot.errors import ConfigError, SheetError

log = logging.getLogger(__name__)
ROW_KEY, SHEET_KEY = "fvma-response", "fvma-review"
OVERLAP = timedelta(minutes=10)
NEW_SHEET_ROWS = 1000


class FormsSource(Protocol):
    def form(self) -> dict: ...

    def responses(self, since: str | None = None) -> list[dict]: ...


class FormsSheet:
    def __init__(self, forms: FormsSource, review: GoogleSheet, form_id: str,
                 aliases: Mapping[str, Sequence[str]] | None = None, full_scan_seconds: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic):
        self.forms, self.review, self.form_id = forms, review, form_id
        self.aliases = aliases or {}
        self.full_scan_seconds, self.clock = full_scan_seconds, clock
        self._last_full: float | None = None
        self._read: Review | None = None
        self._new: dict[int, Submission] = {}
        self._edited: dict[int, Submission] = {}
        self._left_out: set[str] = set()
        self._had_review = False   # the spreadsheet says a review worksheet of this form was created
        self._prepared = False

    @classmethod
    def from_config(cls, config: Config) -> "FormsSheet":
        from bot.adapters.forms import SCOPES as FORMS_SCOPES, FormsClient
        from bot.adapters.sheet_google import SCOPES as SHEETS_SCOPES, google_credentials

        f = config.sheet.forms
        if not f.form_id:
            raise ConfigError("[sheet.forms].form_id is empty: copy it from the form's edit address "
                              "docs.google.com/forms/d/<form_id>/edit")
        if not f.review_worksheet.strip():
            raise ConfigError("[sheet.forms].review_worksheet is empty: name the worksheet the bot keeps, "
                              "e.g. \"Suivi FVMA\"")
        credentials = google_credentials(config, SHEETS_SCOPES + FORMS_SCOPES)
        review = GoogleSheet(credentials, f.review_spreadsheet_id, f.review_worksheet, config.sheet.google.api_endpoint,
                             id_key="[sheet.forms].review_spreadsheet_id")
        return cls(FormsClient(credentials, f.form_id, f.api_endpoint), review, f.form_id, config.sheet.aliases,
                   f.full_scan_minutes * 60.0)

    # --- the interface --------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the review worksheet, or add the columns it lacks (a question added to the form)."""
        fields = field_map(self.forms.form(), self.aliases)
        tagged = self._locate()
        header: list[object] = []
        if tagged is None:
            if self._had_review:
                raise self._gone()
            self._create(len(planned_header(fields)))
        else:
            reply = self.review.call("get", "/values/" + quoted(self.review.title) + "!1:1")
            header = (reply.get("values") or [[]])[0]
        requests = [] if tagged else [_tag({"sheetId": self.review.sheet_id}, self.form_id)]
        if not self._had_review:
            requests.append(_tag({"spreadsheet": True}, self.form_id))
        added, more = header_requests(header, fields, self.review.sheet_id, self.review.columns,
                                      self.review.decorations)
        requests += more
        if requests:
            self.review.post(":batchUpdate", {"requests": requests})
            self.review.columns = max(self.review.columns, len(header) + len(added))
        if added:
            log.info("review sheet %s: added columns %s", self.review.title, ", ".join(added))
        self._prepared = True

    def read(self) -> Snapshot:
        table = self._table()
        form = None
        if table is None:  # not created yet (a dry run, the doctor): the sheet the first run will create
            if self._prepared or self._had_review:
                raise self._gone()
            form = self.forms.form()
            table = Review(planned_header(field_map(form, self.aliases)), [])
        edited_raw, new_raw = self._fresh(table)
        edited: dict[int, Submission] = {}
        new: list[Submission] = []
        if edited_raw or new_raw:
            fields = field_map(form or self.forms.form(), self.aliases)
            if self._grow(table, fields):
                table = self._table()
            by_id = {raw["responseId"]: raw for raw in edited_raw}
            edited = {line: s for rid, line in table.line_of.items()
                      if rid in by_id and (s := submission_of(by_id[rid], fields))}
            new = [s for raw in new_raw if (s := submission_of(raw, fields))]
        self._read = table
        self._edited = edited
        self._new = {table.end + i: s for i, s in enumerate(sorted(new, key=lambda s: (s.created, s.response_id)))}
        rows = [(line, table.overlay(cells, edited[line]) if line in edited else cells)
                for line, cells in table.rows if line in table.id_at]
        rows += [(line, table.new_row(s)) for line, s in self._new.items()]
        return Snapshot(list(table.header), rows)

    def write(self, writes: list[RowWrite], fingerprint_columns: dict[str, int]) -> set[str]:
        """Append the new responses' rows, then store edits and bot cells by response id.

        Called once per cycle, even with no `writes`, since edited answers may have to be stored.
        """
        table, by_line = self._read, {w.row: w for w in writes}
        if table is None or not (writes or self._new or self._edited):
            return set()
        if self.review.sheet_id is None:
            raise SheetError(f"the review worksheet {self.review.worksheet!r} does not exist yet — run once without "
                             f"--dry-run so the bot creates it")
        written = set()
        if self._new:
            written |= self._append(table, by_line)
        updates = {line for line in by_line if line not in self._new} | set(self._edited)
        if updates:
            written |= self._update(table, sorted(updates), by_line)
        self._new, self._edited = {}, {}
        return written

    # --- reading --------------------------------------------------------------------------------------

    def _locate(self) -> bool | None:
        """Find the review worksheet (one metadata request): True when tagged as this form's, False when
        found by its title only, None when missing."""
        data = self.review.call("get", "", params={"includeGridData": "false"})
        self._had_review = any(m.get("metadataKey") == SHEET_KEY and m.get("metadataValue") == self.form_id
                               for m in data.get("developerMetadata", []))
        sheets = data.get("sheets", [])
        tags = [{m.get("metadataValue") for m in s.get("developerMetadata", []) if m.get("metadataKey") == SHEET_KEY}
                for s in sheets]
        tagged = [s for s, t in zip(sheets, tags) if self.form_id in t]
        titled = [s for s, t in zip(sheets, tags) if s["properties"]["title"] == self.review.worksheet and not t]
        chosen = (tagged or titled or [None])[0]
        if chosen is None:
            return None
        self.review.locate(chosen["properties"])
        return bool(tagged)

    def _gone(self) -> SheetError:
        # Re-creating it would take every response for a new one: new dossier numbers, new e-mails.
        return SheetError(f"the review worksheet of this form is gone from the spreadsheet (looked for "
                          f"{self.review.worksheet!r} and its tag) — restore it with File → Version history; to "
                          f"start a new review on purpose, give another [sheet.forms].review_spreadsheet_id")

    def _create(self, width: int) -> None:
        reply = self.review.post(":batchUpdate", {"requests": [{"addSheet": {"properties": {
            "title": self.review.worksheet,
            "gridProperties": {"rowCount": NEW_SHEET_ROWS, "columnCount": width, "frozenRowCount": 1}}}}]})
        self.review.locate(reply["replies"][0]["addSheet"]["properties"])
        log.info("review sheet %s created", self.review.worksheet)

    def _table(self) -> Review | None:
        if self.review.sheet_id is None and self._locate() is None:
            return None
        try:
            snapshot = self.review.read()
        except SheetError:
            self.review.sheet_id = None  # renamed or deleted since: look for it again next time
            raise
        return Review(snapshot.header, snapshot.rows)

    def _fresh(self, table: Review) -> tuple[list[dict], list[dict]]:
        """The listed responses that are edits of a row already there, and those new to the sheet."""
        full = self._last_full is None or self.clock() - self._last_full >= self.full_scan_seconds
        cutoff = table.watermark.minus(OVERLAP) if table.watermark else None
        listed = self.forms.responses(None if full or cutoff is None else cutoff.rfc3339())
        if full:
            self._last_full = self.clock()
        edited, new = [], []
        for raw in listed:
            rid, submitted = raw.get("responseId"), Instant.parse(raw.get("lastSubmittedTime"))
            if not rid or submitted is None:
                log.warning("Forms API: a response without id or lastSubmittedTime, left out: %s", sorted(raw))
                continue
            line = table.line_of.get(rid)
            if line is not None:
                shown = table.submitted_at(line)
                if shown is None or submitted > shown:
                    edited.append(raw)
            elif cutoff is None or submitted > cutoff:
                new.append(raw)
            elif rid not in self._left_out:
                self._left_out.add(rid)
                log.info("response %s (submitted %s) is not in the review sheet and older than its rows: left out "
                         "(its row was deleted?)", rid, submitted.rfc3339())
        return edited, new

    def _grow(self, table: Review, fields: FieldMap) -> bool:
        """Add the columns of fields the form asks and the sheet lacks (a question added mid-year)."""
        if self.review.sheet_id is None or all(k in table.fields for k in fields.fields):
            return False
        self._locate()  # the grid's current width
        added, requests = header_requests(table.header, fields, self.review.sheet_id, self.review.columns,
                                          self.review.decorations)
        if requests:
            self.review.post(":batchUpdate", {"requests": requests})
            log.info("review sheet %s: added columns %s", self.review.title, ", ".join(added))
        return bool(requests)

    # --- writing --------------------------------------------------------------------------------------

    def _append(self, table: Review, by_line: dict[int, RowWrite]) -> set[str]:
        """One atomic request: room after the last row read, the rows, their tags, their drop-downs."""
        sheet, lines = self.review.sheet_id, sorted(self._new)
        start = lines[0] - 1
        rows = []
        for line in lines:
            cells = table.new_row(self._new[line])
            w = by_line.get(line)
            for name, value in (w.cells.items() if w else ()):
                cells[table.columns[name]] = value
            rows.append({"values": [{"userEnteredValue": {"stringValue": v}} if v else {} for v in cells]})
        requests = [{"insertDimension": {"range": {"sheetId": sheet, "dimension": "ROWS", "startIndex": start,
                                                   "endIndex": start + len(lines)}, "inheritFromBefore": False}},
                    {"updateCells": {"start": {"sheetId": sheet, "rowIndex": start, "columnIndex": 0},
                                     "rows": rows, "fields": "userEnteredValue"}}]
        for i, line in enumerate(lines):
            requests.append({"createDeveloperMetadata": {"developerMetadata": {
                "metadataKey": ROW_KEY, "metadataValue": self._new[line].response_id, "visibility": "DOCUMENT",
                "location": {"dimensionRange": {"sheetId": sheet, "dimension": "ROWS", "startIndex": start + i,
                                                "endIndex": start + i + 1}}}}})
        for request in self.review.decorations({h: table.columns[h] for h in (DECISION, CACTUS)}):
            request["setDataValidation"]["range"].update(startRowIndex=start, endRowIndex=start + len(lines))
            requests.append(request)
        self.review.post(":batchUpdate", {"requests": requests})
        return {by_line[line].dossier for line in lines if line in by_line}

    def _update(self, table: Review, lines: list[int], by_line: dict[int, RowWrite]) -> set[str]:
        data, written = [], set()
        width = len(table.header)
        for line in lines:
            if line not in table.id_at:  # not a row the snapshot offered: nothing can address it
                log.warning("review sheet: no response id on row %d; its cells are not written", line)
                continue
            row: list[str | None] = [None] * width
            if line in self._edited:
                for index, value in table.form_cells(self._edited[line]).items():
                    row[index] = value
            w = by_line.get(line)
            for name, value in (w.cells.items() if w else ()):
                row[table.columns[name]] = value
            data.append({"dataFilter": _row_lookup(table.id_at[line]), "majorDimension": "ROWS",
                         "values": [row[:max(i for i, v in enumerate(row) if v is not None) + 1]]})
            if w:
                written.add(w.dossier)
        if data:
            self.review.post("/values:batchUpdateByDataFilter",
                             {"valueInputOption": "RAW", "data": data, "includeValuesInResponse": False})
        return written


def _row_lookup(response_id: str) -> dict:
    return {"developerMetadataLookup": {"metadataKey": ROW_KEY, "metadataValue": response_id, "locationType": "ROW"}}


def _tag(location: dict, form_id: str) -> dict:
    return {"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": SHEET_KEY, "metadataValue": form_id, "visibility": "DOCUMENT", "location": location}}}

