"""The process that runs the cycles being measured, as the daemon would: one process, cycle after cycle.

    python -m benchmarks.worker CONFIG.json {bot|baseline}

It builds the cycle (the bot's `make_cycle`, or the baseline's), prints one JSON
line `{"ready": true}`, then answers one JSON command per line on stdin with one
JSON line on stdout:

    {"op": "cycle", "now": "2026-11-06T09:00:00+01:00"}  → wall, CPU, memory, where the time went
    {"op": "cycle", "now": …, "profile": "FILE"}           → the same, under cProfile (stats saved to FILE)
    {"op": "smtp", "count": 1000}                          → the same message sent `count` times
    {"op": "quit"}

The servers live in the parent: this process's CPU time and memory are the
bot's alone. Memory is the process's resident set: `rss` before the command and
`peak` during it (Linux's VmHWM, reset before each command through
/proc/self/clear_refs; where that is refused, the peak since the process began).
"""

import cProfile
import json
import logging
import re
import sys
import time
from datetime import datetime
from pathlib import Path

PROTOCOL = sys.stdout
sys.stdout = sys.stderr  # anything else printed goes to stderr, never into the protocol

from bot.app.memory import give_back  # noqa: E402
from bot.app.wiring import make_cycle, smtp_settings  # noqa: E402
from bot.config import Config  # noqa: E402


class Timed:
    """A proxy adding up the wall time spent in some methods of the object it wraps."""

    def __init__(self, inner, prefix: str, methods: tuple[str, ...], totals: dict[str, float]):
        self._inner, self._prefix, self._methods, self._totals = inner, prefix, methods, totals

    def __getattr__(self, name):
        value = getattr(self._inner, name)
        if name not in self._methods:
            return value

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                key = f"{self._prefix}.{name}"
                self._totals[key] = self._totals.get(key, 0.0) + time.perf_counter() - start
        return timed

    def __enter__(self):
        self._inner.__enter__()
        return self

    def __exit__(self, *exc):
        return self._inner.__exit__(*exc)


def _status_mb(field: str) -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) / 1024


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(run) -> dict:
    """Run `run()` and return its wall and CPU time and the process's memory around it."""
    rss = _status_mb("VmRSS")
    per_command = reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "rss_mb": rss, "peak_mb": _status_mb("VmHWM"),
            "peak_per_command": per_command, **outcome}


class Worker:
    def __init__(self, config: Config, impl: str):
        self.config, self.impl = config, impl
        if impl == "bot":
            self.cycle = make_cycle(config)
        else:
            from benchmarks.baseline import make_naive_cycle

            self.cycle = make_naive_cycle(config)
        self.totals: dict[str, float] = {}
        self.cycle.sheet = Timed(self.cycle.sheet, "sheet", ("prepare", "read", "write"), self.totals)
        self.cycle.mailer = Timed(self.cycle.mailer, "mail", ("send",), self.totals)

    def run_cycle(self, now: str, profile: str | None = None) -> dict:
        self.totals.clear()

        def run():
            if profile:
                profiler = cProfile.Profile()
                report = profiler.runcall(self.cycle.run, datetime.fromisoformat(now))
                profiler.dump_stats(profile)
            else:
                report = self.cycle.run(datetime.fromisoformat(now))
            give_back()   # as the daemon does after each job
            return {"rows": report.rows, "new": len(report.new), "emails": len(report.events), "sent": report.sent,
                    "failed": report.failed, "rows_written": len(report.writes)}
        result = measure(run)
        result["split"] = dict(self.totals)
        return result

    def send_many(self, count: int) -> dict:
        """`count` copies of a real `ko` e-mail (each its own Message-ID), over the implementation's mailer."""
        messages = sample_messages(self.config, count)
        if self.impl == "bot":
            from bot.adapters.smtp import SmtpSender

            mailer = SmtpSender(smtp_settings(self.config))
        else:
            from benchmarks.baseline import NaiveSmtpMailer

            mailer = NaiveSmtpMailer(smtp_settings(self.config))

        def run():
            with mailer:
                for msg in messages:
                    mailer.send(msg)
            return {"messages": count}
        size = len(messages[0].as_bytes()) if messages else 0
        return {**measure(run), "message_bytes": size}


def sample_messages(config: Config, count: int) -> list:
    from bot.adapters.compose import build_message
    from bot.adapters.template_samples import sample_context
    from bot.adapters.templates import Renderer
    from bot.core.events import Event, Outgoing, Recipient, Role

    renderer = Renderer(config.path(config.paths.templates))
    people = config.people
    rendered = renderer.render(Event.KO, Role.STUDENT, sample_context(Event.KO, Role.STUDENT))
    when = datetime.fromisoformat("2026-11-06T09:00:00+01:00")
    out = []
    for i in range(count):
        person = Recipient(Role.STUDENT, f"etudiant{i:05d}@etu.univ-amu.fr", "Léa Martin")
        outgoing = Outgoing(f"FVMA-2026-{i:04d}", Event.KO, person, "")
        out.append(build_message(outgoing, rendered, sender=(people.sender_name, people.sender_email),
                                 reply_to=(people.lead_name, people.lead_email), domain=people.message_id_domain,
                                 thread=[], when=when))
    return out


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="worker %(levelname)s %(name)s: %(message)s")
    config = Config.model_validate(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    worker = Worker(config, argv[1])
    reply({"ready": True})
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "quit":
            break
        if command["op"] == "cycle":
            reply(worker.run_cycle(command["now"], command.get("profile")))
        elif command["op"] == "smtp":
            reply(worker.send_many(command["count"]))
        else:
            reply({"error": f"unknown op {command['op']!r}"})
    return 0


def reply(data: dict) -> None:
    PROTOCOL.write(json.dumps(data) + "\n")
    PROTOCOL.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
