"""The review worksheet of the `forms` intake: its columns and rows as read, and the header it needs.

No I/O: `Review` indexes what one read returned; `header_requests` says which
Sheets requests give the worksheet the columns the form calls for.
"""

import logging
from collections.abc import Callable, Sequence

from bot.adapters.forms_answers import FieldMap, Instant, Submission, header_of
from bot.adapters.sheet import BOT_HEADERS
from bot.core import intake, values
from bot.errors import SheetError

log = logging.getLogger(__name__)
RESPONSE_ID = "ID réponse"
SUBMITTED = "Dernière soumission (UTC)"
OWN_HEADERS = (*BOT_HEADERS, RESPONSE_ID, SUBMITTED)


def planned_header(fields: FieldMap) -> list[str]:
    """A new review worksheet's header: the fields in the form's order, the bot's columns, the response's id
    and time."""
    return [header_of(k) for k in fields.fields] + list(OWN_HEADERS)


class Review:
    """The review worksheet as read: where each column is, which response each row holds."""

    def __init__(self, header: Sequence[object], rows: list[tuple[int, list[object]]]):
        self.header = list(header)
        self.rows = rows
        self.fields = intake.map_headers(self.header).columns
        self.columns = {name: i for name in OWN_HEADERS if (i := intake.find_column(self.header, name)) is not None}
        self.line_of: dict[str, int] = {}
        self.id_at: dict[int, str] = {}
        self._submitted: dict[int, Instant | None] = {}
        for line, cells in rows:
            rid = self._cell(cells, RESPONSE_ID)
            if not rid:
                continue
            if rid in self.line_of:
                log.warning("review sheet: rows %d and %d both hold response %s; row %d is ignored (a copy?)",
                            self.line_of[rid], line, rid, line)
                continue
            self.line_of[rid], self.id_at[line] = line, rid
            self._submitted[line] = Instant.parse(self._cell(cells, SUBMITTED))
        if rows and (RESPONSE_ID not in self.columns or SUBMITTED not in self.columns):
            raise SheetError(f"the review sheet has lost its column {RESPONSE_ID!r} or {SUBMITTED!r}: without "
                             f"them every response would look new — restore it (Edit → Undo, or the version "
                             f"history); the bot stops until then")
        self.watermark = max((i for i in self._submitted.values() if i), default=None)
        self.end = (rows[-1][0] if rows else 1) + 1   # the first line after the rows read

    def submitted_at(self, line: int) -> Instant | None:
        return self._submitted.get(line)

    def form_cells(self, submission: Submission) -> dict[int, str]:
        """Column → text of the response's own cells: its fields ("" when unanswered), id and time."""
        cells = {index: submission.cells.get(key, "") for key, index in self.fields.items()}
        cells[self.columns[RESPONSE_ID]] = submission.response_id
        cells[self.columns[SUBMITTED]] = submission.submitted_text
        return cells

    def overlay(self, row: Sequence[object], submission: Submission) -> list[object]:
        """`row` with the response's cells in place: what the row holds once they are written."""
        out = list(row) + [None] * (len(self.header) - len(row))
        for index, text in self.form_cells(submission).items():
            out[index] = text or None
        return out

    def new_row(self, submission: Submission) -> list[object]:
        return self.overlay([], submission)

    def _cell(self, cells: Sequence[object], name: str) -> str:
        index = self.columns.get(name)
        raw = cells[index] if index is not None and index < len(cells) else None
        return values.shown(raw)


def header_requests(header: Sequence[object], fields: FieldMap, sheet_id: int, grid_columns: int,
                    decorations: Callable[[dict[str, int]], list[dict]]) -> tuple[list[str], list[dict]]:
    """The headers to add and the batchUpdate requests that add them.

    Missing fields go just before the bot's columns (room is made for them), the
    missing columns of the bot and of the response at the end; the bot's new
    columns get their drop-down, check box and colours from `decorations`.
    """
    texts = list(header)
    last = max((i + 1 for i, h in enumerate(texts) if not values.is_blank(h)), default=0)
    texts = texts[:last]
    present = intake.map_headers(texts).columns
    fields_missing = [header_of(k) for k in fields.fields if k not in present]
    own_missing = [h for h in OWN_HEADERS if intake.find_column(texts, h) is None]
    if not fields_missing and not own_missing:
        return [], []
    anchor = min((i for h in OWN_HEADERS if (i := intake.find_column(texts, h)) is not None), default=last)
    requests: list[dict] = []
    width = grid_columns
    if fields_missing and anchor < last:
        requests.append({"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                                       "startIndex": anchor, "endIndex": anchor + len(fields_missing)},
                                             "inheritFromBefore": False}})
        width += len(fields_missing)
    tail = last + len(fields_missing)
    if tail + len(own_missing) > width:
        requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                             "length": tail + len(own_missing) - width}})
    for start, names in ((anchor, fields_missing), (tail, own_missing)):
        if names:
            requests.append({"updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": start},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": h}} for h in names]}],
                "fields": "userEnteredValue"}})
    requests += decorations({h: tail + i for i, h in enumerate(own_missing) if h in BOT_HEADERS})
    return fields_missing + own_missing, requests
