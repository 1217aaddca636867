"""A season's cycles, as one daemon process runs them, measured step by step.

For one implementation (the bot or the baseline), one sheet backend and one
size, a fresh sheet of `size` responses and a fresh state go through:

- `first`: the bot's first run on a sheet that already holds the season
  (columns created, every response numbered and checked, adopted without e-mail);
- `quiet`: nothing changed since;
- `change`: the lead wrote KO on every response: every row's Statut and Dernière
  action change and every student gets the KO e-mail;
- `quiet-after`: nothing changed since, with the season's e-mails on record.
"""

from datetime import datetime, timedelta
from pathlib import Path

from bot.core.values import PARIS

from benchmarks.lab import Lab, WorkerProcess, decide_workbook, workbook_values, write_workbook

T0 = datetime(2026, 11, 6, 9, 0, tzinfo=PARIS)
STEPS = ("first", "quiet", "change", "quiet-after")


def run_series(lab: Lab, impl: str, backend: str, rows: list[list[object]], log: Path,
               profile: Path | None = None) -> dict:
    """Measure the four steps; returns {"steps": {step: figures}, "cells": final sheet, "message_ids": [...]}.

    With `profile`, one more quiet cycle runs under cProfile, its statistics saved there (not measured)."""
    name = f"{impl}-{backend}-{len(rows) - 1}"
    if backend == "google":
        lab.add_google_sheet(name, rows)
        sheet = lab.google_sheet(name)
    else:
        workbook = lab.folder / name / "responses.xlsx"
        workbook.parent.mkdir(parents=True, exist_ok=True)
        write_workbook(workbook, rows)
        sheet = {"backend": "local", "local": {"path": str(workbook)}}
    # the embedded default pairs the local workbook with the outbox folder of .eml files
    mail = {} if backend == "google" else {"mail": {"backend": "outbox"}}
    config = lab.config_file(name, sheet, **mail)
    first_message = len(lab.smtp.messages)
    steps = {}
    with WorkerProcess(lab, config, impl, log) as worker:
        for minute, step in enumerate(STEPS):
            if step == "change":
                if backend == "google":
                    lab.decide_google(name, "KO")
                else:
                    decide_workbook(workbook, "KO")
            lab.google.reset_counts()
            lab.server_seconds = 0.0
            messages, connections = len(lab.smtp.messages), lab.smtp.connections
            figures = worker.ask(op="cycle", now=(T0 + timedelta(minutes=minute)).isoformat())
            if backend == "google":
                figures["reads"] = lab.google.count("read")
                figures["writes"] = lab.google.count("write")
            figures["server_seconds"] = lab.server_seconds
            figures["smtp_messages"] = len(lab.smtp.messages) - messages
            figures["smtp_connections"] = lab.smtp.connections - connections
            steps[step] = figures
        if profile is not None:
            worker.ask(op="cycle", now=(T0 + timedelta(minutes=len(STEPS))).isoformat(), profile=str(profile))
    cells = lab.google_values(name) if backend == "google" else workbook_values(workbook)
    message_ids = sorted(m.message_id or "" for m in lab.smtp.messages[first_message:])
    if lab.google.errors:
        raise RuntimeError("the Sheets-API test server failed:\n" + "\n".join(lab.google.errors))
    return {"steps": steps, "cells": cells, "message_ids": message_ids}


def same_output(a: dict, b: dict) -> dict:
    """Whether two series left the same cells in their sheets and sent the same e-mails."""
    return {"cells": _normalised(a["cells"]) == _normalised(b["cells"]),
            "emails": a["message_ids"] == b["message_ids"], "email_count": len(a["message_ids"])}


def _normalised(grid: list[list[object]]) -> list[list[object]]:
    """Rows without their trailing empty cells (a grid pads them, a values read does not)."""
    out = []
    for row in grid:
        row = list(row)
        while row and row[-1] in (None, ""):
            row.pop()
        out.append(row)
    return out
