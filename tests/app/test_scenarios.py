"""The review cycle end to end, the same scenarios against both Google intakes.

`google`: the real gspread client on the form's response sheet. `forms`: the real
google-api-python-client on the Forms API and gspread on the review sheet the bot
owns. Both against the loopback server; one core, two intakes, the same behaviour.
"""

from datetime import datetime

import pytest

from bot.adapters.sheet import BOT_HEADERS
from bot.app.wiring import make_cycle
from bot.core import values
from tests.app.conftest import at, outbox_keys
from tests.app.intakes import INTAKES

LEA, HUGO, CHLOE, LUCAS, EMMA, INES, LUCAS_AGAIN = 0, 1, 2, 3, 4, 9, 10


@pytest.fixture(params=sorted(INTAKES))
def setup(request, google, make_config, sample_rows, tmp_path):
    intake = INTAKES[request.param](google, make_config, sample_rows)
    cycle = make_cycle(intake.config)
    yield intake, cycle, tmp_path / "outbox"
    cycle.store.close()
    assert not google.errors


def dossier(intake, n: int) -> str:
    return intake.row(n)["N° dossier"]


def sheets(google, kind: str) -> int:
    return google.count(kind, api="sheets")


def test_first_cycle_creates_the_columns_numbers_every_row_and_acknowledges(setup):
    intake, cycle, outbox = setup
    cycle.run(at(6))
    header = intake.values()[0]
    assert header[header.index("N° dossier"):][:7] == list(BOT_HEADERS)
    assert sorted(r["N° dossier"] for r in intake.rows()) == [f"FVMA-2026-{i:04d}" for i in range(1, 13)]
    assert intake.row(LEA)["Statut"] == "En attente de décision"
    assert intake.row(LEA)["Contrôle automatique"] == "Conforme"
    assert intake.row(LUCAS)["Statut"] == f"Remplacé par le dossier {dossier(intake, LUCAS_AGAIN)}"
    assert f"{dossier(intake, LEA)}.reception.etudiant" in outbox_keys(outbox)
    assert not intake.google.formulas_written


def test_a_quiet_cycle_costs_one_read_and_no_write(setup):
    intake, cycle, _ = setup
    cycle.run(at(6))
    intake.google.reset_counts()
    cycle.run(at(6, 10))
    assert (sheets(intake.google, "read"), intake.google.count("write")) == (1, 0)
    assert intake.google.count(api="forms") == (1 if intake.name == "forms" else 0)   # one responses.list


def test_a_cycle_where_every_row_changes_costs_one_read_and_one_write(setup):
    intake, cycle, _ = setup
    cycle.run(at(6))
    for n in range(12):
        intake.set(n, "Décision", "KO")
    intake.google.reset_counts()
    cycle.run(at(6, 10))
    assert (sheets(intake.google, "read"), sheets(intake.google, "write")) == (1, 1)
    assert intake.row(EMMA)["Statut"] == "À corriger — étudiant notifié"


def test_ok_on_a_professionalisation_contract_notifies_student_hr_and_feg_once(setup):
    intake, cycle, outbox = setup
    cycle.run(at(6))
    intake.set(HUGO, "Décision", "OK")
    cycle.run(at(6, 10))
    cycle.run(at(6, 11))
    number = dossier(intake, HUGO)
    assert [k for k in outbox_keys(outbox) if k.startswith(f"{number}.ok-pro")] == [
        f"{number}.ok-pro.etudiant", f"{number}.ok-pro.feg", f"{number}.ok-pro.rh"]
    assert intake.row(HUGO)["Statut"] == "Validé — notifications envoyées"


def test_ok_and_cactus_together_send_both_steps_in_order(setup):
    intake, cycle, _ = setup
    cycle.run(at(6))
    intake.set(LEA, "Décision", "OK")
    intake.set(LEA, "CACTUS initialisé", True)
    cycle.run(at(6, 10))
    rows = cycle.store.outbox(dossier(intake, LEA))
    assert [r.event for r in rows if r.role == "etudiant"] == ["reception", "ok-apprentissage", "cactus"]
    assert intake.row(LEA)["Statut"] == "Validé — CACTUS initialisé, notifications envoyées"


def test_a_sort_between_read_and_write_puts_nothing_on_another_students_row(setup):
    intake, cycle, _ = setup
    cycle.run(at(6))

    def sort_once(info, done=[]):
        if info.is_write and not done:
            done.append(1)
            intake.sort("Nom", reverse=True)
    intake.google.before_request(sort_once)
    intake.set(LEA, "Décision", "KO")
    cycle.run(at(6, 10))
    assert intake.values()[1][intake.column("Nom")] == "Simon"   # the sort did happen first
    for row in intake.rows():
        if row["Nom"] == "Martin":
            assert row["Statut"] == "À corriger — étudiant notifié"
        else:
            assert row["Statut"] != "À corriger — étudiant notifié"


def test_responses_arriving_while_the_lead_sorts_are_tied_to_their_own_rows(google, make_config, sample_rows,
                                                                             intake_name):
    intake = INTAKES[intake_name](google, make_config, sample_rows, count=6)
    cycle = make_cycle(intake.config)
    cycle.run(at(6))
    for minute, row in enumerate(intake.samples[6:]):
        intake.submit(row, when=at(6, 9).replace(minute=10 + minute))

    def sort_on_every_write(info):
        if info.is_write:
            intake.sort("Nom")
    google.before_request(sort_on_every_write)
    cycle.run(at(6, 10))
    cycle.run(at(6, 11))
    by_dossier = {r["N° dossier"]: r for r in intake.rows()}
    expected = {number: (info["nom"], info["prenom"]) for number, info in cycle.store.infos().items()}
    assert len(expected) == 12
    assert {n: (by_dossier[n]["Nom"], by_dossier[n]["Prénom"]) for n in expected} == expected
    cycle.store.close()
    assert not google.errors


def test_a_column_inserted_before_the_bot_columns_between_cycles_is_harmless(setup):
    intake, cycle, _ = setup
    cycle.run(at(6))
    intake.insert_column(before="Niveau", title="Nouvelle colonne")
    intake.set(HUGO, "Décision", "OK")
    cycle.run(at(6, 10))
    assert intake.row(HUGO)["Statut"] == "Validé — notifications envoyées"
    assert all(r.get("Nouvelle colonne") in (None, "") for r in intake.rows())


def test_a_429_storm_is_waited_out_and_nothing_is_lost(setup, monkeypatch):
    intake, cycle, outbox = setup
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)
    intake.google.fail_next(429, count=3, retry_after=1)
    intake.google.fail_next(429, count=2, retry_after=2, match=lambda info: info.api == intake.source_api)
    cycle.run(at(6))
    assert len(outbox_keys(outbox)) == 22
    assert intake.row(LEA)["Statut"] == "En attente de décision"
    assert slept == [1, 1, 1, 2, 2]


def test_dry_run_writes_and_sends_nothing(setup):
    intake, cycle, outbox = setup
    cycle.run(at(6))
    intake.set(HUGO, "Décision", "OK")
    intake.google.reset_counts()
    report = cycle.run(at(6, 10), dry_run=True)
    assert any("ok-pro" in e for e in report.events)
    assert intake.google.count("write") == 0
    assert not [k for k in outbox_keys(outbox) if "ok-pro" in k]


def test_an_edit_after_the_decision_freezes_the_dossier(setup):
    intake, cycle, outbox = setup
    cycle.run(at(6))
    intake.set(EMMA, "Décision", "KO")
    cycle.run(at(6, 10))
    intake.edit(EMMA, {"Intitulé et description de la mission": "Nouvelle mission"}, when=at(6, 10).replace(minute=30))
    cycle.run(at(6, 11))
    row = intake.row(EMMA)
    assert row["Statut"] == "Modifié après décision"
    assert row["Intitulé et description de la mission"] == "Nouvelle mission"
    assert len([k for k in outbox_keys(outbox) if k.startswith(f"{row['N° dossier']}.ko")]) == 1


def test_an_edit_before_the_decision_is_checked_again_on_the_same_row_and_dossier(setup):
    intake, cycle, outbox = setup
    cycle.run(at(6))
    number, before = dossier(intake, HUGO), len(intake.rows())
    intake.edit(HUGO, {"Date de début du contrat": datetime(2026, 11, 15).date()}, when=at(6, 10).replace(minute=30))
    cycle.run(at(6, 11))
    row = intake.row(HUGO)
    assert (row["N° dossier"], len(intake.rows())) == (number, before)
    assert "Le contrat doit débuter au plus tard le 01/11/2026" in row["Contrôle automatique"]
    assert "réponse modifiée : contrôle refait" in row["Dernière action"]
    assert row["Horodateur"] in ("06/10/2026 10:30:00", datetime(2026, 10, 6, 10, 30))
    assert [k for k in outbox_keys(outbox) if k.startswith(number)] == [f"{number}.reception.etudiant",
                                                                        f"{number}.reception.responsable"]


def test_a_later_response_gets_the_next_number_and_its_acknowledgement(setup):
    intake, cycle, outbox = setup
    cycle.run(at(6))
    late = list(intake.samples[0])
    late[1], late[2], late[4] = "jade.roux@etu.univ-amu.fr", "Roux", "22499999"
    intake.submit(late, when=at(6, 12))
    cycle.run(at(6, 13))
    assert dossier(intake, 12) == "FVMA-2026-0013"
    assert intake.row(12)["Statut"] == "En attente de décision"
    assert "FVMA-2026-0013.reception.etudiant" in outbox_keys(outbox)
    assert len(intake.rows()) == 13


@pytest.fixture(params=sorted(INTAKES))
def intake_name(request):
    return request.param


def test_the_intakes_hand_the_same_responses_to_the_core(google, make_config, sample_rows, tmp_path):
    """The same sample responses give the same checks and statuses through either intake."""
    seen = {}
    for name, intake_class in INTAKES.items():
        intake = intake_class(google, make_config, sample_rows)
        paths = intake.config.paths.model_copy(update={"state": str(tmp_path / f"{name}.sqlite3")})
        cycle = make_cycle(intake.config.model_copy(update={"paths": paths}))
        cycle.run(at(6))
        cycle.store.close()
        rows = intake.rows()
        person = {r["N° dossier"]: f"{r['Prénom']} {r['Nom']} {values.parse_datetime(r['Horodateur'])}" for r in rows}
        seen[name] = {person[r["N° dossier"]]: (r["Contrôle automatique"], _named(r["Statut"], person)) for r in rows}
    assert len(seen["forms"]) == 12 and seen["forms"] == seen["google"]


def _named(status: str, person: dict[str, str]) -> str:
    for number, who in person.items():
        status = status.replace(number, who)
    return status
