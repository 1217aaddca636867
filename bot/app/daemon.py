"""`fvma-bot run`: the daemon, `--once` and `--dry-run`.

Every job is wrapped: an exception is logged and the loop goes on (schedule does
not catch them). SIGTERM/SIGINT only set a flag; the cycle in flight finishes.
A lock file next to the state database keeps a second daemon out.
"""

import fcntl
import logging
import signal
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

import schedule

from bot.app.cycle import Cycle, Report
from bot.app.memory import give_back
from bot.app.wiring import make_bounce_source, make_cycle, open_store
from bot.config import Config, placeholders
from bot.core.values import PARIS
from bot.errors import BotError, ConfigError, SheetError, StateError

log = logging.getLogger(__name__)


class StateLock:
    """An exclusive `flock` on `<state>.lock`, released when the process ends, even by SIGKILL."""

    def __init__(self, state_path: Path):
        self.path = state_path.with_name(state_path.name + ".lock")
        self.handle = None

    def __enter__(self) -> "StateLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise StateError(f"another fvma-bot is already running on {self.path.with_suffix('')} "
                             f"(lock {self.path}); stop it first") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def now() -> datetime:
    return datetime.now(PARIS)


def run_command(config: Config, once: bool = False, dry_run: bool = False, out: TextIO | None = None) -> int:
    left = placeholders(config)
    if left:
        raise ConfigError(f"still « … » in the configuration: {', '.join(left)} — fill them in "
                          f"(`fvma-bot doctor` checks the whole configuration)")
    if dry_run:
        return dry_run_cycle(config, out or sys.stdout)
    with StateLock(config.path(config.paths.state)):
        cycle = make_cycle(config)
        if once:
            report = cycle.run(now())
            log.info("cycle done: %s", summary(report))
            return 0
        Daemon(cycle, config).serve()
    return 0


def dry_run_cycle(config: Config, out: TextIO) -> int:
    """Print the planned cell writes and e-mails; nothing is written, recorded or sent."""
    store = open_store(config)
    try:
        report = make_cycle(config, store).run(now(), dry_run=True)
    finally:
        store.close()
    out.write(f"Dry run: {report.rows} response(s); nothing written, nothing sent.\n")
    for line in report.events:
        out.write(f"  would send: {line}\n")
    for w in report.writes:
        cells = "; ".join(f"{k} = {v!r}" for k, v in w.cells.items())
        out.write(f"  would write row {w.row} ({w.dossier}): {cells}\n")
    if not report.events and not report.writes:
        out.write("  nothing to do\n")
    return 0


def summary(report: Report) -> str:
    return (f"{report.rows} rows, {len(report.new)} new, {len(report.events)} e-mails recorded, "
            f"{report.sent} sent, {report.failed} not sent, {len(report.writes)} rows written")


class Daemon:
    def __init__(self, cycle: Cycle, config: Config, clock: Callable[[], datetime] = now):
        self.cycle, self.config, self.clock = cycle, config, clock
        self.stopping = False
        self.scheduler = schedule.Scheduler()
        self.cycle_started: datetime | None = None     # local naive time, as schedule keeps it
        self.local_now: Callable[[], datetime] = datetime.now
        self.monotonic: Callable[[], float] = time.monotonic
        self.last_seen: tuple[datetime, float] | None = None   # (local time, monotonic) at the last loop

    def stop(self, *_: object) -> None:
        log.info("stop requested; finishing the job in flight")
        self.stopping = True

    def serve(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        cycles = self.scheduler.every(self.config.schedule.poll_every).seconds.do(self.guarded("cycle", self.run_cycle))
        self.extra_jobs()
        log.info("fvma-bot running: a cycle every %ss", self.config.schedule.poll_every)
        self.follow_clock()           # from now on: the first cycle, the adoption of a season, can be long
        self.guarded("cycle", self.run_cycle)()
        while not self.stopping:
            self.follow_clock()
            self.scheduler.run_pending()
            self.keep_rate(cycles)
            idle = self.scheduler.idle_seconds     # wake up on time for the next job, and often enough to stop
            time.sleep(0.2 if idle is None else min(0.2, max(0.01, idle)))
        log.info("fvma-bot stopped")

    def extra_jobs(self) -> None:
        """The daily reminder and bounce polling (see bot.app.jobs and bot.app.bounces)."""
        from bot.app.jobs import schedule_mail_jobs

        schedule_mail_jobs(self, make_bounce_source(self.config))

    def follow_clock(self) -> None:
        """schedule reckons in the host's naive local time: when that goes back (the end of summer time on a
        host set to Europe/Paris, a clock correction), every job would wait as long again. Move the jobs back
        with it. (Jobs at a time of day keep their target: it is a local time on purpose.)"""
        wall, mono = self.local_now(), self.monotonic()
        if self.last_seen is not None:
            drift = (wall - self.last_seen[0]) - timedelta(seconds=mono - self.last_seen[1])
            if drift < -timedelta(seconds=30):
                for job in self.scheduler.jobs:
                    if job.next_run is not None and job.at_time is None:
                        job.next_run += drift
                if self.cycle_started is not None:
                    self.cycle_started += drift
                log.info("the local clock went back by %s; jobs rescheduled accordingly", -drift)
        self.last_seen = wall, mono

    def keep_rate(self, cycles: schedule.Job) -> None:
        """Start cycles every `poll_every` seconds, not `poll_every` seconds after the last one ended (schedule's
        way): a response then waits at most the interval plus its own cycle, however long cycles take. Starts
        are never closer than the interval, so the Sheets API quota holds."""
        if self.cycle_started is not None and cycles.next_run is not None:
            cycles.next_run = min(cycles.next_run,
                                  self.cycle_started + timedelta(seconds=self.config.schedule.poll_every))

    def run_cycle(self) -> None:
        self.cycle_started = self.local_now()
        report = self.cycle.run(self.clock())
        if report.events or report.writes or report.failed:
            log.info("cycle: %s", summary(report))

    def guarded(self, name: str, job: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            if self.stopping:
                return
            try:
                job()
            except SheetError as exc:
                log.warning("%s: sheet unavailable (%s); retried next cycle", name, exc)
            except BotError as exc:
                log.error("%s failed: %s", name, exc)
            except Exception:  # a job must never kill the daemon
                log.exception("%s failed unexpectedly; retried next time", name)
            finally:
                give_back()   # what the job read and rendered, freed, goes back to the system
        return run
