"""The spreadsheet model behind the fake Sheets API: grids of Python values, developer metadata,
data validation and conditional formats that follow their rows and columns like Google's do.

Public helpers for tests use 1-based rows and columns (like A1 and gspread); everything prefixed
with `_` works on 0-based, half-open indexes (like a GridRange).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from .google_a1 import format_range
from .google_values import Formula, bad, is_empty, to_serial

MAX_CELLS = 10_000_000


# --------------------------------------------------------------------------- model


@dataclass
class DeveloperMetadata:
    metadata_id: int
    key: str
    value: str | None
    visibility: str
    location_type: str  # SPREADSHEET, SHEET, ROW, COLUMN
    sheet_id: int | None = None
    start: int | None = None  # dimension range (ROW/COLUMN), 0-based half-open
    end: int | None = None

    def location_json(self) -> dict:
        if self.location_type == "SPREADSHEET":
            return {"locationType": "SPREADSHEET", "spreadsheet": True}
        if self.location_type == "SHEET":
            return {"locationType": "SHEET", "sheetId": self.sheet_id}
        dimension = "ROWS" if self.location_type == "ROW" else "COLUMNS"
        return {
            "locationType": self.location_type,
            "dimensionRange": {
                "sheetId": self.sheet_id,
                "dimension": dimension,
                "startIndex": self.start,
                "endIndex": self.end,
            },
        }

    def to_json(self) -> dict:
        out = {"metadataId": self.metadata_id, "metadataKey": self.key}
        if self.value is not None:
            out["metadataValue"] = self.value
        out["location"] = self.location_json()
        out["visibility"] = self.visibility
        return out

    @property
    def row(self) -> int | None:
        """1-based first row of a ROW metadata."""
        return self.start + 1 if self.location_type == "ROW" else None


def shift_insert(start: int, end: int | None, at: int, n: int) -> tuple[int, int | None]:
    """An interval after `n` rows/columns are inserted before index `at`."""
    new_start = start + n if start >= at else start
    new_end = end + n if end is not None and end > at else end
    return new_start, new_end


def shift_delete(start: int, end: int | None, a: int, b: int) -> tuple[int, int | None]:
    """An interval after [a, b) is deleted; empty when start >= end."""
    n = b - a

    def point(x: int) -> int:
        return x if x <= a else (x - n if x >= b else a)

    return point(start), (point(end) if end is not None else None)


class Sheet:
    def __init__(self, book: "Spreadsheet", sheet_id: int, title: str, index: int, rows: int, cols: int):
        self._book = book
        self.sheet_id, self.title, self.index = sheet_id, title, index
        self.row_count, self.column_count = rows, cols
        self.frozen_row_count = self.frozen_column_count = 0
        self.hidden = False
        self.other_properties: dict = {}  # tabColor & co, stored as sent
        self.grid: list[list[Any]] = []
        self._validation: dict[tuple[int, int], dict] = {}
        self.conditional_formats: list[dict] = []  # ConditionalFormatRule JSON, ranges kept current
        self.formats: list[dict] = []  # repeatCell / updateCells formats, recorded and otherwise ignored

    # ------------------------------------------------------------ read access for tests

    @property
    def lock(self):
        return self._book.lock

    def values(self) -> list[list[Any]]:
        """The stored values, without trailing empty rows and cells."""
        with self.lock:
            rows = [list(r) for r in self.grid]
        for r in rows:
            while r and is_empty(r[-1]):
                r.pop()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def cell(self, row: int, col: int) -> Any:
        with self.lock:
            return self._get(row - 1, col - 1)

    @property
    def developer_metadata(self) -> list[DeveloperMetadata]:
        """Metadata located on this sheet, its rows and its columns."""
        with self.lock:
            return [m for m in self._book.metadata if m.sheet_id == self.sheet_id]

    def row_metadata(self, row: int) -> list[DeveloperMetadata]:
        """ROW metadata whose range covers the 1-based `row`."""
        return [m for m in self.developer_metadata if m.location_type == "ROW" and m.start < row <= m.end]

    def metadata_row(self, key: str, value: str | None = None) -> int | None:
        """1-based row of the first ROW metadata with this key (and value)."""
        for m in self.developer_metadata:
            if m.location_type == "ROW" and m.key == key and (value is None or m.value == value):
                return m.start + 1
        return None

    def validation(self, row: int, col: int) -> dict | None:
        with self.lock:
            return self._validation.get((row - 1, col - 1))

    @property
    def validations(self) -> list[dict]:
        """Data validation as [{"range": GridRange, "rule": rule}], cells grouped into column runs."""
        with self.lock:
            cells = sorted(self._validation.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        out: list[dict] = []
        for (r, c), rule in cells:
            last = out[-1] if out else None
            g = last and last["range"]
            if g and g["startColumnIndex"] == c and g["endRowIndex"] == r and last["rule"] == rule:
                g["endRowIndex"] = r + 1
                continue
            grid = {"sheetId": self.sheet_id, "startRowIndex": r, "endRowIndex": r + 1}
            grid.update(startColumnIndex=c, endColumnIndex=c + 1)
            out.append({"range": grid, "rule": rule})
        return out

    # ------------------------------------------------------------ mutations a person makes in the UI

    def set_cell(self, row: int, col: int, value: Any) -> None:
        with self.lock:
            self._check_bounds(row - 1, row, col - 1, col)
            self._set(row - 1, col - 1, value)

    def append_row(self, values: list[Any]) -> int:
        """Write `values` in the first row after the last non-empty one, growing the grid like Forms
        does; returns the 1-based row."""
        with self.lock:
            r = self._last_data_row() + 1
            if r >= self.row_count:
                self.row_count = r + 1
            if len(values) > self.column_count:
                self.column_count = len(values)
            for c, value in enumerate(values):
                self._set(r, c, value)
            return r + 1

    def insert_rows(self, at: int, n: int = 1) -> None:
        """Insert `n` empty rows before the 1-based row `at` (at = row_count + 1 appends)."""
        with self.lock:
            self._insert("ROWS", at - 1, n)

    def delete_rows(self, at: int, n: int = 1) -> None:
        with self.lock:
            self._delete("ROWS", at - 1, at - 1 + n)

    def insert_columns(self, at: int, n: int = 1) -> None:
        with self.lock:
            self._insert("COLUMNS", at - 1, n)

    def delete_columns(self, at: int, n: int = 1) -> None:
        with self.lock:
            self._delete("COLUMNS", at - 1, at - 1 + n)

    def sort_rows(self, key: Callable[[list], Any] | int = 1, reverse: bool = False, header_rows: int = 1) -> None:
        """Sort the rows below `header_rows` like Data > Sort range. `key` is a 1-based column number
        (Google's order: numbers and dates, then text, then booleans, empty cells last) or a function
        of the row's stored values (padded to the grid width)."""
        with self.lock:
            last = max(self._last_data_row() + 1, header_rows)
            if callable(key):
                fn = key
                order = sorted(
                    range(header_rows, last),
                    key=lambda r: fn(self._row_values(r)),
                    reverse=reverse,
                )
                self._reorder_rows(header_rows, order)
            else:
                if key < 1:
                    raise ValueError("key is a 1-based column number")
                spec = {"dimensionIndex": key - 1, "sortOrder": "DESCENDING" if reverse else "ASCENDING"}
                self._sort(header_rows, last, 0, self.column_count, [spec])

    def resize(self, rows: int | None = None, cols: int | None = None) -> None:
        with self.lock:
            if rows is not None:
                self._set_count("ROWS", rows)
            if cols is not None:
                self._set_count("COLUMNS", cols)

    # ------------------------------------------------------------ 0-based internals

    def _row_values(self, r: int) -> list[Any]:
        row = self.grid[r] if r < len(self.grid) else []
        return list(row) + [None] * (self.column_count - len(row))

    def _get(self, r: int, c: int) -> Any:
        if r < len(self.grid) and c < len(self.grid[r]):
            return self.grid[r][c]
        return None

    def _set(self, r: int, c: int, value: Any) -> None:
        if value == "":
            value = None
        if value is None and (r >= len(self.grid) or c >= len(self.grid[r])):
            return
        while len(self.grid) <= r:
            self.grid.append([])
        row = self.grid[r]
        while len(row) <= c:
            row.append(None)
        row[c] = value

    def _last_data_row(self) -> int:
        for r in range(len(self.grid) - 1, -1, -1):
            if any(not is_empty(v) for v in self.grid[r]):
                return r
        return -1

    def _check_bounds(self, r0: int, r1: int, c0: int, c1: int) -> None:
        if r1 > self.row_count or c1 > self.column_count or r0 < 0 or c0 < 0:
            shown = format_range(self.title, max(r0, 0), max(r1, r0 + 1), max(c0, 0), max(c1, c0 + 1), True)
            raise bad(
                f"Range ({shown}) exceeds grid limits. Max rows: {self.row_count}, "
                f"max columns: {self.column_count}"
            )

    def _a1(self, r0: int, r1: int, c0: int, c1: int) -> str:
        return format_range(self.title, r0, r1, c0, c1)

    def _count(self, dimension: str) -> int:
        return self.row_count if dimension == "ROWS" else self.column_count

    def _insert(self, dimension: str, at: int, n: int, inherit_from_before: bool = False) -> None:
        if n <= 0:
            raise bad("The number of rows or columns to insert must be positive.")
        if at < 0 or at > self._count(dimension):
            raise bad(f"Cannot insert at index {at}: the sheet has {self._count(dimension)} {dimension.lower()}.")
        if inherit_from_before and at == 0:
            raise bad("Cannot inherit properties from before the first row or column.")
        self._book._check_cell_limit(extra=n * (self.column_count if dimension == "ROWS" else self.row_count))
        row_axis = dimension == "ROWS"
        if row_axis:
            if at < len(self.grid):
                self.grid[at:at] = [[] for _ in range(n)]
            self.row_count += n
        else:
            for row in self.grid:
                if at < len(row):
                    row[at:at] = [None] * n
            self.column_count += n
        kind = "ROW" if row_axis else "COLUMN"
        for m in self._book.metadata:
            if m.sheet_id == self.sheet_id and m.location_type == kind:
                m.start, m.end = shift_insert(m.start, m.end, at, n)
        moved = {}
        for (r, c), rule in self._validation.items():
            i = r if row_axis else c
            if i >= at:
                i += n
            moved[(i, c) if row_axis else (r, i)] = rule
        # A rule whose run of cells spans the insertion point grows over the new cells, as ranges do.
        for (r, c), rule in list(moved.items()):
            if (r if row_axis else c) != at - 1:
                continue
            after = (at + n, c) if row_axis else (r, at + n)
            if moved.get(after) == rule:
                for k in range(at, at + n):
                    moved[(k, c) if row_axis else (r, k)] = copy.deepcopy(rule)
        self._validation = moved
        lo, hi = ("startRowIndex", "endRowIndex") if row_axis else ("startColumnIndex", "endColumnIndex")
        for rule in self.conditional_formats:
            for g in rule["ranges"]:
                g[lo], end = shift_insert(g.get(lo, 0), g.get(hi), at, n)
                if end is not None:
                    g[hi] = end

    def _delete(self, dimension: str, a: int, b: int) -> None:
        count = self._count(dimension)
        if a < 0 or b > count or a >= b:
            raise bad(f"Invalid {dimension.lower()} range [{a}, {b}): the sheet has {count}.")
        if a == 0 and b == count:
            what = "rows" if dimension == "ROWS" else "columns"
            raise bad(f"You can't delete all the {what} on the sheet.")
        row_axis = dimension == "ROWS"
        if row_axis:
            del self.grid[a:b]
            self.row_count -= b - a
        else:
            for row in self.grid:
                del row[a:b]
            self.column_count -= b - a
        kind = "ROW" if row_axis else "COLUMN"
        kept = []
        for m in self._book.metadata:
            if m.sheet_id == self.sheet_id and m.location_type == kind:
                m.start, m.end = shift_delete(m.start, m.end, a, b)
                if m.end <= m.start:
                    continue  # Google deletes metadata with its rows
            kept.append(m)
        self._book.metadata[:] = kept
        moved = {}
        for (r, c), rule in self._validation.items():
            i = r if row_axis else c
            if a <= i < b:
                continue
            i = i - (b - a) if i >= b else i
            moved[(i, c) if row_axis else (r, i)] = rule
        self._validation = moved
        lo, hi = ("startRowIndex", "endRowIndex") if row_axis else ("startColumnIndex", "endColumnIndex")
        for rule in self.conditional_formats:
            ranges = []
            for g in rule["ranges"]:
                start, end = shift_delete(g.get(lo, 0), g.get(hi), a, b)
                if end is not None and end <= start:
                    continue
                g[lo] = start
                if end is not None:
                    g[hi] = end
                ranges.append(g)
            rule["ranges"] = ranges
        self.conditional_formats = [r for r in self.conditional_formats if r["ranges"]]

    def _set_count(self, dimension: str, count: int) -> None:
        if count < 1:
            raise bad(f"Invalid {dimension.lower()} count {count}.")
        current = self._count(dimension)
        if count > current:
            self._book._check_cell_limit(
                extra=(count - current) * (self.column_count if dimension == "ROWS" else self.row_count)
            )
            if dimension == "ROWS":
                self.row_count = count
            else:
                self.column_count = count
        elif count < current:
            self._delete(dimension, count, current)

    def _sort(self, r0: int, r1: int, c0: int, c1: int, specs: list[dict]) -> None:
        order = list(range(r0, r1))
        for spec in reversed(specs):
            col = spec.get("dimensionIndex", 0)
            descending = spec.get("sortOrder") == "DESCENDING"
            empty = [r for r in order if is_empty(self._get(r, col))]
            full = [r for r in order if not is_empty(self._get(r, col))]
            full.sort(key=lambda r: _sort_key(self._get(r, col)), reverse=descending)
            order = full + empty
        self._reorder_rows(r0, order, c0, c1)

    def _reorder_rows(self, r0: int, order: list[int], c0: int = 0, c1: int | None = None) -> None:
        """Rows r0.. become the rows `order` (old indexes); cells, validations and single-row
        metadata move along."""
        if c1 is None:
            c1 = self.column_count
        old_values = {r: [self._get(r, c) for c in range(c0, c1)] for r in order}
        old_rules = {k: v for k, v in self._validation.items() if k[0] in old_values and c0 <= k[1] < c1}
        for k in old_rules:
            del self._validation[k]
        new_index = {}
        for offset, old in enumerate(order):
            new = r0 + offset
            new_index[old] = new
            for i, c in enumerate(range(c0, c1)):
                self._set(new, c, old_values[old][i])
                if (old, c) in old_rules:
                    self._validation[(new, c)] = old_rules[(old, c)]
        for m in self._book.metadata:
            if m.sheet_id == self.sheet_id and m.location_type == "ROW" and m.end == m.start + 1:
                if m.start in new_index:
                    m.start = new_index[m.start]
                    m.end = m.start + 1

    def properties_json(self) -> dict:
        grid = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen_row_count:
            grid["frozenRowCount"] = self.frozen_row_count
        if self.frozen_column_count:
            grid["frozenColumnCount"] = self.frozen_column_count
        out = {"sheetId": self.sheet_id, "title": self.title, "index": self.index, "sheetType": "GRID"}
        out["gridProperties"] = grid
        if self.hidden:
            out["hidden"] = True
        out.update(copy.deepcopy(self.other_properties))
        return out

    def to_json(self) -> dict:
        out: dict[str, Any] = {"properties": self.properties_json()}
        if self.conditional_formats:
            out["conditionalFormats"] = copy.deepcopy(self.conditional_formats)
        sheet_meta = [m.to_json() for m in self._book.metadata if m.location_type == "SHEET" and m.sheet_id == self.sheet_id]
        if sheet_meta:
            out["developerMetadata"] = sheet_meta
        return out

    def __repr__(self) -> str:
        return f"<Sheet {self.title!r} id={self.sheet_id} {self.row_count}x{self.column_count}>"


def _sort_key(value: Any):
    if isinstance(value, Formula):
        value = value.result
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, date):
        return (0, to_serial(value))
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, str(value).casefold())


class Spreadsheet:
    def __init__(self, spreadsheet_id: str, title: str, lock=None):
        self.spreadsheet_id, self.title = spreadsheet_id, title
        self.locale, self.time_zone = "fr_FR", "Europe/Paris"
        self.sheets: list[Sheet] = []
        self.metadata: list[DeveloperMetadata] = []
        self.lock = lock or threading.RLock()
        self._ids = 0

    def sheet(self, title: str | None = None) -> Sheet:
        """The sheet titled `title` (exact, then case-insensitive), or the first sheet."""
        if title is None:
            return self.sheets[0]
        for s in self.sheets:
            if s.title == title:
                return s
        for s in self.sheets:
            if s.title.lower() == title.lower():
                return s
        raise KeyError(title)

    def sheet_by_id(self, sheet_id: int) -> Sheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise bad(f"No grid with id: {sheet_id}")

    def add_sheet(self, title: str, rows: int = 1000, cols: int = 26, sheet_id: int | None = None, index=None) -> Sheet:
        if any(s.title.lower() == title.lower() for s in self.sheets):
            raise bad(f'A sheet with the name "{title}" already exists. Please enter another name.')
        if sheet_id is None:
            sheet_id = self._new_id() if self.sheets else 0
        elif any(s.sheet_id == sheet_id for s in self.sheets):
            raise bad(f"A sheet with the id {sheet_id} already exists.")
        self._check_cell_limit(extra=rows * cols)
        index = len(self.sheets) if index is None else max(0, min(index, len(self.sheets)))
        sheet = Sheet(self, sheet_id, title, index, rows, cols)
        self.sheets.insert(index, sheet)
        for i, s in enumerate(self.sheets):
            s.index = i
        return sheet

    def _new_id(self) -> int:
        # Google's ids look random; these are deterministic and never reused.
        self._ids += 1
        return (self._ids * 1_103_515_245 + 12_345) % 2_000_000_000 + 1

    def new_metadata_id(self) -> int:
        used = {m.metadata_id for m in self.metadata}
        while True:
            candidate = self._new_id()
            if candidate not in used:
                return candidate

    def _check_cell_limit(self, extra: int = 0) -> None:
        total = sum(s.row_count * s.column_count for s in self.sheets) + extra
        if total > MAX_CELLS:
            raise bad(
                "This action would increase the number of cells in the workbook above the limit "
                f"of {MAX_CELLS} cells."
            )

    def snapshot(self):
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k not in ("sheets", "lock")}
        sheets = [(s, {k: copy.deepcopy(v) for k, v in s.__dict__.items() if k != "_book"}) for s in self.sheets]
        return state, sheets

    def restore(self, snap) -> None:
        state, sheets = snap
        metadata = self.metadata
        self.__dict__.update(state)
        metadata[:] = state["metadata"]  # keep the list object tests may hold
        self.metadata = metadata
        self.sheets = [s for s, _ in sheets]
        for s, saved in sheets:
            s.__dict__.update(saved)

    def to_json(self, sheets: list[Sheet] | None = None) -> dict:
        out = {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone,
                "defaultFormat": {
                    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
                    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
                    "verticalAlignment": "BOTTOM",
                    "wrapStrategy": "OVERFLOW_CELL",
                    "textFormat": {"fontFamily": "arial,sans,sans-serif", "fontSize": 10},
                },
            },
            "sheets": [s.to_json() for s in (sheets if sheets is not None else self.sheets)],
        }
        meta = [m.to_json() for m in self.metadata if m.location_type == "SPREADSHEET"]
        if meta:
            out["developerMetadata"] = meta
        out["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"
        return out
