"""Fault suite: the season's cycles run while everything around the bot fails now and then.

Sheets API: 429/500/503 on 30 % of requests, slow answers. SMTP: 421 and 451
at every stage, dropped connections, a certificate the bot must refuse, one
address refused for good (550). IMAP: down for a while. The state file: full
for a while. Each cycle runs as the daemon runs it (`Daemon.guarded`), the clock
moving ten minutes per cycle; once the faults stop, the bot must have lost
nothing, sent nothing twice and left every cell right.
"""

import email
import logging
import random
from datetime import datetime, timedelta

import pytest
import trustme

from bot.adapters.smtp import SmtpSender
from bot.app.daemon import Daemon
from bot.app.imap_copy import SentCopier
from bot.app.wiring import imap_settings, make_cycle, smtp_settings
from bot.config import Config
from bot.core.values import PARIS
from tests.reliability.figures import record, scale
from tests.reliability.season import SHEET, Lead, expected, responses, wrong_cells
from tests.support.configs import example_with
from tests.support.google_server import GoogleServer
from tests.support.imap_server import make_imap_server
from tests.support.smtp_server import SmtpTestServer

CYCLES = scale(40, 400)
RESPONSES = scale(12, 60)
FULL = 1 << 30


@pytest.fixture
def world(tmp_path, monkeypatch):
    ca = trustme.CA()
    with GoogleServer() as google, SmtpTestServer(security="starttls", ca=ca) as smtp, \
            make_imap_server(tls=True, ca=ca) as imap:
        key = tmp_path / "service-account.json"
        key.write_text(__import__("json").dumps(google.service_account_info()))
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        trustme.CA().cert_pem.write_to_path(str(tmp_path / "other-ca.pem"))
        header, rows = responses(RESPONSES, seed=3)
        google.add_spreadsheet(SHEET, rows=[header])
        monkeypatch.setenv("FVMA_SMTP_PASSWORD", smtp.password)
        monkeypatch.setenv("FVMA_IMAP_PASSWORD", imap.password)
        config = Config.model_validate(example_with(
            sheet={"backend": "google", "google": {"spreadsheet_id": SHEET, "credentials_file": str(key),
                                                    "api_endpoint": google.url}},
            mail={"backend": "smtp",
                  "smtp": {"host": smtp.host, "port": smtp.port, "user": smtp.user, "timeout": 5,
                           "ca_file": str(tmp_path / "ca.pem")},
                  "imap": {"enabled": True, "host": imap.host, "port": imap.port, "security": "starttls",
                           "user": imap.user, "ca_file": str(tmp_path / "ca.pem"), "timeout": 5}},
            schedule={"notify_since": "2026-01-01T00:00:00+01:00", "retry_minutes": 5},
            paths={"state": str(tmp_path / "state.sqlite3")}))
        yield config, google, smtp, imap, rows, tmp_path


class Failures(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "bot.app.daemon":
            self.count += 1


def test_faults_everywhere_lose_nothing_and_duplicate_nothing(world):
    config, google, smtp, imap, rows, tmp_path = world
    cycle = make_cycle(config)
    now = datetime(2026, 10, 6, 9, 0, tzinfo=PARIS)
    daemon = Daemon(cycle, config, clock=lambda: now)
    job = daemon.guarded("cycle", daemon.run_cycle)
    failures = Failures()
    logging.getLogger("bot.app.daemon").addHandler(failures)
    lead, chance = Lead(google, rows, seed=11), random.Random(5)
    refused = None
    google.fail_rate(0.3, seed=9, retry_after=0.01)
    google.delay(0.05, match=lambda info: info.number % 7 == 0)
    good_mailer, good_copier = cycle.mailer, cycle.copier
    wrong_ca = smtp_settings(config).__class__(**{**vars(smtp_settings(config)),
                                                   "ca_file": str(tmp_path / "other-ca.pem")})
    down = imap_settings(config).__class__(**{**vars(imap_settings(config)), "port": 9})
    smtp_faults = 0
    try:
        for number in range(CYCLES):
            lead.act(budget=chance.randint(0, 3))
            if chance.random() < 0.3:
                stage = chance.choice(["mail", "rcpt", "data"])
                if chance.random() < 0.3:
                    smtp.drop_next(stage)
                else:
                    smtp.fail_next(stage, chance.choice([421, 451, 452]))
                smtp_faults += 1
            cycle.mailer = SmtpSender(wrong_ca) if number % 10 == 3 else good_mailer      # TLS failure
            cycle.copier = SentCopier(down) if number % 10 in (5, 6, 7) else good_copier   # IMAP down
            full = number % 10 == 8
            cycle.store.db.execute(f"PRAGMA max_page_count = {_pages(cycle) if full else FULL}")  # disk full
            if refused is None and number == CYCLES // 2:
                refused = _hr_address(google)
                if refused:
                    smtp.refuse_rcpt(refused, 550)
            job()
            now += timedelta(minutes=10)
        google.fail_rate(0)
        google.delay(0)
        cycle.mailer, cycle.copier = good_mailer, good_copier
        cycle.store.db.execute(f"PRAGMA max_page_count = {FULL}")
        while lead.act(budget=10):
            job()
            now += timedelta(minutes=10)
        for _ in range(8):        # retries fall due; statuses settle
            job()
            now += timedelta(hours=1)
    finally:
        logging.getLogger("bot.app.daemon").removeHandler(failures)

    sent = smtp.count_by_message_id()
    messages, _, _ = expected(google)
    refused_ids = {r.message_id for r in cycle.store.rejected()}
    problems = [p for p in wrong_cells(google, sent) if not _explained(p, refused_ids)]
    notices = [m for m in sent if ".rejet-adresse." in m]
    copies = {"".join(email.message_from_bytes(raw)["Message-ID"].split()) for raw in imap.messages("Sent")}
    injected = sum(1 for r in google.requests if r.fault)
    record("faults", "Fault suite: Sheets, SMTP, IMAP and the state file failing", {
        "cycles run": CYCLES,
        "Sheets API requests answered 429/500/503": injected,
        "SMTP faults injected (421/451/452, dropped connections)": smtp_faults,
        "cycles with an untrusted SMTP certificate": sum(1 for n in range(CYCLES) if n % 10 == 3),
        "cycles with IMAP down": sum(1 for n in range(CYCLES) if n % 10 in (5, 6, 7)),
        "cycles with the state file full": sum(1 for n in range(CYCLES) if n % 10 == 8),
        "cycles that failed and were retried (logged)": failures.count,
        "e-mails called for": len(messages),
        "addresses refused for good (550), reported to the lead": len(refused_ids),
        "e-mails lost": sum(1 for p in problems if p.startswith("lost:")),
        "Message-IDs delivered twice": sum(1 for n in sent.values() if n > 1),
        "sent messages without their copy in Sent": len(set(sent) - copies),
        "sheet cells wrong at the end": sum(1 for p in problems if not p.startswith(("lost:", "sent but"))),
    }, order=20)
    assert problems == [], "\n".join(problems[:20])
    assert max(sent.values()) == 1
    assert len(notices) == len([r for r in cycle.store.rejected() if r.role != "responsable"])
    assert set(sent) <= copies
    assert injected > 0 and smtp_faults > 0


def _pages(cycle) -> int:
    return cycle.store.db.execute("PRAGMA page_count").fetchone()[0]


def _hr_address(google) -> str | None:
    data = google.sheet(SHEET).values()
    col = data[0].index("Contact RH — e-mail")
    found = [r[col] for r in data[1:] if col < len(r) and r[col] and "@" in str(r[col])]
    return found[0] if found else None


def _explained(problem: str, refused_ids: set[str]) -> bool:
    """A message to an address refused for good is not lost: the row says so and the lead was told."""
    if problem.startswith("lost:"):
        return problem.removeprefix("lost: ") in refused_ids
    if problem.startswith("sent but not called for:"):
        return ".rejet-adresse." in problem
    return "Adresse rejetée" in problem
