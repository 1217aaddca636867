"""Tying rows to dossiers (bot.app.rows) when the `N° dossier` column holds something the bot did not write."""

from openpyxl import load_workbook

from bot.adapters.sheet import Snapshot
from bot.app.demo import build_workbook
from bot.app.rows import Answers, dossier_number, layout_of, read_rows
from bot.app.wiring import make_cycle
from bot.core import intake
from bot.core.intake import find_column
from tests.app.conftest import ROOT, at, outbox_keys
from tests.support.sheet_rows import sample_rows


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


# --- what a quiet cycle reuses ----------------------------------------------------------------------

def snapshot_of(grid: list[list[object]]) -> Snapshot:
    return Snapshot(grid[0], [(line, list(row)) for line, row in enumerate(grid[1:], start=2)])


def counting_parser(monkeypatch) -> list[int]:
    calls = [0]
    parse = intake.parse_response

    def counted(cells):
        calls[0] += 1
        return parse(cells)
    monkeypatch.setattr(intake, "parse_response", counted)
    return calls


def test_unchanged_answers_are_not_parsed_again_and_read_the_same(monkeypatch):
    grid = sample_rows()
    layout = layout_of(grid[0], {})
    calls, answers = counting_parser(monkeypatch), Answers()
    first = read_rows(snapshot_of(grid), layout, answers)
    parsed_once = calls[0]
    again = read_rows(snapshot_of(grid), layout, answers)
    assert parsed_once == len(first) > 0 and calls[0] == parsed_once
    assert [(r.revision, r.response) for r in again] == [(r.revision, r.response) for r in first]
    assert [(r.revision, r.response) for r in again] == \
        [(r.revision, r.response) for r in read_rows(snapshot_of(grid), layout)]


def test_an_edited_answer_is_read_afresh(monkeypatch):
    grid = sample_rows()
    layout = layout_of(grid[0], {})
    answers = Answers()
    before = read_rows(snapshot_of(grid), layout, answers)
    column = find_column(grid[0], "Entreprise (raison sociale)")
    grid[1][column] = "Entreprise corrigée"
    after = read_rows(snapshot_of(grid), layout, answers)
    assert after[0].revision != before[0].revision
    assert after[0].response.entreprise == "Entreprise corrigée"
    assert [r.revision for r in after[1:]] == [r.revision for r in before[1:]]


def test_a_value_equal_in_python_but_not_in_the_sheet_is_not_mistaken(monkeypatch):
    # True == 1 and hash(True) == hash(1): a cache keyed on the values' equality would give the edited row its
    # earlier reading.
    grid = sample_rows()
    layout = layout_of(grid[0], {})
    column = find_column(grid[0], "Numéro étudiant")
    answers = Answers()
    grid[1][column] = 1
    read_rows(snapshot_of(grid), layout, answers)
    grid[1][column] = True
    again = read_rows(snapshot_of(grid), layout, answers)
    fresh = read_rows(snapshot_of(grid), layout)
    assert again[0].revision == fresh[0].revision and again[0].response == fresh[0].response


def test_moved_columns_drop_what_was_kept(monkeypatch):
    grid = sample_rows()
    answers = Answers()
    read_rows(snapshot_of(grid), layout_of(grid[0], {}), answers)
    moved = [[row[1], row[0], *row[2:]] for row in grid]   # two form columns swap places
    calls = counting_parser(monkeypatch)
    again = read_rows(snapshot_of(moved), layout_of(moved[0], {}), answers)
    assert calls[0] == len(again)
    assert [r.response for r in again] == [r.response for r in read_rows(snapshot_of(grid), layout_of(grid[0], {}))]


def test_a_row_without_answers_stays_out_when_kept():
    grid = sample_rows()
    grid.insert(3, [""] * len(grid[0]))
    layout = layout_of(grid[0], {})
    answers = Answers()
    assert len(read_rows(snapshot_of(grid), layout, answers)) == len(grid) - 2
    assert len(read_rows(snapshot_of(grid), layout, answers)) == len(grid) - 2
