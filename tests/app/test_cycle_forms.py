"""What only the `forms` intake does, through a whole cycle: writes that fail, the budget, the doctor.

The scenarios both Google intakes share are in test_scenarios.py; the forms adapter's own
tests in tests/test_sheet_forms.py.
"""

import io
import json

import pytest

from bot.app.doctor import run_doctor
from bot.app.wiring import make_cycle
from bot.errors import ConfigError, SheetError
from tests.app.conftest import ROOT, at, outbox_keys
from tests.app.intakes import FormAndReview


def test_a_response_row_written_after_a_failed_write_is_not_lost_nor_numbered_twice(google, make_config,
                                                                                   sample_rows, tmp_path):
    intake = FormAndReview(google, make_config, sample_rows)
    cycle = make_cycle(intake.config)
    google.fail_next(400, match=lambda info: info.method_id == "sheets.spreadsheets.batchUpdate"
                     and "insertDimension" in json.dumps(info.body))
    with pytest.raises(SheetError):
        cycle.run(at(6))
    assert len(intake.values()) == 1 and len(outbox_keys(tmp_path / "outbox")) == 22
    cycle.run(at(6, 10))
    assert sorted(r["N° dossier"] for r in intake.rows()) == [f"FVMA-2026-{i:04d}" for i in range(1, 13)]
    assert len(outbox_keys(tmp_path / "outbox")) == 22   # no dossier numbered twice, no e-mail twice
    assert intake.row(0)["Statut"] == "En attente de décision"
    cycle.store.close()


def test_bot_cells_and_new_rows_in_one_cycle_cost_one_read_and_two_writes(google, make_config, sample_rows):
    intake = FormAndReview(google, make_config, sample_rows, count=11)
    cycle = make_cycle(intake.config)
    cycle.run(at(6))
    intake.set(1, "Décision", "OK")
    intake.submit(intake.samples[11], when=at(6, 9).replace(minute=30))
    google.reset_counts()
    cycle.run(at(6, 10))
    assert (google.count("read", api="sheets"), google.count("write")) == (1, 2)
    assert intake.row(1)["Statut"] == "Validé — notifications envoyées"
    assert intake.row(11)["Statut"] == "En attente de décision"
    cycle.store.close()


def test_the_doctor_reads_the_form_and_the_review_sheet(google, make_config, sample_rows, tmp_path, monkeypatch):
    intake = FormAndReview(google, make_config, sample_rows)
    path = tmp_path / "config.toml"
    path.write_text(_forms_config(intake), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    run_doctor(str(path), out)
    assert "✔ sheet: 12 rows, every required question found" in out.getvalue()
    assert google.count("write") == 0


def test_the_doctor_names_a_required_question_the_form_lacks(google, make_config, sample_rows, tmp_path):
    intake = FormAndReview(google, make_config, sample_rows)
    google.remove_question("form-1", "SIRET")
    path = tmp_path / "config.toml"
    path.write_text(_forms_config(intake), encoding="utf-8")
    out = io.StringIO()
    assert run_doctor(str(path), out) == 1
    assert "the form asks no question matching SIRET — rename the question" in out.getvalue()


def test_a_forms_intake_without_a_form_id_says_where_to_find_it(make_config):
    config = make_config(sheet={"backend": "forms", "forms": {"review_spreadsheet_id": "x"}})
    with pytest.raises(ConfigError, match=r"\[sheet.forms\].form_id is empty.*docs.google.com/forms/d/<form_id>/edit"):
        make_cycle(config)


def _forms_config(intake) -> str:
    f, g = intake.config.sheet.forms, intake.config.sheet.google
    return (ROOT / "config.example.toml").read_text(encoding="utf-8").replace(
        'backend = "local"                # "local"', 'backend = "forms"                # "local"').replace(
        'credentials_file = ""', f'credentials_file = "{g.credentials_file}"').replace(
        'api_endpoint = ""', f'api_endpoint = "{g.api_endpoint}"').replace(
        'form_id = ""', f'form_id = "{f.form_id}"').replace(
        'review_spreadsheet_id = ""', f'review_spreadsheet_id = "{f.review_spreadsheet_id}"')
