"""A1 notation as the Sheets API reads and writes it.

Indexes are 0-based and half-open like a GridRange; None means "unbounded" (to the grid's edge).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_REF = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*)$")


class A1Error(ValueError):
    """The text is not an A1 range."""


@dataclass(frozen=True)
class A1Range:
    title: str | None  # None: no sheet named, the first sheet
    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None
    whole_sheet: bool = False


def col_to_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def letters_to_col(letters: str) -> int:
    """A → 0, Z → 25, AA → 26."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def quote_title(title: str) -> str:
    """How Google writes a sheet title in a returned range: quoted unless plain."""
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_REF.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, start_row: int, end_row: int, start_col: int, end_col: int,
                 always_quote: bool = False) -> str:
    """'Title'!A1:C3 from 0-based half-open indexes (a single cell is written A1). Returned ranges
    quote the title only when needed (Sheet1!A1:Z1000); error messages always quote it
    ("Range ('CO2'!CO2) exceeds grid limits...")."""
    first = f"{col_to_letters(start_col)}{start_row + 1}"
    last = f"{col_to_letters(end_col - 1)}{end_row}"
    cells = first if (end_row - start_row, end_col - start_col) == (1, 1) else f"{first}:{last}"
    shown = "'" + title.replace("'", "''") + "'" if always_quote else quote_title(title)
    return f"{shown}!{cells}"


def split_title(text: str) -> tuple[str | None, str | None, bool]:
    """(title, cells, quoted): `'It''s'!A1` → ("It's", "A1", True); `Sheet1` → ("Sheet1", None, False)."""
    text = text.strip()
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest == "":
                    return "".join(title), None, True
                if rest.startswith("!"):
                    return "".join(title), rest[1:], True
                raise A1Error(text)
            title.append(ch)
            i += 1
        raise A1Error(text)
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells, False
    return None, text, False


def _parse_endpoint(part: str) -> tuple[int | None, int | None]:
    m = _CELL.match(part.strip())
    if not m or not (m.group(1) or m.group(2)):
        raise A1Error(part)
    col = letters_to_col(m.group(1)) if m.group(1) else None
    if m.group(2):
        row = int(m.group(2)) - 1
        if row < 0:
            raise A1Error(part)
    else:
        row = None
    if col is not None and len(m.group(1)) > 3:
        raise A1Error(part)
    return row, col


def parse_cells(cells: str) -> tuple[int, int | None, int, int | None]:
    """`A1:C10` → (0, 10, 0, 3) as (start_row, end_row, start_col, end_col); None = to the grid's edge."""
    parts = cells.split(":")
    if len(parts) == 1:
        row, col = _parse_endpoint(parts[0])
        if row is None or col is None:  # "A" or "1" alone is not a range
            raise A1Error(cells)
        return row, row + 1, col, col + 1
    if len(parts) != 2:
        raise A1Error(cells)
    (r1, c1), (r2, c2) = _parse_endpoint(parts[0]), _parse_endpoint(parts[1])
    if (c1 is None and c2 is not None) or (r1 is None and r2 is not None):  # "1:B5", "A:B5"
        raise A1Error(cells)
    start_row, end_row = r1 or 0, (r2 + 1 if r2 is not None else None)
    start_col, end_col = c1 or 0, (c2 + 1 if c2 is not None else None)
    if end_row is not None and end_row <= start_row:  # "A10:A1" means A1:A10
        start_row, end_row = end_row - 1, start_row + 1
    if end_col is not None and end_col <= start_col:
        start_col, end_col = end_col - 1, start_col + 1
    return start_row, end_row, start_col, end_col


def parse(text: str, titles: list[str]) -> A1Range:
    """Parse `text` against the spreadsheet's sheet titles (first title = first sheet)."""
    if not text or not text.strip():
        raise A1Error(text)
    title, cells, quoted = split_title(text)
    if title is None and cells is not None and not quoted:
        # "A1:B2" is a range on the first sheet, even when a sheet is titled so: Google answers
        # "Range ('CO2'!CO2) exceeds grid limits" for a sheet "CO2" read as `CO2`. Otherwise
        # "Sheet1" names a sheet.
        try:
            bounds = parse_cells(cells)
        except A1Error:
            found = _find_title(cells, titles)
            if found is None:
                raise
            return A1Range(found, whole_sheet=True)
        if not titles:
            raise A1Error(text)
        return A1Range(titles[0], *bounds)
    found = _find_title(title or "", titles)
    if found is None:
        raise A1Error(text)
    if cells is None:
        return A1Range(found, whole_sheet=True)
    return A1Range(found, *parse_cells(cells))


def _find_title(name: str, titles: list[str]) -> str | None:
    if name in titles:
        return name
    lowered = name.lower()
    for title in titles:
        if title.lower() == lowered:
            return title
    return None
