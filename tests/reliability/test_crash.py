"""Crash suite: the real daemon (`fvma-bot run`, 1-second poll) SIGKILLed at random moments through a season.

Between kills the "lead" appends responses, decides, ticks CACTUS, edits answers
and sorts the sheet on the Sheets-API test server. At the end the daemon runs
undisturbed until the sheet settles; then the SMTP server's count of deliveries
per Message-ID and the sheet are compared with what the season calls for.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import trustme

from tests.reliability.figures import record, scale
from tests.reliability.season import SHEET, Lead, expected, responses, shown_statuses, wrong_cells
from tests.support.configs import ROOT, write_config
from tests.support.google_server import GoogleServer
from tests.support.smtp_server import SmtpTestServer

KILLS = scale(12, 220)
RESPONSES = scale(12, 60)


@pytest.fixture
def world(tmp_path):
    ca = trustme.CA()
    with GoogleServer() as google, SmtpTestServer(security="starttls", ca=ca) as smtp:
        key = tmp_path / "service-account.json"
        key.write_text(json.dumps(google.service_account_info()))
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        header, rows = responses(RESPONSES)
        google.add_spreadsheet(SHEET, rows=[header])
        write_config(
            tmp_path / "config.toml",
            sheet={"backend": "google", "google": {"spreadsheet_id": SHEET, "credentials_file": str(key),
                                                    "api_endpoint": google.url}},
            mail={"backend": "smtp", "smtp": {"host": smtp.host, "port": smtp.port, "user": smtp.user,
                                              "ca_file": str(tmp_path / "ca.pem"), "timeout": 5}},
            schedule={"poll_every": 1, "notify_since": "2026-01-01T00:00:00+01:00", "rappel_at": "23:59"},
            paths={"state": str(tmp_path / "state" / "fvma.sqlite3")})
        yield tmp_path, google, smtp, rows


def start(folder, smtp) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FVMA_SMTP_PASSWORD": smtp.password}
    log = open(folder / "daemon.log", "a")
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--config", str(folder / "config.toml")],
                            cwd=folder, env=env, stdout=log, stderr=log)


def settle(folder, google, smtp, timeout: float = 90) -> None:
    """Run the daemon undisturbed until every dossier shows its expected status and the mail is all out."""
    daemon = start(folder, smtp)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            time.sleep(1.5)
            messages, statuses, _ = expected(google)
            if shown_statuses(google) == statuses and messages <= set(smtp.count_by_message_id()):
                time.sleep(1.5)    # one more cycle: nothing further may happen
                break
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)


def test_sigkills_at_random_moments_lose_nothing_and_misplace_nothing(world):
    folder, google, smtp, rows = world
    lead = Lead(google, rows)
    chance = random.Random(2026)
    kills = 0
    while kills < KILLS:
        daemon = start(folder, smtp)
        time.sleep(chance.uniform(0.3, 2.5))
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
        kills += 1
        lead.act(budget=chance.randint(1, 4))
    while lead.act(budget=10):      # what the season still calls for, with the daemon running between
        settle(folder, google, smtp, timeout=20)
    settle(folder, google, smtp)

    sent = smtp.count_by_message_id()
    problems = wrong_cells(google, sent)
    duplicated = {m: n for m, n in sent.items() if n > 1}
    messages, statuses, _ = expected(google)
    record("crash", "Crash suite: SIGKILL of the running daemon", {
        "SIGKILLs of `fvma-bot run` (1 s poll)": kills,
        "responses in the season": len(rows),
        "lead actions (decisions, CACTUS ticks, edits, sorts)": lead.actions,
        "e-mails called for": len(messages),
        "e-mails lost": sum(1 for p in problems if p.startswith("lost:")),
        "e-mails sent that were not called for": sum(1 for p in problems if p.startswith("sent but")),
        "Message-IDs delivered twice (the accepted-then-killed window)": len(duplicated),
        "extra deliveries in all": sum(n - 1 for n in duplicated.values()),
        "dossiers": len(statuses),
        "sheet cells wrong at the end": sum(1 for p in problems if not p.startswith(("lost:", "sent but"))),
    }, notes="A duplicate can only come from the one window no SMTP client can close: the server accepted "
             "the message and the process was killed before recording it. It is re-sent with the same "
             "Message-ID, so receiving systems can drop it.", order=10)
    assert problems == [], "\n".join(problems[:20])
    assert sum(n - 1 for n in duplicated.values()) <= kills
    assert len(statuses) == len(rows)
