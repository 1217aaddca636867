"""How `fvma-bot doctor` reports: one line per step, ✔ / ⚠ / ✖, and a `→` fix under each ⚠ and ✖."""

import logging
from collections.abc import Callable
from typing import TextIO

from bot.errors import BotError

log = logging.getLogger(__name__)
OK, WARN, FAIL = "✔", "⚠", "✖"


class Trouble(BotError):
    """A problem and the fix doctor knows for it."""

    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.fix = fix


class Report:
    """Prints each step as it finishes; remembers how many failed."""

    def __init__(self, out: TextIO):
        self.out = out
        self.problems = 0
        self.warnings = 0
        self._later: list[tuple[str, str, str]] = []

    def warn(self, name: str, text: str, fix: str) -> None:
        """A warning, printed after the line of the step that found it."""
        self._later.append((name, text, fix))

    def step(self, name: str, check: Callable[[], str], fix: str) -> bool:
        """Run `check`; its string is the ✔ detail. A Trouble brings its own fix; other BotErrors get `fix`."""
        try:
            detail = check()
        except Trouble as exc:
            self._line(FAIL, name, str(exc), exc.fix)
            ok = False
        except BotError as exc:
            self._line(FAIL, name, str(exc), fix)
            ok = False
        except Exception as exc:  # doctor reports; it never dies of the problem it is looking at
            log.debug("doctor: %s", name, exc_info=True)
            self._line(FAIL, name, f"unexpected {type(exc).__name__}: {exc}",
                       f"{fix}\nif that does not help, run `fvma-bot -v doctor` and report the trace".strip())
            ok = False
        else:
            self._line(OK, name, detail)
            ok = True
        for later in self._later:
            self._line(WARN, *later)
        self._later.clear()
        return ok

    def _line(self, mark: str, name: str, text: str, fix: str = "") -> None:
        self.out.write(f"{mark} {name}{': ' + text if text else ''}\n")
        for line in fix.splitlines():
            self.out.write(f"    → {line}\n")
        self.problems += mark == FAIL
        self.warnings += mark == WARN

    def summary(self) -> None:
        if self.problems:
            self.out.write(f"\n{self.problems} problem(s) to fix (✖), then run `fvma-bot doctor` again.\n")
        elif self.warnings:
            self.out.write(f"\nReady, with {self.warnings} warning(s) (⚠) worth a look.\n")
        else:
            self.out.write("\nEverything is ready.\n")
