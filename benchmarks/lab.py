"""The servers the measured processes talk to, and the sheets and configurations they use.

Both servers run in the benchmark's own process, on loopback: the Sheets-API
server of the tests (it counts every API request as a read or a write) and the
aiosmtpd server of the tests (STARTTLS and AUTH required, like a real
submission port; it records when each message arrived). The measured
processes get a configuration file pointing at them, the SMTP password in an
environment variable and the test CA in `SSL_CERT_FILE`.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import Workbook, load_workbook

from bot.adapters.sheet import DECISION
from bot.core.intake import find_column
from tests.support.config_data import ROOT, config_data, merged
from tests.support.google_server import GoogleServer
from tests.support.smtp_server import SmtpTestServer

PASSWORD_ENV = "FVMA_BENCH_SMTP_PASSWORD"
ADOPT_BEFORE = "2026-11-01T00:00:00+01:00"   # every generated response is older: adopted silently


class Lab:
    def __init__(self, folder: Path):
        self.folder = folder
        self.google = GoogleServer()
        self.smtp = SmtpTestServer(security="starttls")

    def __enter__(self) -> "Lab":
        self.folder.mkdir(parents=True, exist_ok=True)
        # The test server copies the whole spreadsheet before each write request, to roll it back if the
        # request fails: O(rows) per request, a cost of the test server that Google does not have, which would
        # swamp the baseline's thousands of small writes. No fault is injected here: write in place.
        self.google._sheets_api.atomic = lambda book, fn: fn()
        self.google.start()
        self.smtp.start()
        self.server_seconds = 0.0   # time the Sheets-API server spent answering, to tell it from the client's
        handler = self.google._httpd.RequestHandlerClass

        def timed(serve):
            def run(request):
                start = time.perf_counter()
                try:
                    serve(request)
                finally:
                    self.server_seconds += time.perf_counter() - start
            return run
        for verb in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            setattr(handler, f"do_{verb}", timed(getattr(handler, f"do_{verb}")))
        self.key_file = self.folder / "service-account.json"
        self.key_file.write_text(json.dumps(self.google.service_account_info()), encoding="utf-8")
        self.ca_file = self.folder / "test-ca.pem"
        self.smtp.ca.cert_pem.write_to_path(str(self.ca_file))
        return self

    def __exit__(self, *exc) -> None:
        self.smtp.stop()
        self.google.stop()

    def env(self) -> dict[str, str]:
        return {**os.environ, PASSWORD_ENV: self.smtp.password, "SSL_CERT_FILE": str(self.ca_file),
                "PYTHONPATH": str(ROOT)}

    # --- configurations -----------------------------------------------------------------------------

    def config_file(self, name: str, sheet: dict, **sections) -> Path:
        """A configuration (JSON, the same data as config.toml) for the bot at `name`: `sheet` as given,
        SMTP to the loopback server, state under the lab's folder."""
        place = self.folder / name
        place.mkdir(parents=True, exist_ok=True)
        data = config_data(place, sheet=sheet, mail={"backend": "smtp", "smtp": {
            "host": self.smtp.host, "port": self.smtp.port, "security": "starttls", "user": self.smtp.user,
            "password_env": PASSWORD_ENV, "timeout": 60}}, schedule={"notify_since": ADOPT_BEFORE})
        data = merged(data, sections)
        path = place / "config.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def google_sheet(self, spreadsheet_id: str) -> dict:
        return {"backend": "google", "google": {"spreadsheet_id": spreadsheet_id,
                                                "credentials_file": str(self.key_file),
                                                "api_endpoint": self.google.url}}

    # --- sheets -------------------------------------------------------------------------------------

    def add_google_sheet(self, spreadsheet_id: str, rows: list[list[object]]) -> None:
        self.google.add_spreadsheet(spreadsheet_id, rows=rows, rows_count=len(rows) + 100)

    def google_values(self, spreadsheet_id: str) -> list[list[object]]:
        return self.google.sheet(spreadsheet_id).values()

    def decide_google(self, spreadsheet_id: str, decision: str) -> int:
        """The lead writes `decision` on every response; returns how many."""
        grid = self.google_values(spreadsheet_id)
        column = find_column(grid[0], DECISION) + 1
        for line in range(2, len(grid) + 1):
            self.google.set_cell(spreadsheet_id, line, column, decision)
        return len(grid) - 1


def write_workbook(path: Path, rows: list[list[object]]) -> None:
    """A local XLSX workbook holding `rows`, typed as the Google sheet holds them."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Réponses au formulaire 1"
    for row in rows:
        sheet.append(row)
    book.save(path)


def decide_workbook(path: Path, decision: str) -> int:
    book = load_workbook(path)
    sheet = book.worksheets[0]
    column = find_column([c.value for c in sheet[1]], DECISION) + 1
    for line in range(2, sheet.max_row + 1):
        sheet.cell(row=line, column=column, value=decision)
    book.save(path)
    return sheet.max_row - 1


def workbook_values(path: Path) -> list[list[object]]:
    return [list(r) for r in load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)]


class WorkerProcess:
    """One `benchmarks.worker` process: the bot (or the baseline) running cycles, as a daemon would."""

    def __init__(self, lab: Lab, config: Path, impl: str, log: Path):
        self.log = log.open("a", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker", str(config), impl], cwd=ROOT,
                                     env=lab.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        self._answer()

    def ask(self, **command) -> dict:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(10)
            raise RuntimeError(f"the worker stopped (exit {self.proc.returncode}); see {self.log.name}")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.close()
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self) -> "WorkerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

