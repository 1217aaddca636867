"""The `local` sheet backend: an XLSX workbook on disk (openpyxl), the embedded default."""

import logging
import os
import tempfile
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from bot.adapters.sheet import BOT_HEADERS, CACTUS, DECISION, DOSSIER, RowWrite, Snapshot, fingerprint
from bot.core import values
from bot.core.text import normalise
from bot.errors import SheetError

log = logging.getLogger(__name__)
_FILL = PatternFill("solid", fgColor="FFF2CC")


class LocalSheet:
    def __init__(self, path: Path, worksheet: str = ""):
        self.path = path
        self.worksheet = worksheet

    def _open(self):
        try:
            workbook = load_workbook(self.path)
        except FileNotFoundError:
            raise SheetError(f"{self.path}: no such workbook — check [sheet.local].path (for the embedded default, run `make demo` first)") from None
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise SheetError(f"{self.path}: not a readable XLSX workbook ({exc})") from None
        if self.worksheet and self.worksheet not in workbook.sheetnames:
            raise SheetError(f"{self.path}: no worksheet named {self.worksheet!r} "
                             f"(found: {', '.join(workbook.sheetnames)}) — check [sheet.local].worksheet")
        return workbook, workbook[self.worksheet] if self.worksheet else workbook.worksheets[0]

    def _save(self, workbook) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".fvma-", suffix=".xlsx", dir=self.path.parent)
        os.close(fd)
        try:
            workbook.save(tmp)
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise SheetError(f"{self.path}: cannot be saved ({exc.strerror}) — is it open with a lock, "
                             f"or the disk full?", transient=True) from None

    def prepare(self) -> None:
        workbook, sheet = self._open()
        header = [normalise(values.text(c.value)) if c.value is not None else "" for c in sheet[1]]
        missing = [h for h in BOT_HEADERS if normalise(h) not in header]
        if not missing:
            return
        last = max((i + 1 for i, h in enumerate(header) if h), default=0)
        for offset, name in enumerate(missing):
            cell = sheet.cell(row=1, column=last + offset + 1, value=name)
            cell.fill = _FILL
        columns = {h: i + 1 for i, c in enumerate(sheet[1]) if (h := values.text(c.value)) in BOT_HEADERS}
        self._validations(sheet, columns)
        for name, col in columns.items():
            sheet.column_dimensions[sheet.cell(row=1, column=col).column_letter].width = \
                {DOSSIER: 17, DECISION: 10, CACTUS: 12}.get(name, 40)
        self._save(workbook)
        log.info("%s: added columns %s", self.path, ", ".join(missing))

    @staticmethod
    def _validations(sheet, columns: dict[str, int]) -> None:
        for name, options in ((DECISION, '"OK,KO"'), (CACTUS, '"VRAI,FAUX"')):
            letter = sheet.cell(row=1, column=columns[name]).column_letter
            rule = DataValidation(type="list", formula1=options, allow_blank=True, showErrorMessage=True,
                                  errorTitle=name, error="Choisir une valeur de la liste.")
            rule.add(f"{letter}2:{letter}5000")
            sheet.add_data_validation(rule)

    def read(self) -> Snapshot:
        workbook, sheet = self._open()
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        workbook.close()
        header = rows[0] if rows else []
        return Snapshot(list(header), [(i, row) for i, row in enumerate(rows[1:], start=2)])

    def write(self, writes: list[RowWrite], fingerprint_columns: dict[str, int]) -> set[str]:
        if not writes:
            return set()
        workbook, sheet = self._open()
        header = [values.text(c.value) if c.value is not None else "" for c in sheet[1]]
        columns = {name: header.index(name) + 1 for name in BOT_HEADERS if name in header}
        by_dossier = {}
        for row, (value,) in enumerate(sheet.iter_rows(min_row=2, min_col=columns[DOSSIER], max_col=columns[DOSSIER],
                                                        values_only=True), start=2):
            if value:
                by_dossier[values.text(value)] = row
        written = set()
        last_row, width = sheet.max_row, sheet.max_column   # each call scans the whole sheet: ask once
        for w in writes:
            row = by_dossier.get(w.dossier)
            if row is None and w.bind:
                cells = next(sheet.iter_rows(min_row=w.row, max_row=w.row, max_col=width, values_only=True)) \
                    if w.row <= last_row else []
                if fingerprint(cells, fingerprint_columns) == w.fingerprint:
                    row = w.row
            if row is None:
                log.warning("dossier %s: its row was not found; its cells will be written next cycle", w.dossier)
                continue
            for name, value in w.cells.items():
                cell = sheet.cell(row=row, column=columns[name], value=value)
                cell.data_type = "s"  # RAW: never a formula, whatever the text
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            written.add(w.dossier)
        self._save(workbook)
        return written
