"""Pictures of the demo workbook for docs/guide-responsable.md: the columns the lead works in.

    python scripts/screenshot_workbook.py [--out docs/images]

Runs `fvma-bot demo` in a temporary folder, then, on a copy of its workbook, hides the form's
columns except the student's name and the contract type, colours the Statut cells as the Google
backend colours them in the real sheet (bot/adapters/sheet_google.py, STATUS_COLOURS), prints the
copy to PDF with LibreOffice (headless, landscape, fitted to the page's width) and the PDF to PNG
with pdftoppm; Pillow crops the white margins. No network.

Debian: apt-get install --no-install-recommends libreoffice-calc-nogui poppler-utils
"""

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook  # noqa: E402
from openpyxl.formatting.rule import FormulaRule  # noqa: E402
from openpyxl.styles import Alignment, Font, PatternFill  # noqa: E402
from PIL import Image, ImageChops  # noqa: E402

from bot.adapters.sheet import CACTUS, CHECK, COMMENT, DECISION, DOSSIER, LAST_ACTION, STATUS  # noqa: E402
from bot.adapters.sheet_google import STATUS_COLOURS  # noqa: E402
from bot.app.demo import run_demo  # noqa: E402
from bot.config import load  # noqa: E402
from bot.core.intake import find_column  # noqa: E402

# (file name, the columns shown with their widths in characters, the responses shown: None for all)
SHOTS = [
    ("classeur-vue-ensemble", {"Nom": 10, "Prénom": 9, "Type de contrat": 16, DOSSIER: 15, DECISION: 9,
                               CACTUS: 10, STATUS: 31}, None),
    ("classeur-controle-automatique", {"Nom": 10, "Prénom": 9, CHECK: 52, DECISION: 9, COMMENT: 26}, None),
    ("classeur-derniere-action", {"Nom": 10, "Prénom": 9, STATUS: 31, LAST_ACTION: 44}, None),
]
LINE_POINTS = 13


def hex_colour(rgb: tuple[float, float, float]) -> str:
    return "".join(f"{round(c * 255):02X}" for c in rgb)


def prepare(source: Path, target: Path, columns: dict[str, int], rows: tuple[int, ...] | None) -> None:
    """A copy of the workbook showing only `columns` (and only `rows`, 1 = the first response)."""
    book = load_workbook(source)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    shown = {find_column(header, name): width for name, width in columns.items()}
    for index in range(len(header)):
        dimension = sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter]
        dimension.hidden = index not in shown
        dimension.width = shown.get(index, dimension.width)
    for number, row in enumerate(sheet.iter_rows(), start=1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.font = Font(name="Liberation Sans", size=10, bold=number == 1)
        lines = max(_lines(row[i].value, width) for i, width in shown.items())
        sheet.row_dimensions[number].height = LINE_POINTS * lines + 3
        sheet.row_dimensions[number].hidden = bool(rows) and number > 1 and number - 1 not in rows
    _status_colours(sheet, find_column(header, STATUS) + 1)
    sheet.freeze_panes = None
    sheet.print_options.gridLines = True
    sheet.print_options.headings = True
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A3
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = sheet.page_margins.top = sheet.page_margins.bottom = 0.3
    book.save(target)


def _lines(value: object, width: int) -> int:
    """How many lines a wrapped cell takes (LibreOffice does not grow rows written by openpyxl)."""
    if value is None:
        return 1
    text = value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value)
    per_line = width * 14 // 10  # characters of Liberation Sans 10 pt per width unit, measured on these shots
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _status_colours(sheet, column: int) -> None:
    letter = sheet.cell(row=1, column=column).column_letter
    for text, colour in STATUS_COLOURS:
        fill = PatternFill("solid", start_color=hex_colour(colour), end_color=hex_colour(colour))
        sheet.conditional_formatting.add(f"{letter}2:{letter}{sheet.max_row}", FormulaRule(
            formula=[f'LEFT({letter}2,{len(text)})="{text}"'], fill=fill, stopIfTrue=True))


def to_png(xlsx: Path, png: Path, work: Path, dpi: int) -> None:
    subprocess.run(["soffice", f"-env:UserInstallation={(work / 'lo-profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(work), str(xlsx)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
    pdf = work / (xlsx.stem + ".pdf")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(work / xlsx.stem)], check=True, timeout=120)
    crop(work / (xlsx.stem + ".png"), png)


def crop(source: Path, target: Path, margin: int = 14) -> None:
    image = Image.open(source).convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, background).getbbox()
    if box:
        left, top, right, bottom = box
        image = image.crop((max(0, left - margin), max(0, top - margin),
                            min(image.width, right + margin), min(image.height, bottom + margin)))
    image.save(target, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--dpi", type=int, default=120)
    args = parser.parse_args(argv)
    for tool in ("soffice", "pdftoppm"):
        if not shutil.which(tool):
            parser.error(f"{tool} not found: apt-get install --no-install-recommends libreoffice-calc-nogui "
                         f"poppler-utils")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fvma-workbook-") as tmp:
        work = Path(tmp)
        run_demo(load(ROOT / "config.example.toml"), work / "demo", io.StringIO())
        for name, columns, rows in SHOTS:
            xlsx = work / f"{name}.xlsx"
            prepare(work / "demo" / "fvma-demo.xlsx", xlsx, columns, rows)
            png = args.out / f"{name}.png"
            to_png(xlsx, png, work, args.dpi)
            with Image.open(png) as image:
                print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}  {image.width}×{image.height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
