"""The requests of spreadsheets.batchUpdate the fake server implements, with Google's reply shapes.

Each handler raises ApiError(400) with the reason; SheetsApi.batch_update prefixes it with
"Invalid requests[i].kind: " as Google does and rolls the whole batch back.
"""

from __future__ import annotations

import copy
from typing import Any

from .google_sheets import DeveloperMetadata, Sheet, Spreadsheet
from .google_values import ApiError, Formula, bad, from_serial
from .google_sheets_api import SheetsApi, Target, get_path, masked, parse_mask


def apply_request(api: SheetsApi, book: Spreadsheet, kind: str, req: dict) -> dict:
    handler = HANDLERS.get(kind)
    if handler is None:
        raise ApiError(501, f"{kind} is not implemented by the test server (tests/support/google_sheets_requests.py).")
    return handler(api, book, req)


def _fields(req: dict) -> list[str]:
    mask = parse_mask(req.get("fields"))
    if not mask:
        raise bad("At least one field must be updated, but fields is empty.")
    return mask


def _dimension_range(book: Spreadsheet, d: dict) -> tuple[Sheet, str, int, int]:
    sheet = book.sheet_by_id(d.get("sheetId", 0))
    dimension = d.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise bad("range.dimension must be ROWS or COLUMNS.")
    start = d.get("startIndex", 0)
    end = d.get("endIndex", sheet._count(dimension))
    if start < 0 or end <= start:
        raise bad(f"Invalid dimension range [{start}, {end}).")
    return sheet, dimension, start, end


# ------------------------------------------------------------------ sheets and dimensions


def update_sheet_properties(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    props = req.get("properties") or {}
    sheet = book.sheet_by_id(props.get("sheetId", 0))
    mask = _fields(req)
    if "*" in mask:
        mask = [k for k in props if k not in ("sheetId", "gridProperties", "sheetType")]
        mask += [f"gridProperties.{k}" for k in props.get("gridProperties", {})]
    for path in mask:
        value = get_path(props, path)
        if path == "gridProperties":
            for k, v in (value or {}).items():
                _set_sheet_prop(book, sheet, f"gridProperties.{k}", v)
        else:
            _set_sheet_prop(book, sheet, path, value)
    return {}


def _set_sheet_prop(book: Spreadsheet, sheet: Sheet, path: str, value: Any) -> None:
    if path == "title":
        if not value:
            raise bad("A sheet title must not be empty.")
        if any(s is not sheet and s.title.lower() == value.lower() for s in book.sheets):
            raise bad(f'A sheet with the name "{value}" already exists. Please enter another name.')
        sheet.title = value
    elif path == "index":
        book.sheets.remove(sheet)
        book.sheets.insert(max(0, min(value or 0, len(book.sheets))), sheet)
        for i, s in enumerate(book.sheets):
            s.index = i
    elif path == "hidden":
        sheet.hidden = bool(value)
    elif path == "gridProperties.rowCount":
        sheet._set_count("ROWS", value or 0)
    elif path == "gridProperties.columnCount":
        sheet._set_count("COLUMNS", value or 0)
    elif path == "gridProperties.frozenRowCount":
        if (value or 0) >= sheet.row_count:
            raise bad("You can't freeze all visible rows on the sheet.")
        sheet.frozen_row_count = value or 0
    elif path == "gridProperties.frozenColumnCount":
        if (value or 0) >= sheet.column_count:
            raise bad("You can't freeze all visible columns on the sheet.")
        sheet.frozen_column_count = value or 0
    elif path in ("sheetId", "sheetType"):
        raise bad(f"{path} cannot be updated.")
    else:
        top = path.split(".")[0]
        if value is None:
            sheet.other_properties.pop(top, None)
        else:
            sheet.other_properties[top] = copy.deepcopy(value)


def update_spreadsheet_properties(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    props = req.get("properties") or {}
    mask = _fields(req)
    for path in list(props) if "*" in mask else mask:
        value = get_path(props, path)
        if path == "title":
            book.title = value or ""
        elif path == "locale":
            book.locale = value or "fr_FR"
        elif path == "timeZone":
            book.time_zone = value or "Europe/Paris"
    return {}


def append_dimension(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    sheet = book.sheet_by_id(req.get("sheetId", 0))
    dimension, length = req.get("dimension"), req.get("length", 0)
    if dimension not in ("ROWS", "COLUMNS"):
        raise bad("dimension must be ROWS or COLUMNS.")
    if length <= 0:
        raise bad("length must be greater than zero.")
    sheet._insert(dimension, sheet._count(dimension), length)
    return {}


def insert_dimension(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    sheet, dimension, start, end = _dimension_range(book, req.get("range") or {})
    sheet._insert(dimension, start, end - start, bool(req.get("inheritFromBefore")))
    return {}


def delete_dimension(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    sheet, dimension, start, end = _dimension_range(book, req.get("range") or {})
    sheet._delete(dimension, start, end)
    return {}


def add_sheet(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    props = req.get("properties") or {}
    title = props.get("title")
    if not title:
        n = len(book.sheets) + 1
        while any(s.title == f"Feuille {n}" for s in book.sheets):
            n += 1
        title = f"Feuille {n}"
    grid = props.get("gridProperties", {})
    sheet = book.add_sheet(title, grid.get("rowCount", 1000), grid.get("columnCount", 26),
                           props.get("sheetId"), props.get("index"))
    sheet.frozen_row_count = grid.get("frozenRowCount", 0)
    sheet.frozen_column_count = grid.get("frozenColumnCount", 0)
    sheet.hidden = bool(props.get("hidden"))
    for k in ("tabColor", "tabColorStyle", "rightToLeft"):
        if k in props:
            sheet.other_properties[k] = copy.deepcopy(props[k])
    return {"addSheet": {"properties": sheet.properties_json()}}


def delete_sheet(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    sheet = book.sheet_by_id(req.get("sheetId", 0))
    if len(book.sheets) == 1:
        raise bad("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    book.metadata[:] = [m for m in book.metadata if m.sheet_id != sheet.sheet_id]
    for i, s in enumerate(book.sheets):
        s.index = i
    return {}


# ------------------------------------------------------------------ cells


def _cell_value(api: SheetsApi, book: Spreadsheet, sheet: Sheet, r: int, c: int, cell: dict) -> Any:
    uev = cell.get("userEnteredValue")
    if not uev:
        return None
    if "formulaValue" in uev:
        formula = Formula(uev["formulaValue"])
        api.record_formula(book, sheet, r, c, formula)
        return formula
    if "stringValue" in uev:
        return uev["stringValue"] or None
    if "boolValue" in uev:
        return uev["boolValue"]
    if "numberValue" in uev:
        number = uev["numberValue"]
        kind = get_path(cell, "userEnteredFormat.numberFormat.type")
        if kind in ("DATE", "DATE_TIME"):
            return from_serial(number, kind == "DATE_TIME")
        return number
    if "errorValue" in uev:
        return "#ERROR!"
    return None


def _write_cells(api: SheetsApi, book: Spreadsheet, t: Target, rows: list[dict], mask: list[str], repeat=None) -> None:
    sheet = t.sheet
    value_masked, validation_masked = masked(mask, "userEnteredValue"), masked(mask, "dataValidation")
    formats = [p for p in mask if p not in ("userEnteredValue", "dataValidation") and not p.startswith("userEnteredValue.")]
    for r in range(t.r0, t.r1):
        row = (rows[r - t.r0].get("values") or []) if repeat is None and r - t.r0 < len(rows) else []
        for c in range(t.c0, t.c1):
            if repeat is not None:
                cell = repeat
            elif c - t.c0 < len(row):
                cell = row[c - t.c0] or {}
            else:
                cell = {}
            if value_masked:
                sheet._set(r, c, _cell_value(api, book, sheet, r, c, cell))
            if validation_masked:
                _set_validation(sheet, r, c, cell.get("dataValidation"))
    if formats:
        sheet.formats.append({"range": _grid_json(t), "cell": copy.deepcopy(repeat if repeat is not None else rows),
                              "fields": ",".join(formats)})


def _grid_json(t: Target) -> dict:
    return {"sheetId": t.sheet.sheet_id, "startRowIndex": t.r0, "endRowIndex": t.r1,
            "startColumnIndex": t.c0, "endColumnIndex": t.c1}


def update_cells(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    mask = _fields(req)
    rows = req.get("rows") or []
    if ("start" in req) == ("range" in req):
        raise bad("Exactly one of start or range must be set.")
    if "range" in req:
        t = api.grid_target(book, req["range"])
    else:
        start = req["start"]
        sheet = book.sheet_by_id(start.get("sheetId", 0))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        width = max((len(r.get("values") or []) for r in rows), default=0)
        sheet._check_bounds(r0, r0 + max(len(rows), 1), c0, c0 + max(width, 1))
        t = Target(sheet, r0, r0 + len(rows), c0, c0 + width)
        # With `start`, only the cells given are written; pad nothing.
        for i, row in enumerate(rows):
            values = row.get("values") or []
            sub = Target(sheet, r0 + i, r0 + i + 1, c0, c0 + len(values))
            _write_cells(api, book, sub, [row], mask)
        return {}
    _write_cells(api, book, t, rows, mask)
    return {}


def repeat_cell(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    mask = _fields(req)
    t = api.grid_target(book, req.get("range") or {})
    _write_cells(api, book, t, [], mask, repeat=req.get("cell") or {})
    return {}


def _set_validation(sheet: Sheet, r: int, c: int, rule: dict | None) -> None:
    if rule:
        sheet._validation[(r, c)] = copy.deepcopy(rule)
    else:
        sheet._validation.pop((r, c), None)


def set_data_validation(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    t = api.grid_target(book, req.get("range") or {})
    rule = req.get("rule")
    if rule:
        condition = rule.get("condition") or {}
        kind = condition.get("type")
        if kind in (None, "CONDITION_TYPE_UNSPECIFIED"):
            raise bad("A data validation rule needs a condition type.")
        if kind in ("ONE_OF_LIST", "ONE_OF_RANGE") and not condition.get("values"):
            raise bad(f"{kind} condition requires at least one value.")
        if kind == "BOOLEAN" and len(condition.get("values", [])) not in (0, 1, 2):
            raise bad("BOOLEAN condition takes zero, one or two values.")
    for r in range(t.r0, t.r1):
        for c in range(t.c0, t.c1):
            _set_validation(t.sheet, r, c, rule)
    return {}


def add_conditional_format_rule(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    rule = copy.deepcopy(req.get("rule") or {})
    ranges = rule.get("ranges") or []
    if not ranges:
        raise bad("A conditional format rule needs at least one range.")
    if ("booleanRule" in rule) == ("gradientRule" in rule):
        raise bad("A conditional format rule needs exactly one of booleanRule or gradientRule.")
    sheets = {api.grid_target(book, g).sheet.sheet_id for g in ranges}
    if len(sheets) != 1:
        raise bad("All ranges of a conditional format rule must be on the same sheet.")
    for g in ranges:
        g.setdefault("sheetId", 0)
    sheet = book.sheet_by_id(sheets.pop())
    index = req.get("index", 0)
    if not 0 <= index <= len(sheet.conditional_formats):
        raise bad(f"Invalid index {index}: the sheet has {len(sheet.conditional_formats)} conditional formats.")
    sheet.conditional_formats.insert(index, rule)
    return {}


def delete_conditional_format_rule(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    sheet = book.sheet_by_id(req.get("sheetId", 0))
    index = req.get("index", 0)
    if not 0 <= index < len(sheet.conditional_formats):
        raise bad(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    rule = sheet.conditional_formats.pop(index)
    return {"deleteConditionalFormatRule": {"rule": rule}}


def sort_range(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    t = api.grid_target(book, req.get("range") or {})
    specs = req.get("sortSpecs") or []
    if not specs:
        raise bad("At least one sort spec is required.")
    for spec in specs:
        if "dataSourceColumnReference" in spec or "backgroundColor" in spec or "foregroundColor" in spec:
            raise ApiError(501, "Sorting by colour or data source column is not implemented by the test server.")
        if not t.c0 <= spec.get("dimensionIndex", 0) < t.c1:
            raise bad(f"dimensionIndex {spec.get('dimensionIndex', 0)} is outside the sorted range.")
    t.sheet._sort(t.r0, t.r1, t.c0, t.c1, specs)
    return {}


# ------------------------------------------------------------------ developer metadata


def create_developer_metadata(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    dm = req.get("developerMetadata") or {}
    if not dm.get("metadataKey"):
        raise bad("Developer metadata must have a key.")
    visibility = dm.get("visibility")
    if visibility in (None, "DEVELOPER_METADATA_VISIBILITY_UNSPECIFIED"):
        raise bad("Developer metadata visibility must be specified.")
    if "location" not in dm:
        raise bad("Developer metadata must have a location.")
    loc = api.location(book, dm["location"], single=True)
    metadata_id = dm.get("metadataId")
    if metadata_id is None:
        metadata_id = book.new_metadata_id()
    elif metadata_id <= 0:
        raise bad("Developer metadata id must be positive.")
    elif any(m.metadata_id == metadata_id for m in book.metadata):
        raise bad(f"Developer metadata with ID {metadata_id} already exists.")
    m = DeveloperMetadata(metadata_id, dm["metadataKey"], dm.get("metadataValue"), visibility,
                          loc.location_type, loc.sheet_id, loc.start, loc.end)
    book.metadata.append(m)
    return {"createDeveloperMetadata": {"developerMetadata": m.to_json()}}


def delete_developer_metadata(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    if not req.get("dataFilter"):
        raise bad("A data filter is required.")
    found = api.filter_metadata(book, req["dataFilter"])
    book.metadata[:] = [m for m in book.metadata if m not in found]
    reply = {"deletedDeveloperMetadata": [m.to_json() for m in found]} if found else {}
    return {"deleteDeveloperMetadata": reply}


def update_developer_metadata(api: SheetsApi, book: Spreadsheet, req: dict) -> dict:
    mask = _fields(req)
    new = req.get("developerMetadata") or {}
    if "*" in mask:
        mask = list(new)
    if masked(mask, "metadataId"):
        raise bad("metadataId cannot be updated.")
    found = []
    for f in req.get("dataFilters") or []:
        for m in api.filter_metadata(book, f):
            if m not in found:
                found.append(m)
    for m in found:
        for path in mask:
            if path == "metadataKey":
                if not new.get("metadataKey"):
                    raise bad("Developer metadata must have a key.")
                m.key = new["metadataKey"]
            elif path == "metadataValue":
                m.value = new.get("metadataValue")
            elif path == "visibility":
                m.visibility = new.get("visibility") or m.visibility
            elif path.startswith("location"):
                loc = api.location(book, new.get("location") or {}, single=True)
                m.location_type, m.sheet_id, m.start, m.end = loc.location_type, loc.sheet_id, loc.start, loc.end
            else:
                raise bad(f"Unknown field in fields: {path}")
    reply = {"developerMetadata": [m.to_json() for m in found]} if found else {}
    return {"updateDeveloperMetadata": reply}


HANDLERS = {
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "appendDimension": append_dimension,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "setDataValidation": set_data_validation,
    "addConditionalFormatRule": add_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "sortRange": sort_range,
    "createDeveloperMetadata": create_developer_metadata,
    "deleteDeveloperMetadata": delete_developer_metadata,
    "updateDeveloperMetadata": update_developer_metadata,
}
