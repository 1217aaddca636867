"""Sheets API v4 methods over the model of google_sheets.py, in the real API's request and reply shapes."""

from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

from . import google_a1
from .google_a1 import A1Error, col_to_letters
from .google_sheets import DeveloperMetadata, Sheet, Spreadsheet
from .google_values import ApiError, Formula, bad, render, stored_from_input

UNSPECIFIED = (None, "DIMENSION_UNSPECIFIED", "DEVELOPER_METADATA_LOCATION_TYPE_UNSPECIFIED",
               "DEVELOPER_METADATA_VISIBILITY_UNSPECIFIED", "DEVELOPER_METADATA_LOCATION_MATCHING_STRATEGY_UNSPECIFIED")


@dataclass
class Target:
    """A rectangle of one sheet, 0-based half-open; `expand`: a write may run past it (single cell)."""

    sheet: Sheet
    r0: int
    r1: int
    c0: int
    c1: int
    expand: bool = False
    text: str | None = None  # the A1 text the client sent

    def a1(self) -> str:
        return google_a1.format_range(self.sheet.title, self.r0, self.r1, self.c0, self.c1)


def parse_mask(mask: str | None) -> list[str]:
    """A FieldMask as dotted paths: "a/b,c(d,e)" → ["a.b", "c.d", "c.e"]."""
    if not mask:
        return []
    out, prefix, token, stack = [], "", "", []
    for ch in mask.replace("/", ".") + ",":
        if ch == "(":
            stack.append(prefix)
            prefix = prefix + token.strip() + "."
            token = ""
        elif ch in ",)":
            if token.strip():
                out.append(prefix + token.strip())
            token = ""
            if ch == ")":
                prefix = stack.pop() if stack else ""
        else:
            token += ch
    return out


def masked(mask: list[str], field: str) -> bool:
    return any(p == "*" or p == field or p.startswith(field + ".") or field.startswith(p + ".") for p in mask)


def get_path(obj: dict, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


class SheetsApi:
    def __init__(self, server):
        self.server = server
        self.methods: dict[str, Callable] = {
            "sheets.spreadsheets.get": self.get,
            "sheets.spreadsheets.create": self.create,
            "sheets.spreadsheets.batchUpdate": self.batch_update,
            "sheets.spreadsheets.values.get": self.values_get,
            "sheets.spreadsheets.values.batchGet": self.values_batch_get,
            "sheets.spreadsheets.values.update": self.values_update,
            "sheets.spreadsheets.values.batchUpdate": self.values_batch_update,
            "sheets.spreadsheets.values.append": self.values_append,
            "sheets.spreadsheets.values.clear": self.values_clear,
            "sheets.spreadsheets.values.batchClear": self.values_batch_clear,
            "sheets.spreadsheets.values.batchGetByDataFilter": self.values_batch_get_by_filter,
            "sheets.spreadsheets.values.batchUpdateByDataFilter": self.values_batch_update_by_filter,
            "sheets.spreadsheets.values.batchClearByDataFilter": self.values_batch_clear_by_filter,
            "sheets.spreadsheets.developerMetadata.get": self.metadata_get,
            "sheets.spreadsheets.developerMetadata.search": self.metadata_search,
        }

    # ------------------------------------------------------------------ lookups

    def book(self, spreadsheet_id: str) -> Spreadsheet:
        book = self.server.spreadsheets.get(spreadsheet_id)
        if book is None:
            raise ApiError(404, "Requested entity was not found.")
        return book

    def a1_target(self, book: Spreadsheet, text: str, check: bool = True) -> Target:
        try:
            rng = google_a1.parse(text, [s.title for s in book.sheets])
        except A1Error:
            raise bad(f"Unable to parse range: {text}") from None
        sheet = book.sheet(rng.title)
        if rng.whole_sheet:
            return Target(sheet, 0, sheet.row_count, 0, sheet.column_count, expand=True, text=text)
        r1 = rng.end_row if rng.end_row is not None else sheet.row_count
        c1 = rng.end_col if rng.end_col is not None else sheet.column_count
        single = (r1 - rng.start_row, c1 - rng.start_col) == (1, 1)
        target = Target(sheet, rng.start_row, r1, rng.start_col, c1, expand=single, text=text)
        if check:
            sheet._check_bounds(target.r0, target.r1, target.c0, target.c1)
        return target

    def grid_target(self, book: Spreadsheet, g: dict) -> Target:
        sheet = book.sheet_by_id(g.get("sheetId", 0))
        r0, c0 = g.get("startRowIndex", 0), g.get("startColumnIndex", 0)
        r1, c1 = g.get("endRowIndex", sheet.row_count), g.get("endColumnIndex", sheet.column_count)
        if r0 < 0 or c0 < 0 or r1 < r0 or c1 < c0:
            raise bad(f"Invalid range: start index must be >= 0 and <= end index ({g}).")
        sheet._check_bounds(r0, r1, c0, c1)
        return Target(sheet, r0, r1, c0, c1)

    def metadata_target(self, m: DeveloperMetadata, book: Spreadsheet) -> list[Target]:
        if m.location_type == "SPREADSHEET":
            return [Target(s, 0, s.row_count, 0, s.column_count) for s in book.sheets]
        sheet = book.sheet_by_id(m.sheet_id)
        if m.location_type == "SHEET":
            return [Target(sheet, 0, sheet.row_count, 0, sheet.column_count)]
        if m.location_type == "ROW":
            return [Target(sheet, m.start, m.end, 0, sheet.column_count)]
        return [Target(sheet, 0, sheet.row_count, m.start, m.end)]

    def lookup(self, book: Spreadsheet, lookup: dict) -> list[DeveloperMetadata]:
        found = []
        for m in book.metadata:
            if "metadataId" in lookup and lookup["metadataId"] != m.metadata_id:
                continue
            if "metadataKey" in lookup and lookup["metadataKey"] != m.key:
                continue
            if "metadataValue" in lookup and lookup["metadataValue"] != m.value:
                continue
            if lookup.get("visibility") not in UNSPECIFIED and lookup["visibility"] != m.visibility:
                continue
            if lookup.get("locationType") not in UNSPECIFIED and lookup["locationType"] != m.location_type:
                continue
            if "metadataLocation" in lookup:
                loc = self.location(book, lookup["metadataLocation"])
                exact = lookup.get("locationMatchingStrategy") != "INTERSECTING_LOCATION"
                if not _location_matches(m, loc, exact):
                    continue
            found.append(m)
        return found

    def location(self, book: Spreadsheet, loc: dict, single: bool = False) -> DeveloperMetadata:
        """A DeveloperMetadataLocation as a key-less DeveloperMetadata. `single`: as a metadata's own
        location, whose DimensionRange "must represent a single row or column. It cannot be unbounded
        or span multiple rows or columns." (discovery document)."""
        kinds = [k for k in ("spreadsheet", "sheetId", "dimensionRange") if k in loc and loc[k] is not False]
        if len(kinds) != 1:
            raise bad("A developer metadata location must set exactly one of spreadsheet, sheetId, dimensionRange.")
        if kinds[0] == "spreadsheet":
            return DeveloperMetadata(0, "", None, "", "SPREADSHEET")
        if kinds[0] == "sheetId":
            sheet = book.sheet_by_id(loc["sheetId"])
            return DeveloperMetadata(0, "", None, "", "SHEET", sheet.sheet_id)
        d = loc["dimensionRange"]
        sheet = book.sheet_by_id(d.get("sheetId", 0))
        dimension = d.get("dimension")
        if dimension not in ("ROWS", "COLUMNS"):
            raise bad("dimensionRange.dimension must be ROWS or COLUMNS.")
        count = sheet._count(dimension)
        if single and ("startIndex" not in d or "endIndex" not in d or d["endIndex"] != d["startIndex"] + 1):
            raise bad("The dimension range of developer metadata must be a single row or column.")
        start, end = d.get("startIndex", 0), d.get("endIndex", count)
        if not 0 <= start < end <= count:
            raise bad(f"Invalid dimensionRange [{start}, {end}): the sheet has {count} {dimension.lower()}.")
        kind = "ROW" if dimension == "ROWS" else "COLUMN"
        return DeveloperMetadata(0, "", None, "", kind, sheet.sheet_id, start, end)

    def filter_targets(self, book: Spreadsheet, f: dict) -> list[Target]:
        if "a1Range" in f:
            return [self.a1_target(book, f["a1Range"])]
        if "gridRange" in f:
            return [self.grid_target(book, f["gridRange"])]
        if "developerMetadataLookup" in f:
            targets = []
            for m in self.lookup(book, f["developerMetadataLookup"]):
                targets.extend(self.metadata_target(m, book))
            return targets
        raise bad("Invalid dataFilter: one of a1Range, gridRange or developerMetadataLookup must be set.")

    def filter_metadata(self, book: Spreadsheet, f: dict) -> list[DeveloperMetadata]:
        """Metadata a DataFilter selects (a lookup, or every metadata intersecting a range)."""
        if "developerMetadataLookup" in f:
            return self.lookup(book, f["developerMetadataLookup"])
        found = []
        for t in self.filter_targets(book, f):
            for m in book.metadata:
                if m in found or m.sheet_id != t.sheet.sheet_id:
                    continue
                if m.location_type == "SHEET" or (
                    m.location_type == "ROW" and m.start < t.r1 and t.r0 < m.end
                ) or (m.location_type == "COLUMN" and m.start < t.c1 and t.c0 < m.end):
                    found.append(m)
        return found

    # ------------------------------------------------------------------ values core

    def read(self, t: Target, major: str | None, vro: str | None, dtro: str | None) -> dict:
        vro, dtro = vro or "FORMATTED_VALUE", dtro or "SERIAL_NUMBER"
        major = "COLUMNS" if major == "COLUMNS" else "ROWS"
        sheet = t.sheet
        r_last = min(t.r1, len(sheet.grid))
        rows = []
        for r in range(t.r0, r_last):
            row = sheet.grid[r]
            rows.append([render(row[c] if c < len(row) else None, vro, dtro) for c in range(t.c0, min(t.c1, len(row)))])
        if major == "COLUMNS":
            width = max((len(r) for r in rows), default=0)
            rows = [[r[c] if c < len(r) else "" for r in rows] for c in range(width)]
        for r in rows:
            while r and r[-1] == "":
                r.pop()
        while rows and not rows[-1]:
            rows.pop()
        out = {"range": t.a1(), "majorDimension": major}
        if rows:
            out["values"] = rows
        return out

    def write(self, book: Spreadsheet, t: Target, values: list, major: str | None, option: str | None) -> dict:
        if option in (None, "INPUT_VALUE_OPTION_UNSPECIFIED"):
            raise bad("'valueInputOption' is required but not specified")
        values = values or []
        if major == "COLUMNS":
            height = max((len(c) for c in values), default=0)
            values = [[c[r] if r < len(c) else None for c in values] for r in range(height)]
        nrows, ncols = len(values), max((len(r) for r in values), default=0)
        if nrows == 0 or ncols == 0:
            return {"updatedRange": t.a1()}
        sheet = t.sheet
        shown = t.text or t.a1()
        if not t.expand:
            if nrows > t.r1 - t.r0:
                raise bad(f"Requested writing within range [{shown}], but tried writing to row [{t.r0 + nrows}]")
            if ncols > t.c1 - t.c0:
                raise bad(
                    f"Requested writing within range [{shown}], but tried writing to column "
                    f"[{col_to_letters(t.c0 + ncols - 1)}]"
                )
        written = google_a1.format_range(sheet.title, t.r0, t.r0 + nrows, t.c0, t.c0 + ncols)
        sheet._check_bounds(t.r0, t.r0 + nrows, t.c0, t.c0 + ncols)
        cells, rows_hit, cols_hit = 0, set(), set()
        for i, row in enumerate(values):
            if not isinstance(row, list):
                raise bad(f"Invalid values[{i}]: {row!r}")
            for j, value in enumerate(row):
                if value is None:
                    continue  # "Null values will be skipped."
                stored = stored_from_input(value, option, f"[{i}][{j}]")
                if isinstance(stored, Formula):
                    self.record_formula(book, sheet, t.r0 + i, t.c0 + j, stored)
                sheet._set(t.r0 + i, t.c0 + j, stored)
                cells += 1
                rows_hit.add(i)
                cols_hit.add(j)
        return {
            "updatedRange": written,
            "updatedRows": len(rows_hit),
            "updatedColumns": len(cols_hit),
            "updatedCells": cells,
        }

    def record_formula(self, book: Spreadsheet, sheet: Sheet, r: int, c: int, formula: str) -> None:
        self.server.formulas_written.append(
            {"spreadsheetId": book.spreadsheet_id, "range": google_a1.format_range(sheet.title, r, r + 1, c, c + 1),
             "formula": str(formula)}
        )

    def clear(self, t: Target) -> None:
        for r in range(t.r0, min(t.r1, len(t.sheet.grid))):
            for c in range(t.c0, t.c1):
                t.sheet._set(r, c, None)

    def atomic(self, book: Spreadsheet, fn: Callable[[], Any]) -> Any:
        snap = book.snapshot()
        mark = len(self.server.formulas_written)
        try:
            return fn()
        except BaseException:
            book.restore(snap)
            del self.server.formulas_written[mark:]
            raise

    @staticmethod
    def totals(spreadsheet_id: str, responses: list[dict], sheets: set) -> dict:
        out = {"spreadsheetId": spreadsheet_id}
        if responses:
            out.update(
                totalUpdatedRows=sum(r.get("updatedRows", 0) for r in responses),
                totalUpdatedColumns=sum(r.get("updatedColumns", 0) for r in responses),
                totalUpdatedCells=sum(r.get("updatedCells", 0) for r in responses),
                totalUpdatedSheets=len(sheets),
                responses=responses,
            )
        return out

    def updated_data(self, t: Target, resp: dict, q: dict) -> None:
        written = self.a1_target(self.book_of(t), resp["updatedRange"], check=False)
        resp["updatedData"] = self.read(written, "ROWS", q.get("responseValueRenderOption"),
                                        q.get("responseDateTimeRenderOption"))

    def book_of(self, t: Target) -> Spreadsheet:
        return t.sheet._book

    # ------------------------------------------------------------------ spreadsheets

    def get(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        if q.get("includeGridData"):
            raise ApiError(501, "includeGridData=true is not implemented by the test server.")
        sheets = None
        if q.get("ranges"):
            wanted = {self.a1_target(book, r).sheet.sheet_id for r in q["ranges"]}
            sheets = [s for s in book.sheets if s.sheet_id in wanted]
        return book.to_json(sheets)

    def create(self, p: dict, q: dict, body: dict) -> dict:
        props = body.get("properties", {})
        spreadsheet_id = self.server._new_spreadsheet_id()
        book = Spreadsheet(spreadsheet_id, props.get("title", "Feuille de calcul sans titre"), self.server.lock)
        book.locale = props.get("locale", book.locale)
        book.time_zone = props.get("timeZone", book.time_zone)
        for i, s in enumerate(body.get("sheets") or [{}]):
            sp = s.get("properties", {})
            grid = sp.get("gridProperties", {})
            book.add_sheet(sp.get("title", f"Feuille {i + 1}"), grid.get("rowCount", 1000),
                           grid.get("columnCount", 26), sp.get("sheetId"))
        self.server.spreadsheets[spreadsheet_id] = book
        return book.to_json()

    # ------------------------------------------------------------------ values

    def values_get(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        return self.read(self.a1_target(book, p["range"]), q.get("majorDimension"), q.get("valueRenderOption"),
                         q.get("dateTimeRenderOption"))

    def values_batch_get(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        out = {"spreadsheetId": book.spreadsheet_id}
        ranges = q.get("ranges") or []
        if ranges:
            out["valueRanges"] = [
                self.read(self.a1_target(book, r), q.get("majorDimension"), q.get("valueRenderOption"),
                          q.get("dateTimeRenderOption"))
                for r in ranges
            ]
        return out

    def values_update(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        if body.get("range") and body["range"] != p["range"]:
            raise bad(f"Requested range [{body['range']}] doesn't match the request path range [{p['range']}]")
        t = self.a1_target(book, p["range"], check=False)
        resp = self.atomic(book, lambda: self.write(book, t, body.get("values"), body.get("majorDimension"),
                                                     q.get("valueInputOption")))
        if q.get("includeValuesInResponse") and "updatedCells" in resp:
            self.updated_data(t, resp, q)
        return {"spreadsheetId": book.spreadsheet_id, **resp}

    def values_batch_update(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        option = body.get("valueInputOption")
        if option in (None, "INPUT_VALUE_OPTION_UNSPECIFIED"):
            raise bad("'valueInputOption' is required but not specified")

        def run():
            responses, sheets = [], set()
            for i, vr in enumerate(body.get("data", [])):
                if not vr.get("range"):
                    raise bad(f"Invalid data[{i}]: range is required")
                # Google names the item: "Invalid data[0]: Unable to parse range: ..." (gspread#1601).
                with _item_errors(f"data[{i}]"):
                    t = self.a1_target(book, vr["range"], check=False)
                    resp = self.write(book, t, vr.get("values"), vr.get("majorDimension"), option)
                if body.get("includeValuesInResponse") and "updatedCells" in resp:
                    self.updated_data(t, resp, body)
                responses.append({"spreadsheetId": book.spreadsheet_id, **resp})
                sheets.add(t.sheet.sheet_id)
            return self.totals(book.spreadsheet_id, responses, sheets)

        return self.atomic(book, run)

    def values_append(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        t = self.a1_target(book, p["range"])
        values = body.get("values") or []
        if body.get("majorDimension") == "COLUMNS":
            height = max((len(c) for c in values), default=0)
            values = [[c[r] if r < len(c) else None for c in values] for r in range(height)]
        option = q.get("valueInputOption")
        sheet = t.sheet
        c1 = t.c1
        last = -1
        first = None
        for r in range(t.r0, min(t.r1, len(sheet.grid))):
            if any(sheet._get(r, c) not in (None, "") for c in range(t.c0, c1)):
                last = r
                first = r if first is None else first
        at = last + 1 if last >= 0 else t.r0
        n = len(values)
        width = max((len(r) for r in values), default=0)

        def run():
            if option in (None, "INPUT_VALUE_OPTION_UNSPECIFIED"):
                raise bad("'valueInputOption' is required but not specified")
            if n:
                if q.get("insertDataOption") == "INSERT_ROWS":
                    sheet._insert("ROWS", at, n)
                elif at + n > sheet.row_count:
                    sheet._set_count("ROWS", at + n)  # appending grows the grid
            target = Target(sheet, at, at + n, t.c0, t.c0 + width, expand=True)
            return self.write(book, target, values, None, option)

        resp = self.atomic(book, run)
        out = {"spreadsheetId": book.spreadsheet_id}
        if first is not None:
            table_end = max((len(sheet.grid[r]) for r in range(first, last + 1)), default=t.c0 + 1)
            out["tableRange"] = google_a1.format_range(sheet.title, first, last + 1, t.c0, max(table_end, t.c0 + 1))
        if q.get("includeValuesInResponse") and "updatedCells" in resp:
            self.updated_data(t, resp, q)
        out["updates"] = {"spreadsheetId": book.spreadsheet_id, **resp}
        return out

    def values_clear(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        t = self.a1_target(book, p["range"])
        self.clear(t)
        return {"spreadsheetId": book.spreadsheet_id, "clearedRange": t.a1()}

    def values_batch_clear(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        targets = [self.a1_target(book, r) for r in body.get("ranges", [])]
        for t in targets:
            self.clear(t)
        out = {"spreadsheetId": book.spreadsheet_id}
        if targets:
            out["clearedRanges"] = [t.a1() for t in targets]
        return out

    # ------------------------------------------------------------------ by data filter

    def values_batch_get_by_filter(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        matched = []
        for f in body.get("dataFilters", []):
            # A filter that matches nothing contributes no MatchedValueRange (documented: "Ranges
            # that match any of the data filters in the request will be returned").
            for t in self.filter_targets(book, f):
                vr = self.read(t, body.get("majorDimension"), body.get("valueRenderOption"),
                               body.get("dateTimeRenderOption"))
                matched.append({"valueRange": vr, "dataFilters": [copy.deepcopy(f)]})
        out = {"spreadsheetId": book.spreadsheet_id}
        if matched:
            out["valueRanges"] = matched
        return out

    def values_batch_update_by_filter(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        option = body.get("valueInputOption")
        if option in (None, "INPUT_VALUE_OPTION_UNSPECIFIED"):
            raise bad("'valueInputOption' is required but not specified")

        def run():
            responses, sheets = [], set()
            for i, item in enumerate(body.get("data", [])):
                f = item.get("dataFilter")
                if not f:
                    raise bad(f"Invalid data[{i}]: dataFilter is required")
                with _item_errors(f"data[{i}]"):
                    targets = self.filter_targets(book, f)
                if not targets and self.server.unmatched_data_filter == "error":
                    raise bad(f"Invalid data[{i}]: No data found matching the data filter.")
                # Default (Google's behaviour here is not documented, and was not found): a filter
                # matching nothing updates nothing and adds no response, so the caller sees no
                # totalUpdatedCells. unmatched_data_filter="error" makes it a 400 instead.
                for t in targets:
                    with _item_errors(f"data[{i}]"):
                        resp = self.write(book, t, item.get("values"), item.get("majorDimension"), option)
                    if body.get("includeValuesInResponse") and "updatedCells" in resp:
                        self.updated_data(t, resp, body)
                    resp["dataFilter"] = copy.deepcopy(f)
                    responses.append(resp)
                    sheets.add(t.sheet.sheet_id)
            return self.totals(book.spreadsheet_id, responses, sheets)

        return self.atomic(book, run)

    def values_batch_clear_by_filter(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        cleared = []
        for f in body.get("dataFilters", []):
            for t in self.filter_targets(book, f):
                self.clear(t)
                cleared.append(t.a1())
        out = {"spreadsheetId": book.spreadsheet_id}
        if cleared:
            out["clearedRanges"] = cleared
        return out

    def metadata_get(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        for m in book.metadata:
            if str(m.metadata_id) == str(p["metadataId"]):
                return m.to_json()
        raise ApiError(404, f"No developer metadata with ID: {p['metadataId']}")

    def metadata_search(self, p: dict, q: dict, body: dict) -> dict:
        book = self.book(p["spreadsheetId"])
        found = []
        for f in body.get("dataFilters", []):
            for m in self.filter_metadata(book, f):
                found.append({"developerMetadata": m.to_json(), "dataFilters": [copy.deepcopy(f)]})
        return {"matchedDeveloperMetadata": found} if found else {}

    # ------------------------------------------------------------------ spreadsheets.batchUpdate

    def batch_update(self, p: dict, q: dict, body: dict) -> dict:
        from .google_sheets_requests import apply_request

        book = self.book(p["spreadsheetId"])
        requests = body.get("requests") or []
        if not requests:
            raise bad("Must specify at least one request.")

        def run():
            replies = []
            for i, req in enumerate(requests):
                kinds = list(req)
                if len(kinds) != 1:
                    raise bad(f"Invalid requests[{i}]: No request set." if not kinds else
                              f"Invalid requests[{i}]: only one request kind may be set.")
                kind = kinds[0]
                try:
                    reply = apply_request(self, book, kind, req[kind])
                except ApiError as e:
                    if e.code == 400 and not e.message.startswith("Invalid requests["):
                        e.message = f"Invalid requests[{i}].{kind}: {e.message}"
                    raise
                replies.append(reply)
            return replies

        replies = self.atomic(book, run)
        out = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = book.to_json()
        return out


@contextmanager
def _item_errors(where: str):
    try:
        yield
    except ApiError as e:
        if e.code == 400 and not e.message.startswith("Invalid "):
            e.message = f"Invalid {where}: {e.message}"
        raise


def _location_matches(m: DeveloperMetadata, loc: DeveloperMetadata, exact: bool) -> bool:
    if loc.location_type == "SPREADSHEET":
        return m.location_type == "SPREADSHEET" or not exact
    if m.sheet_id != loc.sheet_id:
        return False
    if loc.location_type == "SHEET":
        return m.location_type == "SHEET" or not exact
    if exact:
        return (m.location_type, m.start, m.end) == (loc.location_type, loc.start, loc.end)
    if m.location_type == "SHEET":
        return True
    return m.location_type == loc.location_type and m.start < loc.end and loc.start < m.end

