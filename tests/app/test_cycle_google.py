"""The review cycle through the real gspread client against the loopback Sheets-API server."""

from pathlib import Path

import pytest

from bot.adapters.sheet import BOT_HEADERS
from bot.app.wiring import make_cycle
from tests.app.conftest import at, outbox_keys

SHEET = "sheet-1"


@pytest.fixture
def setup(google, make_config, sample_rows, tmp_path):
    google.add_spreadsheet(SHEET, rows=sample_rows)
    config = make_config(sheet={"backend": "google", "google": {
        "spreadsheet_id": SHEET, "credentials_file": str(google.key_file), "api_endpoint": google.url}})
    cycle = make_cycle(config)
    yield google, cycle, tmp_path / "outbox"
    cycle.store.close()


def table(google) -> list[dict]:
    """Each row by header; a cell under no header is keyed "" + its column number, so none is missed."""
    rows = google.sheet(SHEET).values()
    width = max(len(r) for r in rows)
    header = [h or f"#{i}" for i, h in enumerate(rows[0] + [None] * (width - len(rows[0])))]
    return [dict(zip(header, r + [None] * (width - len(r)))) for r in rows[1:]]


def column(google, name: str) -> int:
    return google.sheet(SHEET).values()[0].index(name)


def test_first_cycle_creates_the_columns_numbers_every_row_and_acknowledges(setup):
    google, cycle, outbox = setup
    cycle.run(at(6))
    rows = table(google)
    assert list(google.sheet(SHEET).values()[0][-7:]) == list(BOT_HEADERS)
    assert [r["N° dossier"] for r in rows] == [f"FVMA-2026-{i:04d}" for i in range(1, 13)]
    assert rows[0]["Statut"] == "En attente de décision" and rows[0]["Contrôle automatique"] == "Conforme"
    assert rows[3]["Statut"] == "Remplacé par le dossier FVMA-2026-0011"
    assert "FVMA-2026-0001.reception.etudiant" in outbox_keys(outbox)
    assert not google.formulas_written and not google.errors


def test_a_quiet_cycle_costs_one_read_and_no_write(setup):
    google, cycle, _ = setup
    cycle.run(at(6))
    google.reset_counts()
    cycle.run(at(6, 10))
    assert (google.count("read"), google.count("write")) == (1, 0)


def test_a_cycle_where_every_row_changes_costs_one_read_and_one_write(setup):
    google, cycle, _ = setup
    cycle.run(at(6))
    for line in range(2, 14):
        google.set_cell(SHEET, line, column(google, "Décision") + 1, "KO")
    google.reset_counts()
    cycle.run(at(6, 10))
    assert (google.count("read"), google.count("write")) == (1, 1)
    assert table(google)[5]["Statut"] == "À corriger — étudiant notifié"


def test_ok_on_a_professionalisation_contract_notifies_student_hr_and_feg_once(setup):
    google, cycle, outbox = setup
    cycle.run(at(6))
    google.set_cell(SHEET, 3, column(google, "Décision") + 1, "OK")
    cycle.run(at(6, 10))
    cycle.run(at(6, 11))
    keys = outbox_keys(outbox)
    assert [k for k in keys if k.startswith("FVMA-2026-0002.ok-pro")] == [
        "FVMA-2026-0002.ok-pro.etudiant", "FVMA-2026-0002.ok-pro.feg", "FVMA-2026-0002.ok-pro.rh"]
    assert table(google)[1]["Statut"] == "Validé — notifications envoyées"


def test_ok_and_cactus_together_send_both_steps_in_order(setup):
    google, cycle, outbox = setup
    cycle.run(at(6))
    google.set_cell(SHEET, 2, column(google, "Décision") + 1, "OK")
    google.set_cell(SHEET, 2, column(google, "CACTUS initialisé") + 1, True)
    cycle.run(at(6, 10))
    rows = cycle.store.outbox("FVMA-2026-0001")
    assert [r.event for r in rows if r.role == "etudiant"] == ["reception", "ok-apprentissage", "cactus"]
    assert table(google)[0]["Statut"] == "Validé — CACTUS initialisé, notifications envoyées"


def test_a_sort_between_read_and_write_puts_nothing_on_another_students_row(setup):
    google, cycle, _ = setup
    cycle.run(at(6))
    nom = column(google, "Nom")

    def sort_once(info, done=[]):
        if info.is_write and not done:
            done.append(1)
            google.sort_rows(SHEET, key=nom, reverse=True)
    google.before_request(sort_once)
    google.set_cell(SHEET, 2, column(google, "Décision") + 1, "KO")   # Léa Martin
    cycle.run(at(6, 10))
    for row in table(google):
        expected = "À corriger — étudiant notifié" if row["Nom"] == "Martin" else None
        if expected:
            assert row["Statut"] == expected
        else:
            assert row["Statut"] != "À corriger — étudiant notifié" or row["Décision"] == "KO"


def test_new_rows_are_tagged_safely_when_the_lead_sorts_during_the_first_cycle(setup):
    google, cycle, _ = setup
    nom = column(google, "Nom")

    def sort_after_first_write(info, seen=[]):
        if info.is_write:
            seen.append(1)
            if len(seen) == 2:   # after the columns' set-up, before the rows are tagged
                google.sort_rows(SHEET, key=nom)
    google.before_request(sort_after_first_write)
    cycle.run(at(6))
    cycle.run(at(6, 10))
    by_dossier = {r["N° dossier"]: r for r in table(google)}
    expected = {d.state.dossier: d.info["nom"] for d in cycle.store.dossiers().values()}
    assert {n: by_dossier[n]["Nom"] for n in expected} == expected


def test_a_column_inserted_before_the_bot_columns_between_cycles_is_harmless(setup):
    google, cycle, _ = setup
    cycle.run(at(6))
    google.insert_columns(SHEET, at=5)
    google.set_cell(SHEET, 1, 5, "Nouvelle question")
    google.set_cell(SHEET, 3, column(google, "Décision") + 1, "OK")
    cycle.run(at(6, 10))
    rows = table(google)
    assert rows[1]["Statut"] == "Validé — notifications envoyées"
    assert all(r.get("Nouvelle question") in (None, "") for r in rows)


def test_a_429_storm_is_waited_out_and_nothing_is_lost(setup, monkeypatch):
    google, cycle, outbox = setup
    monkeypatch.setattr("time.sleep", lambda s: None)
    google.fail_next(429, count=3, retry_after=1)
    cycle.run(at(6))
    assert len(outbox_keys(outbox)) == 22
    assert table(google)[0]["Statut"] == "En attente de décision"


def test_dry_run_writes_and_sends_nothing(setup):
    google, cycle, outbox = setup
    cycle.run(at(6))
    google.set_cell(SHEET, 3, column(google, "Décision") + 1, "OK")
    google.reset_counts()
    report = cycle.run(at(6, 10), dry_run=True)
    assert any("ok-pro" in e for e in report.events)
    assert google.count("write") == 0
    assert not [k for k in outbox_keys(outbox) if "ok-pro" in k]


def test_an_edit_after_the_decision_freezes_the_dossier(setup):
    google, cycle, outbox = setup
    cycle.run(at(6))
    google.set_cell(SHEET, 6, column(google, "Décision") + 1, "KO")
    cycle.run(at(6, 10))
    google.set_cell(SHEET, 6, column(google, "Intitulé et description de la mission") + 1, "Nouvelle mission")
    cycle.run(at(6, 11))
    assert table(google)[4]["Statut"] == "Modifié après décision"
    assert len([k for k in outbox_keys(outbox) if k.startswith("FVMA-2026-0005.ko")]) == 1


def shift_columns_before_the_write(google, change):
    """Run `change()` once, just before the cycle's values write reaches the server."""
    def hook(info, done=[]):
        if info.method_id == "sheets.spreadsheets.values.batchUpdateByDataFilter" and not done:
            done.append(1)
            change()
    google.before_request(hook)


@pytest.mark.parametrize("where", ["first", "before_bot_columns", "inside_bot_columns", "deleted"])
def test_columns_moved_between_read_and_write_are_put_right_and_nothing_is_sent_again(setup, where):
    google, cycle, outbox = setup
    if where == "deleted":
        google.insert_columns(SHEET, at=3)                              # a blank column the lead will delete
    cycle.run(at(6))
    if where == "deleted":                                              # room on the right: the write succeeds
        google.insert_columns(SHEET, at=len(google.sheet(SHEET).values()[0]) + 1)
    before = outbox_keys(outbox)
    original = {r["N° dossier"]: r for r in table(google)}
    google.set_cell(SHEET, 2, column(google, "Décision") + 1, "KO")      # Léa Martin, FVMA-2026-0001
    google.set_cell(SHEET, 3, column(google, "CACTUS initialisé") + 1, True)
    google.set_cell(SHEET, 4, column(google, "Commentaire") + 1, "à revoir")
    at_column = {"first": 1, "before_bot_columns": column(google, "N° dossier") + 1,
                 "inside_bot_columns": column(google, "CACTUS initialisé") + 1}.get(where)
    change = (lambda: google.delete_columns(SHEET, at=3)) if where == "deleted" else \
        (lambda: google.insert_columns(SHEET, at=at_column))
    shift_columns_before_the_write(google, change)
    cycle.run(at(6, 10))                                                 # its values land one column off
    cycle.run(at(6, 11))                                                 # the next read puts them right
    after = {r["N° dossier"]: r for r in table(google)}
    assert set(after) == set(original)
    original["FVMA-2026-0001"].update({"Décision": "KO", "Statut": "À corriger — étudiant notifié"})
    original["FVMA-2026-0002"]["CACTUS initialisé"] = True
    original["FVMA-2026-0003"]["Commentaire"] = "à revoir"
    for number, row in after.items():        # every cell as the lead left it, the bot's as they should be
        assert {h: v for h, v in row.items() if h != "Dernière action" and v is not None} == \
            {h: v for h, v in original[number].items() if h != "Dernière action" and v is not None}, number
    assert sorted(set(outbox_keys(outbox)) - set(before)) == ["FVMA-2026-0001.ko.etudiant"]
