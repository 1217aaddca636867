"""The cycle with real mail servers: SMTP (aiosmtpd, STARTTLS + AUTH) and IMAP (Dovecot or pymap) on loopback.

Every message is counted at the SMTP server by Message-ID; bounces are real
delivery-status reports put in the IMAP folder the bot watches.
"""

import email
import email.policy
from datetime import timedelta

import pytest
import trustme
from openpyxl import load_workbook

from bot.adapters.imap import ImapMailbox
from bot.app.bounces import poll_bounces
from bot.app.demo import build_workbook
from bot.app.jobs import send_reminder_if_due
from bot.app.wiring import imap_settings, make_cycle
from tests.app.conftest import ROOT, at
from tests.support.dsn import dsn_for, out_of_office_for
from tests.support.imap_server import make_imap_server
from tests.support.smtp_server import SmtpTestServer

BOUNCES = "Rejets"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def imap_running(ca):
    with make_imap_server(tls=True, ca=ca) as server:
        yield server


@pytest.fixture
def imap(imap_running):
    imap_running.reset()
    imap_running.deliver(BOUNCES, b"From: a@b.example\r\nSubject: first\r\n\r\nnot a bounce\r\n")
    return imap_running


@pytest.fixture
def smtp(ca):
    with SmtpTestServer(security="starttls", ca=ca) as server:
        yield server


@pytest.fixture
def flow(make_config, tmp_path, smtp, imap, ca, monkeypatch):
    """A cycle on a local workbook of the sample responses, sending through `smtp`, copying to `imap`."""
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("FVMA_SMTP_PASSWORD", smtp.password)
    monkeypatch.setenv("FVMA_IMAP_PASSWORD", imap.password)
    book = tmp_path / "book.xlsx"
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", book)
    config = make_config(
        sheet={"backend": "local", "local": {"path": str(book)}},
        mail={"backend": "smtp",
              "smtp": {"host": smtp.host, "port": smtp.port, "security": "starttls", "user": smtp.user,
                       "ca_file": str(ca_file), "timeout": 5},
              "imap": {"enabled": True, "host": imap.host, "port": imap.port, "security": "starttls",
                       "user": imap.user, "ca_file": str(ca_file), "sent_folder": "Envoyés",
                       "bounce_folder": BOUNCES, "timeout": 5}})
    return Flow(config, book, smtp, imap)


class Flow:
    def __init__(self, config, book, smtp, imap):
        self.config, self.book, self.smtp, self.imap = config, book, smtp, imap
        self.cycle = make_cycle(config)

    def run(self, when):
        return self.cycle.run(when)

    def poll(self, when):
        return poll_bounces(self.cycle, ImapMailbox(imap_settings(self.config)), when)

    def rows(self) -> dict[str, dict]:
        rows = list(load_workbook(self.book).worksheets[0].iter_rows(values_only=True))
        by_name = (dict(zip(rows[0], r)) for r in rows[1:])
        return {r["Adresse e-mail"] + "|" + str(r["Horodateur"]): r for r in by_name}

    def row(self, student: str) -> dict:
        found = [r for r in self.rows().values() if r["Adresse e-mail"] == student]
        return max(found, key=lambda r: r["Horodateur"])

    def decide(self, student: str, decision: str, cactus: bool | None = None) -> None:
        book = load_workbook(self.book)
        sheet = book.worksheets[0]
        header = [c.value for c in sheet[1]]
        lines = [line for line in range(2, sheet.max_row + 1)
                 if sheet.cell(line, header.index("Adresse e-mail") + 1).value == student]
        line = max(lines, key=lambda n: sheet.cell(n, 1).value)
        sheet.cell(line, header.index("Décision") + 1, decision)
        if cactus is not None:
            sheet.cell(line, header.index("CACTUS initialisé") + 1, cactus)
        book.save(self.book)

    def received(self, event: str | None = None, to: str | None = None) -> list:
        return [m for m in self.smtp.messages
                if (event is None or f".{event}." in m.message_id) and (to is None or to in m.rcpt_tos)]


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


HUGO = "hugo.bernard@etu.univ-amu.fr"     # M1 Marseille, contrat de professionnalisation
LEA = "lea.martin@etu.univ-amu.fr"        # M2 Aix, contrat d'apprentissage


def test_every_reception_email_arrives_once_over_one_connection_with_a_copy_in_sent(flow):
    report = flow.run(at(6))
    counts = flow.smtp.count_by_message_id()
    assert report.sent == len(counts) > 0 and set(counts.values()) == {1}
    assert flow.smtp.connections == 1
    assert len(flow.received("reception", HUGO)) == 1
    sent_copies = {parsed(raw)["Message-ID"] for raw in flow.imap.messages("Envoyés")}
    assert sent_copies == set(counts)
    flow.run(at(6, 10))
    assert flow.smtp.count_by_message_id() == counts and flow.smtp.connections == 1


def test_a_decision_sends_its_emails_once_even_across_a_restart(flow):
    flow.run(at(6))
    flow.decide(HUGO, "OK")
    flow.run(at(7))
    flow.cycle = make_cycle(flow.config)          # a restart: new connections, same state file
    flow.run(at(7, 10))
    ok = flow.received("ok-pro")
    assert sorted(r for m in ok for r in m.rcpt_tos) == sorted(
        [HUGO, flow.row(HUGO)["Contact RH — e-mail"], flow.config.people.feg_email])
    assert max(flow.smtp.count_by_message_id().values()) == 1
    assert flow.row(HUGO)["Statut"] == "Validé — notifications envoyées"


def test_a_bounce_marks_the_row_and_tells_the_lead_once(flow):
    flow.run(at(6))
    flow.decide(HUGO, "OK")
    flow.run(at(7))
    hr = flow.row(HUGO)["Contact RH — e-mail"]
    [to_hr] = flow.received("ok-pro", hr)
    report = flow.poll(at(7, 10))          # the folder holds only an unrelated message so far
    assert report.read == 1 and report.bounced == []

    flow.imap.deliver(BOUNCES, out_of_office_for(to_hr.raw, hr))
    flow.imap.deliver(BOUNCES, dsn_for(to_hr.raw, hr))
    report = flow.poll(at(7, 11))
    assert report.read == 2 and len(report.bounced) == 1

    [notice] = flow.received("rejet-adresse")
    assert notice.rcpt_tos == (flow.config.people.lead_email,)
    body = parsed(notice.raw)
    assert hr in str(body["Subject"]) and flow.row(HUGO)["N° dossier"] in str(body["Subject"])
    text = body.get_body(("plain",)).get_content()
    assert "5.1.1" in text and "Hugo" in text
    flow.run(at(7, 12))
    assert flow.row(HUGO)["Statut"] == f"Adresse rejetée : {hr}"

    flow.imap.deliver(BOUNCES, dsn_for(to_hr.raw, hr))   # the same report delivered twice
    flow.poll(at(7, 13))
    flow.run(at(7, 14))
    assert len(flow.received("rejet-adresse")) == 1
    assert max(flow.smtp.count_by_message_id().values()) == 1


def test_a_new_uidvalidity_rereads_the_folder_without_telling_the_lead_twice(flow):
    flow.run(at(6))
    flow.decide(HUGO, "OK")
    flow.run(at(7))
    hr = flow.row(HUGO)["Contact RH — e-mail"]
    [to_hr] = flow.received("ok-pro", hr)
    flow.imap.deliver(BOUNCES, dsn_for(to_hr.raw, hr))
    flow.poll(at(7, 10))
    before = flow.cycle.store.get_meta("bounces.uidvalidity")

    renewed = flow.imap.renew_uidvalidity(BOUNCES)
    [to_student] = flow.received("ok-pro", HUGO)
    flow.imap.deliver(BOUNCES, dsn_for(to_student.raw, HUGO, diagnostic="550 5.2.1 Mailbox disabled"))
    report = flow.poll(at(7, 11))
    assert str(renewed) != before and flow.cycle.store.get_meta("bounces.uidvalidity") == str(renewed)
    assert report.read == 3 and len(report.bounced) == 1      # everything re-read, only the new bounce is new
    notices = flow.received("rejet-adresse")
    assert len(notices) == 2 and max(flow.smtp.count_by_message_id().values()) == 1


def test_a_refused_recipient_is_reported_and_the_others_are_sent(flow):
    flow.run(at(6))
    hr = flow.row(HUGO)["Contact RH — e-mail"]
    flow.smtp.refuse_rcpt(hr, 550)
    flow.decide(HUGO, "OK")
    flow.run(at(7))
    assert [m.rcpt_tos for m in flow.received("ok-pro")] == [(HUGO,), (flow.config.people.feg_email,)]
    [notice] = flow.received("rejet-adresse")
    assert hr in str(parsed(notice.raw)["Subject"])
    flow.run(at(7, 10))
    assert flow.row(HUGO)["Statut"] == f"Adresse rejetée : {hr}"
    flow.run(at(8))                                            # refused for good: never retried
    assert len(flow.received("ok-pro")) == 2 and len(flow.received("rejet-adresse")) == 1


def test_a_temporary_failure_shows_the_retry_time_then_sends_once(flow):
    flow.run(at(6))
    flow.decide(LEA, "OK")
    flow.smtp.fail_next("rcpt", 451)
    flow.run(at(7, 9))
    assert flow.received("ok-apprentissage") == []
    status = flow.row(LEA)["Statut"]
    retry = at(7, 9) + timedelta(minutes=flow.config.schedule.retry_minutes)
    assert status == f"Envoi en échec — nouvel essai à {retry.strftime('%H:%M')}"
    flow.run(at(7, 9) + timedelta(minutes=1))                  # too early: nothing sent
    assert flow.received("ok-apprentissage") == []
    flow.run(retry)
    assert len(flow.received("ok-apprentissage")) == 1
    assert flow.row(LEA)["Statut"] == "Validé — CACTUS à initialiser"


def test_the_reminder_lists_a_recent_bounce_and_waiting_dossiers(flow):
    flow.run(at(6))
    hr = flow.row(HUGO)["Contact RH — e-mail"]
    flow.smtp.refuse_rcpt(hr, 550)
    flow.decide(HUGO, "OK")
    flow.run(at(7))
    assert send_reminder_if_due(flow.cycle, at(8, 9))
    assert not send_reminder_if_due(flow.cycle, at(8, 15))          # once a day
    [rappel] = flow.received("rappel")
    text = parsed(rappel.raw).get_body(("plain",)).get_content()
    assert hr in text and flow.row(LEA)["N° dossier"] in text      # LEA is still waiting for a decision
    assert send_reminder_if_due(flow.cycle, at(20, 9))               # two weeks on: the bounce is old news
    later = parsed(flow.received("rappel")[-1].raw).get_body(("plain",)).get_content()
    assert hr not in later
