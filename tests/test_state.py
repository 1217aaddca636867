"""The state database: the outbox's bookkeeping, file mode, and upgrading an older file."""

import sqlite3
import stat
from datetime import datetime, timezone

import pytest

from bot.adapters.state import StateStore, StoredDossier
from bot.core.review import DossierState
from bot.errors import StateError

NOW = datetime(2026, 10, 7, 9, 0, tzinfo=timezone.utc)


def store_with_one_message(path) -> StateStore:
    store = StateStore(path)
    with store.transaction() as db:
        store.add_intent(db, "FVMA-2026-0001.ok-pro.rh", "FVMA-2026-0001", "ok-pro", "rh", "rh@x.example",
                         "<fvma.FVMA-2026-0001.ok-pro.rh@miage.example.org>", b"raw", NOW)
    return store


def test_the_state_file_is_created_readable_by_its_owner_only(tmp_path):
    StateStore(tmp_path / "state.sqlite3").close()
    assert stat.S_IMODE((tmp_path / "state.sqlite3").stat().st_mode) == 0o600


def test_an_intent_is_recorded_once_whatever_the_number_of_tries(tmp_path):
    store = store_with_one_message(tmp_path / "s.db")
    with store.transaction() as db:
        again = store.add_intent(db, "FVMA-2026-0001.ok-pro.rh", "FVMA-2026-0001", "ok-pro", "rh", "other@x.example",
                                 "<other@x>", b"other", NOW)
    assert again is False and [r.address for r in store.outbox()] == ["rh@x.example"]


def test_a_bounce_finds_its_message_whatever_the_case_of_the_message_id(tmp_path):
    store = store_with_one_message(tmp_path / "s.db")
    assert store.by_message_id(" <FVMA.fvma-2026-0001.OK-PRO.rh@MIAGE.example.org> ").key == "FVMA-2026-0001.ok-pro.rh"
    assert store.by_message_id("<fvma.FVMA-2026-0002.ok-pro.rh@miage.example.org>") is None


def test_a_bounce_is_recorded_once(tmp_path):
    store = store_with_one_message(tmp_path / "s.db")
    with store.transaction() as db:
        first = store.mark_bounced(db, "FVMA-2026-0001.ok-pro.rh", "rh@x.example", "5.1.1", NOW)
        second = store.mark_bounced(db, "FVMA-2026-0001.ok-pro.rh", "rh@x.example", "5.1.1", NOW)
    assert (first, second) == (True, False)
    [row] = store.rejected()
    assert (row.bounced, row.error, row.bounced_at) == ("rh@x.example", "5.1.1", NOW.isoformat())


def test_a_permanent_smtp_refusal_counts_as_a_rejected_address(tmp_path):
    store = store_with_one_message(tmp_path / "s.db")
    store.mark_failed("FVMA-2026-0001.ok-pro.rh", "550 5.1.1 unknown", NOW)
    [row] = store.rejected()
    assert (row.status, row.bounced) == ("failed", "rh@x.example")
    assert store.due(NOW) == []


def test_a_state_file_from_the_first_version_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE outbox (key TEXT PRIMARY KEY, dossier TEXT NOT NULL, event TEXT NOT NULL, role TEXT NOT NULL,
            address TEXT NOT NULL, message_id TEXT NOT NULL, raw BLOB NOT NULL, status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, next_try TEXT NOT NULL, error TEXT, created TEXT NOT NULL,
            sent_at TEXT, copied INTEGER NOT NULL DEFAULT 0, bounced TEXT);
        INSERT INTO outbox(key, dossier, event, role, address, message_id, raw, status, next_try, created)
            VALUES ('k', 'FVMA-2026-0001', 'ko', 'etudiant', 'a@b.example', '<m@x>', x'00', 'sent', '', '');
    """)
    old.close()
    store = StateStore(path)
    [row] = store.outbox()
    assert (row.key, row.status, row.bounced_at) == ("k", "sent", None)


def test_due_messages_come_without_their_bodies_and_each_body_is_read_on_its_own(tmp_path):
    # a season's e-mails at ~12 KB each: listing them with their bodies held them all in memory at once
    store = store_with_one_message(tmp_path / "s.db")
    [due] = store.due(NOW)
    assert due.key == "FVMA-2026-0001.ok-pro.rh" and due.raw == b""
    assert store.body(due.key) == b"raw"
    store.mark_sent(due.key, NOW)
    [uncopied] = store.uncopied()
    assert uncopied.raw == b"" and store.body(uncopied.key) == b"raw"


def test_asking_for_the_body_of_an_unknown_message_says_which(tmp_path):
    store = store_with_one_message(tmp_path / "s.db")
    with pytest.raises(StateError, match="no e-mail recorded under FVMA-2026-0009.ko.etudiant"):
        store.body("FVMA-2026-0009.ko.etudiant")


def test_the_statuses_read_only_the_messages_in_trouble(tmp_path):
    store = store_with_one_message(tmp_path / "s.db")
    with store.transaction() as db:
        for n in (2, 3, 4):
            store.add_intent(db, f"FVMA-2026-000{n}.ko.etudiant", f"FVMA-2026-000{n}", "ko", "etudiant",
                             f"e{n}@x.example", f"<m{n}@x>", b"raw", NOW)
    assert store.troubled() == []                                     # pending, never tried: nothing to say
    store.mark_sending("FVMA-2026-0002.ko.etudiant")
    store.mark_retry("FVMA-2026-0002.ko.etudiant", NOW, "421 try later")
    store.mark_sending("FVMA-2026-0003.ko.etudiant")
    store.mark_sent("FVMA-2026-0003.ko.etudiant", NOW)
    store.mark_failed("FVMA-2026-0004.ko.etudiant", "550 unknown", NOW)
    assert [r.key for r in store.troubled()] == ["FVMA-2026-0002.ko.etudiant", "FVMA-2026-0004.ko.etudiant"]
    assert all(r.raw == b"" for r in store.troubled())


def stored(number: str, decision: str = "") -> StoredDossier:
    return StoredDossier.of(DossierState(number, "rev1", decision=decision), ("email:a@b.example",), None, False,
                            {"nom": "Martin", "action": "07/10/2026 11:00 — e-mails envoyés : étudiant"})


def test_dossiers_read_again_reflect_every_change_whoever_made_it(tmp_path):
    # the decoded dossiers are kept between cycles; a change by this store or by another connection is seen
    store = StateStore(tmp_path / "s.db")
    with store.transaction() as db:
        store.save_dossier(db, stored("FVMA-2026-0001"))
    first = store.dossiers()
    first.pop("FVMA-2026-0001")                                            # the caller's copy, not the store's
    assert list(store.dossiers()) == ["FVMA-2026-0001"]
    with store.transaction() as db:
        store.save_dossier(db, stored("FVMA-2026-0001", decision="OK"))
    assert store.dossiers()["FVMA-2026-0001"].state.decision == "OK"
    other = StateStore(tmp_path / "s.db")
    with other.transaction() as db:
        other.save_dossier(db, stored("FVMA-2026-0002"))
    other.mark_bound(["FVMA-2026-0001"])
    again = store.dossiers()
    assert sorted(again) == ["FVMA-2026-0001", "FVMA-2026-0002"] and again["FVMA-2026-0001"].bound


def test_a_dossier_read_back_shows_what_was_saved_and_its_last_action(tmp_path):
    store = StateStore(tmp_path / "s.db")
    with store.transaction() as db:
        store.save_dossier(db, stored("FVMA-2026-0001"))
    store.close()
    again = StateStore(tmp_path / "s.db")
    back = again.dossiers()["FVMA-2026-0001"]
    assert again.info("FVMA-2026-0001") == {"nom": "Martin", "action": "07/10/2026 11:00 — e-mails envoyés : étudiant"}
    assert again.infos() == {"FVMA-2026-0001": again.info("FVMA-2026-0001")} and again.info("FVMA-2026-0009") == {}
    assert back.action == "07/10/2026 11:00 — e-mails envoyés : étudiant"
    assert (back.state, back.bound) == (stored("FVMA-2026-0001").state, False)


def test_a_dossier_saved_in_a_transaction_that_failed_is_not_seen(tmp_path):
    store = StateStore(tmp_path / "s.db")
    store.dossiers()
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
            store.save_dossier(db, stored("FVMA-2026-0001"))
            raise RuntimeError("crash before commit")
    assert store.dossiers() == {}
