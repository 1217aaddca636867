"""`fvma-bot demo`: the whole flow on the embedded default, with no account of any kind.

Builds a workbook from the bundled sample responses, runs a cycle, writes the
sample decisions into the workbook as the lead would, runs a second cycle, and
leaves the workbook and the `.eml` files for a person to open.
"""

import csv
import shutil
import tomllib
from datetime import datetime
from pathlib import Path
from typing import TextIO

from openpyxl import Workbook, load_workbook

from bot.adapters.sheet import CACTUS, COMMENT, DECISION, DOSSIER, STATUS
from bot.app.wiring import make_cycle, open_store
from bot.config import PACKAGE_ROOT, Config
from bot.core import values
from bot.core.fields import BY_KEY, Kind
from bot.core.intake import find_column, map_headers
from bot.core.values import PARIS

SAMPLES = PACKAGE_ROOT / "samples"
DEMO_NOW = datetime(2026, 10, 6, 9, 0, tzinfo=PARIS)


def run_demo(config: Config, folder: Path, out: TextIO) -> int:
    folder = folder.resolve()
    shutil.rmtree(folder / "outbox", ignore_errors=True)
    shutil.rmtree(folder / "state", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    workbook = folder / "fvma-demo.xlsx"
    build_workbook(SAMPLES / "fvma-reponses.csv", workbook)
    config = demo_config(config, folder)
    store = open_store(config)
    try:
        cycle = make_cycle(config, store)
        first = cycle.run(DEMO_NOW)
        out.write(f"Cycle 1 — {first.rows} réponses lues, {len(first.new)} dossiers créés, "
                  f"{first.sent} e-mails envoyés dans {config.mail.outbox.path}\n")
        apply_decisions(workbook, SAMPLES / "fvma-decisions.toml")
        out.write("Décisions d'exemple écrites dans le classeur (OK, KO, case CACTUS, une décision illisible).\n")
        second = cycle.run(DEMO_NOW.replace(hour=10))
        out.write(f"Cycle 2 — {second.sent} e-mails envoyés\n\n")
        print_table(workbook, out)
    finally:
        store.close()
    emls = sorted((folder / "outbox").glob("*.eml"))
    out.write(f"\nClasseur : {workbook}\n{len(emls)} e-mails (.eml) dans {folder / 'outbox'}\n")
    return 0


def demo_config(config: Config, folder: Path) -> Config:
    sheet = config.sheet.model_copy(update={"backend": "local", "local": config.sheet.local.model_copy(
        update={"path": str(folder / "fvma-demo.xlsx"), "worksheet": ""})})
    mail = config.mail.model_copy(update={"backend": "outbox", "outbox": config.mail.outbox.model_copy(
        update={"path": str(folder / "outbox")}), "imap": config.mail.imap.model_copy(update={"enabled": False})})
    paths = config.paths.model_copy(update={"state": str(folder / "state" / "fvma-bot.sqlite3")})
    sched = config.schedule.model_copy(update={"notify_since": datetime(2026, 5, 1, tzinfo=PARIS)})
    return config.model_copy(update={"sheet": sheet, "mail": mail, "paths": paths, "schedule": sched})


def build_workbook(source: Path, target: Path) -> None:
    """The sample CSV as a Google response sheet would hold it: real dates, numbers where Sheets makes them."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    headers = map_headers(rows[0])
    kinds = {index: BY_KEY[key].kind for key, index in headers.columns.items()}
    book = Workbook()
    sheet = book.active
    sheet.title = "Réponses au formulaire 1"
    sheet.append(rows[0])
    for row in rows[1:]:
        sheet.append([_typed(value, kinds.get(i)) for i, value in enumerate(row)])
    book.save(target)


def _typed(value: str, kind: Kind | None) -> object:
    if kind is Kind.DATETIME:
        return values.parse_datetime(value) or value
    if kind is Kind.DATE:
        return values.parse_date(value) or value
    if kind is Kind.STUDENT_NUMBER and value.isdigit():
        return int(value)
    return value


def apply_decisions(workbook: Path, decisions: Path) -> None:
    wanted = {d["email"]: d for d in tomllib.loads(decisions.read_text(encoding="utf-8"))["decision"]}
    book = load_workbook(workbook)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    email_col = map_headers(header).columns["email_etudiant"]
    cols = {name: find_column(header, name) for name in (DECISION, COMMENT, CACTUS)}
    for row in sheet.iter_rows(min_row=2):
        choice = wanted.pop(values.text(row[email_col].value), None)
        if choice is None:
            continue
        row[cols[DECISION]].value = choice["decision"]
        row[cols[COMMENT]].value = choice.get("commentaire") or None
        if choice.get("cactus"):
            row[cols[CACTUS]].value = "VRAI"
    book.save(workbook)


def print_table(workbook: Path, out: TextIO) -> None:
    sheet = load_workbook(workbook, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    fields = map_headers(header).columns
    dossier, status, decision = (find_column(header, n) for n in (DOSSIER, STATUS, DECISION))
    out.write(f"{'N° dossier':<16} {'Étudiant':<22} {'Décision':<10} Statut\n")
    for row in rows[1:]:
        name = f"{row[fields['prenom']]} {row[fields['nom']]}"
        out.write(f"{row[dossier] or '':<16} {name:<22} {values.text(row[decision] or ''):<10} {row[status]}\n")

