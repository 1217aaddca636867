"""Reading an exported responses file (CSV as Google Forms/Sheets export it, or XLSX) into rows."""

import codecs
import csv
import io
import logging
import zipfile
from pathlib import Path

from bot.errors import InputFileError

log = logging.getLogger(__name__)


def read_rows(path: Path) -> list[list[object]]:
    """All rows of the file, the header first; raises InputFileError with a reason a person can act on."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path)
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv(path)
    raise InputFileError(f"{path}: unsupported file type {suffix or '(none)'} — export the responses as CSV or XLSX")


def _read_csv(path: Path) -> list[list[object]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = raw.decode("utf-16")  # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves CSV in Windows-1252; Google never does. Accept it, say so.
        text = raw.decode("cp1252", errors="replace")
        log.warning("%s is not UTF-8; read as Windows-1252 (Latin-1)", path)
    if not text.strip():
        raise InputFileError(f"{path}: the file is empty")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputFileError(f"{path}: not a readable CSV file ({exc})") from None


def _read_xlsx(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputFileError(f"{path}: not a readable XLSX workbook ({exc})") from None
    try:
        if not workbook.worksheets:
            raise InputFileError(f"{path}: not a readable XLSX workbook (it has no worksheet)")
        # Read-only mode parses the sheet lazily: a damaged sheet fails here, with
        # whatever the XML parser raises.
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    except InputFileError:
        raise
    except Exception as exc:  # noqa: BLE001 — a damaged file must not end in a traceback
        raise InputFileError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    finally:
        workbook.close()
