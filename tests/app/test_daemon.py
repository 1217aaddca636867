"""`fvma-bot run` as the daemon it is: a real process, stopped by signals, surviving its jobs' failures."""

import logging
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app.daemon import Daemon, StateLock
from bot.app.demo import build_workbook
from bot.app.memory import give_back
from bot.errors import SheetError, StateError
from tests.app.conftest import ROOT
from tests.app.test_mail_flow import BOUNCES, ca, imap, imap_running, smtp  # noqa: F401 (fixtures)
from tests.support.dsn import dsn_for
from tests.support.configs import write_config

@pytest.fixture
def setup(tmp_path) -> Path:
    write_config(tmp_path / "config.toml",
                 sheet={"backend": "local", "local": {"path": "book.xlsx"}},
                 mail={"backend": "outbox", "outbox": {"path": "outbox"}},
                 schedule={"poll_every": 5, "notify_since": "2026-01-01T00:00:00+01:00"},
                 paths={"state": "state/fvma.sqlite3"})
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", tmp_path / "book.xlsx")
    return tmp_path


def start(folder: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--config", str(folder / "config.toml"), *args],
                            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def numbered(book: Path) -> bool:
    try:
        rows = list(load_workbook(book, read_only=True).worksheets[0].iter_rows(values_only=True))
    except Exception:  # being saved right now
        return False
    return "N° dossier" in rows[0] and rows[1][rows[0].index("N° dossier")] == "FVMA-2026-0001"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_daemon_stops_cleanly_on_a_signal_after_its_first_cycle(setup, sig):
    daemon = start(setup)
    try:
        wait_for(lambda: numbered(setup / "book.xlsx") and len(list((setup / "outbox").glob("*.eml"))) > 0)
        daemon.send_signal(sig)
        _, err = daemon.communicate(timeout=20)
    finally:
        daemon.kill()
    assert daemon.returncode == 0, err
    assert "stop requested" in err and "fvma-bot stopped" in err
    assert "Traceback" not in err


def test_a_second_daemon_on_the_same_state_is_refused_with_a_clear_message(setup):
    first = start(setup)
    try:
        wait_for(lambda: numbered(setup / "book.xlsx"))
        second = start(setup)
        _, err = second.communicate(timeout=20)
        assert second.returncode == 2
        assert "another fvma-bot is already running" in err and "stop it first" in err
        assert first.poll() is None                      # the first one goes on
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=20)
    assert first.returncode == 0


def test_the_daemon_survives_a_broken_workbook_and_carries_on_once_it_is_fixed(setup):
    good = (setup / "book.xlsx").read_bytes()
    (setup / "book.xlsx").write_bytes(b"this is not a workbook")
    daemon = start(setup)
    try:
        time.sleep(2)                                    # the first cycle fails
        assert daemon.poll() is None
        (setup / "book.xlsx").write_bytes(good)
        wait_for(lambda: numbered(setup / "book.xlsx"))  # the next cycle works
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=20)
    finally:
        daemon.kill()
    assert "not a readable XLSX workbook" in err and "retried next cycle" in err
    assert daemon.returncode == 0


def test_the_lock_is_released_when_its_holder_is_killed(setup):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from bot.app.daemon import StateLock; held = StateLock(Path(sys.argv[1])).__enter__(); "
                               "print('locked', flush=True); time.sleep(60)", str(setup / "s.db")],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StateError, match="already running"), StateLock(setup / "s.db"):
            pass
    finally:
        holder.kill()
        holder.wait()
    with StateLock(setup / "s.db"):                      # SIGKILL released it
        pass


class FlakyCycle:
    def __init__(self, failures):
        self.failures, self.runs = list(failures), 0

    def run(self, now):
        self.runs += 1
        if self.failures:
            raise self.failures.pop(0)
        return type("Report", (), {"events": [], "writes": [], "failed": 0})()


def test_every_kind_of_job_failure_is_logged_and_the_next_run_happens(make_config, caplog):
    cycle = FlakyCycle([SheetError("429 quota"), RuntimeError("bug"), StateError("disk full")])
    daemon = Daemon(cycle, make_config())
    job = daemon.guarded("cycle", daemon.run_cycle)
    with caplog.at_level(logging.INFO):
        for _ in range(4):
            job()
    assert cycle.runs == 4
    messages = [r.getMessage() for r in caplog.records]
    assert any("sheet unavailable (429 quota); retried next cycle" in m for m in messages)
    assert any("failed unexpectedly" in m for m in messages)
    assert any("cycle failed: disk full" in m for m in messages)
    daemon.stop()
    job()
    assert cycle.runs == 4                               # once stopping, no new job starts


class SlowCycle:
    """A cycle taking `seconds`, noting when each one starts."""

    def __init__(self, seconds: float):
        self.seconds, self.starts = seconds, []

    def run(self, now):
        self.starts.append(time.monotonic())
        time.sleep(self.seconds)
        return type("Report", (), {"events": [], "writes": [], "failed": 0})()


def test_cycles_start_every_poll_interval_however_long_they_take(make_config):
    # schedule counts an interval from the end of the job: 0.6 s cycles every 1 s would start 1.6 s apart, and a
    # new response would wait for the interval *and* the cycle in flight before its own cycle.
    cycle = SlowCycle(0.6)
    daemon = Daemon(cycle, make_config(schedule={"poll_every": 1}))
    daemon.extra_jobs = lambda: None
    stopper = threading.Timer(4.4, daemon.stop)
    stopper.start()
    try:
        daemon.serve()
    finally:
        stopper.cancel()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    gaps = [b - a for a, b in zip(cycle.starts, cycle.starts[1:])]
    assert len(gaps) >= 3
    assert all(0.95 <= gap < 1.3 for gap in gaps), gaps   # 1 s, give or take a tick of the loop


def test_the_running_daemon_sends_decides_and_feeds_a_bounce_back_to_the_sheet(tmp_path, ca, imap, smtp,  # noqa: F811
                                                                               monkeypatch):
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    build_workbook(ROOT / "samples" / "fvma-reponses.csv", tmp_path / "book.xlsx")
    write_config(tmp_path / "config.toml",
                 sheet={"backend": "local", "local": {"path": "book.xlsx"}},
                 mail={"backend": "smtp",
                       "smtp": {"host": smtp.host, "port": smtp.port, "user": smtp.user, "ca_file": "ca.pem"},
                       "imap": {"enabled": True, "host": imap.host, "port": imap.port, "security": "starttls",
                                "user": imap.user, "ca_file": "ca.pem", "bounce_folder": BOUNCES}},
                 schedule={"poll_every": 1, "notify_since": "2026-01-01T00:00:00+01:00", "rappel_at": "23:59"},
                 paths={"state": "state/fvma.sqlite3"})
    monkeypatch.setenv("FVMA_SMTP_PASSWORD", smtp.password)
    monkeypatch.setenv("FVMA_IMAP_PASSWORD", imap.password)
    daemon = start(tmp_path)
    try:
        wait_for(lambda: numbered(tmp_path / "book.xlsx"))
        book = load_workbook(tmp_path / "book.xlsx")
        header = [c.value for c in book.worksheets[0][1]]
        book.worksheets[0].cell(3, header.index("Décision") + 1, "OK")          # Hugo Bernard, professionalisation
        book.save(tmp_path / "book.xlsx")
        wait_for(lambda: any(".ok-pro.rh" in (m.message_id or "") for m in smtp.messages))
        to_hr = next(m for m in smtp.messages if ".ok-pro.rh" in (m.message_id or ""))
        imap.deliver(BOUNCES, dsn_for(to_hr.raw, to_hr.rcpt_tos[0]))
        wait_for(lambda: any(".rejet-adresse." in (m.message_id or "") for m in smtp.messages))
        wait_for(lambda: _status(tmp_path / "book.xlsx", 3) == f"Adresse rejetée : {to_hr.rcpt_tos[0]}")
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=20)
    assert daemon.returncode == 0, err
    assert max(smtp.count_by_message_id().values()) == 1


def _status(book, line: int) -> str | None:
    try:
        sheet = load_workbook(book, read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    except Exception:  # being saved right now
        return None
    return rows[line - 1][list(rows[0]).index("Statut")]


def test_jobs_follow_the_local_clock_when_it_goes_back(make_config):
    # At the end of summer time a host on Europe/Paris goes from 03:00 back to 02:00: schedule's next runs,
    # in naive local time, would all be an hour away.
    daemon = Daemon(FlakyCycle([]), make_config(schedule={"poll_every": 60}))
    job = daemon.scheduler.every(60).seconds.do(lambda: None)
    before = datetime(2026, 10, 25, 2, 59, 50)
    clock = {"wall": before, "mono": 1000.0}
    daemon.local_now, daemon.monotonic = (lambda: clock["wall"]), (lambda: clock["mono"])
    job.next_run = before + timedelta(seconds=60)
    daemon.follow_clock()
    clock.update(wall=before + timedelta(seconds=20) - timedelta(hours=1), mono=1020.0)
    daemon.follow_clock()
    assert job.next_run == datetime(2026, 10, 25, 2, 0, 50)          # still 40 s away, not 1 h 40 s
    clock.update(wall=clock["wall"] + timedelta(seconds=30), mono=1050.0)
    daemon.follow_clock()                                             # time going on as usual moves nothing
    assert job.next_run == datetime(2026, 10, 25, 2, 0, 50)


def test_every_job_hands_its_freed_memory_back_even_when_it_fails(make_config, monkeypatch):
    given_back = []
    monkeypatch.setattr("bot.app.daemon.give_back", lambda: given_back.append(1))
    daemon = Daemon(FlakyCycle([RuntimeError("bug")]), make_config())
    job = daemon.guarded("cycle", daemon.run_cycle)
    job()
    job()
    assert len(given_back) == 2


def test_freed_memory_goes_back_where_the_c_library_is_glibc():
    assert give_back() is (platform.libc_ver()[0] == "glibc")


def test_the_clock_going_back_during_the_first_cycle_is_followed_too(make_config):
    # The first cycle (a whole season's adoption) can run across 03:00 → 02:00 at the end of summer time.
    clock = {"wall": datetime.now(), "mono": 1000.0}

    class AcrossTheChange(FlakyCycle):
        def run(self, now):
            if self.runs == 0:
                clock.update(wall=clock["wall"] - timedelta(hours=1) + timedelta(seconds=120), mono=1120.0)
            return super().run(now)

    cycle = AcrossTheChange([])
    daemon = Daemon(cycle, make_config(schedule={"poll_every": 60}))
    daemon.local_now, daemon.monotonic = (lambda: clock["wall"]), (lambda: clock["mono"])
    daemon.extra_jobs = lambda: None
    pending = daemon.scheduler.run_pending

    def one_turn():
        pending()
        daemon.stop()
    daemon.scheduler.run_pending = one_turn
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        daemon.serve()
    finally:
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
    assert cycle.runs == 2          # the next cycle was due: the first one lasted 2 minutes, not 2 minutes - 1 hour
