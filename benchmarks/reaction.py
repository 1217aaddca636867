"""Reaction time of a running daemon: a response lands in the sheet → the student's acknowledgement
is accepted by the SMTP server.

The daemon (`benchmarks.daemon`: `fvma-bot run`) runs as its own process against
the test servers, on a sheet that already holds `size` responses (adopted
silently by its first cycle). Then, `samples` times, at a random moment of the
poll interval, a new response is appended to the sheet, as Google Forms does,
and the clock runs until the SMTP server has accepted the `reception` e-mail to
that student. Both ends are timed by the same clock, in this process.
"""

import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from bot.adapters.sheet import DOSSIER
from bot.core.intake import find_column
from bot.core.values import PARIS
from tests.support.config_data import ROOT
from tests.support.sheet_rows import EMAIL, student_row

from benchmarks.lab import ADOPT_BEFORE, Lab

ADOPTION_TIMEOUT = 3600.0
ANSWER_TIMEOUT = 300.0


def measure_reaction(lab: Lab, rows: list[list[object]], samples: int, poll: int, log: Path,
                     seed: int = 7) -> dict:
    size = len(rows) - 1
    name = f"daemon-{size}"
    lab.add_google_sheet(name, rows)
    config = lab.config_file(name, lab.google_sheet(name))
    rng = random.Random(seed)
    delays, started = [], time.monotonic()
    with log.open("a", encoding="utf-8") as err:
        daemon = subprocess.Popen([sys.executable, "-m", "benchmarks.daemon", str(config), str(poll)], cwd=ROOT,
                                  env=lab.env(), stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        try:
            _wait(lambda: _all_numbered(lab, name), daemon, ADOPTION_TIMEOUT, "the first cycle", 0.5)
            adopted = time.monotonic() - started
            for k in range(samples):
                time.sleep(rng.uniform(0, poll))
                row = student_row(rows[1 + k % size], 90000 + k, submitted=_submission_time())
                seen = len(lab.smtp.messages)
                sent = time.monotonic()
                line = lab.google.append_row(name, row)
                message = _wait(lambda: _message_to(lab, row[EMAIL], seen), daemon, ANSWER_TIMEOUT,
                                "the acknowledgement")
                delays.append(message.received_at - sent)
                _wait(lambda: _numbered(lab, name, line), daemon, ANSWER_TIMEOUT, "the sheet write", 0.05)
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(120)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
    ordered = sorted(delays)
    return {"poll": poll, "samples": delays, "median": ordered[len(ordered) // 2], "max": ordered[-1],
            "min": ordered[0], "first_cycle_seconds": adopted, "exit_code": daemon.returncode}


def _submission_time() -> datetime:
    """Now, as Google Forms stamps a response (Paris time, no zone), after the silent-adoption date."""
    now = datetime.now(PARIS).replace(tzinfo=None, microsecond=0)
    floor = datetime.fromisoformat(ADOPT_BEFORE).astimezone(PARIS).replace(tzinfo=None) + timedelta(minutes=1)
    return max(now, floor)


def _wait(found, daemon: subprocess.Popen, timeout: float, what: str, every: float = 0.002):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        if daemon.poll() is not None:
            raise RuntimeError(f"the daemon exited ({daemon.returncode}) while waiting for {what}")
        time.sleep(every)
    raise RuntimeError(f"no {what} within {timeout:.0f} s")


def _all_numbered(lab: Lab, name: str) -> bool:
    grid = lab.google_values(name)
    column = find_column(grid[0], DOSSIER)
    return column is not None and all(len(r) > column and r[column] for r in grid[1:])


def _numbered(lab: Lab, name: str, line: int) -> bool:
    grid = lab.google_values(name)
    column = find_column(grid[0], DOSSIER)
    return len(grid) >= line and len(grid[line - 1]) > column and bool(grid[line - 1][column])


def _message_to(lab: Lab, address: str, start: int):
    for message in lab.smtp.messages[start:]:
        if address in message.rcpt_tos:
            return message
    return None
