"""A scripted season on the Sheets-API test server, and what the sheet and the mail server must show after it.

Distinct students submit responses; once the bot has numbered a row the "lead"
decides (OK or KO), ticks CACTUS on validated apprenticeships, edits undecided
answers and sorts the sheet. The expected e-mails and statuses follow from the
final sheet alone, so any schedule of cycles, kills and faults can be checked
against them.
"""

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

from bot.core import values
from bot.core.values import PARIS

ROOT = Path(__file__).resolve().parents[2]
SHEET = "saison"
DOMAIN = "miage.example.org"
APPRENTICESHIP = "Contrat d'apprentissage"
STATUS = {None: "En attente de décision", "KO": "À corriger — étudiant notifié",
          ("OK", "pro", False): "Validé — notifications envoyées",
          ("OK", "app", False): "Validé — CACTUS à initialiser",
          ("OK", "app", True): "Validé — CACTUS initialisé, notifications envoyées"}


def sample_rows() -> list[list[object]]:
    with (ROOT / "samples" / "fvma-reponses.csv").open(encoding="utf-8") as handle:
        return list(csv.reader(handle))


def responses(count: int, seed: int = 1) -> tuple[list[object], list[list[object]]]:
    """The header and `count` responses of distinct students, typed as a response sheet holds them."""
    rows = sample_rows()
    header, samples = rows[0], rows[1:]
    start = datetime(2026, 10, 1, 8, 0, tzinfo=PARIS)
    out = []
    for n in range(count):
        row = list(samples[n % len(samples)])
        row[0] = values.parse_datetime((start + timedelta(minutes=7 * n)).strftime("%d/%m/%Y %H:%M:%S"))
        row[1] = f"etudiant{n:03d}@etu.univ-amu.fr"
        row[2] = f"Nom{n:03d}"
        row[4] = 22500000 + n
        row[20], row[21] = values.parse_date(row[20]) or row[20], values.parse_date(row[21]) or row[21]
        out.append(row)
    random.Random(seed).shuffle(out)   # not in submission order: the sheet is never assumed sorted
    return header, out


class Lead:
    """The programme lead's side of the season, one small action at a time."""

    def __init__(self, google, rows: list[list[object]], seed: int = 7):
        self.google, self.pending = google, list(rows)
        self.random = random.Random(seed)
        self.actions = 0

    def table(self) -> tuple[list[object], list[list[object]]]:
        data = self.google.sheet(SHEET).values()
        return data[0], data[1:]

    def act(self, budget: int = 3) -> bool:
        """Do up to `budget` things the season calls for now; False when nothing is left to do."""
        done = 0
        while done < budget:
            action = self._next()
            if action is None:
                break
            action()
            done += 1
            self.actions += 1
        return done > 0 or bool(self.pending) or self._next() is not None

    def _next(self):
        if self.pending and self.random.random() < 0.5:
            return lambda: self.google.append_row(SHEET, self.pending.pop())
        header, rows = self.table()
        if "N° dossier" not in header:
            return (lambda: self.google.append_row(SHEET, self.pending.pop())) if self.pending else None
        col = {h: i for i, h in enumerate(header)}
        numbered = [(line, r) for line, r in enumerate(rows, start=2) if _cell(r, col["N° dossier"])]
        undecided = [(line, r) for line, r in numbered if not _cell(r, col["Décision"])]
        to_tick = [(line, r) for line, r in numbered if _cell(r, col["Décision"]) == "OK"
                   and _cell(r, col["Type de contrat"]) == APPRENTICESHIP and _cell(r, col["CACTUS initialisé"]) is None]
        choice = self.random.random()
        if choice < 0.1 and rows:
            key = self.random.choice([col["Nom"], col["N° dossier"], col["Statut"], 0]) + 1   # 1-based
            return lambda: self.google.sort_rows(SHEET, key=key, reverse=self.random.random() < 0.5)
        if choice < 0.2 and undecided:
            line, _ = self.random.choice(undecided)
            return lambda: self.google.set_cell(SHEET, line, col["Intitulé et description de la mission"] + 1,
                                                f"Mission revue ({self.actions})")
        if undecided and (choice < 0.75 or not to_tick):
            line, row = self.random.choice(undecided)
            decision = "KO" if int(row[col["Numéro étudiant"]]) % 3 == 0 else "OK"
            return lambda: self.google.set_cell(SHEET, line, col["Décision"] + 1, decision)
        if to_tick:
            line, _ = self.random.choice(to_tick)
            return lambda: self.google.set_cell(SHEET, line, col["CACTUS initialisé"] + 1, True)
        if self.pending:
            return lambda: self.google.append_row(SHEET, self.pending.pop())
        return None


def _cell(row: list[object], index: int) -> object:
    value = row[index] if index < len(row) else None
    return None if value in ("", None) else value


def expected(google) -> tuple[set[str], dict[str, str], list[str]]:
    """From the final sheet: the Message-IDs that must have been sent, each dossier's status, and the
    problems found in the sheet itself (rows without a number, a number on two rows)."""
    data = google.sheet(SHEET).values()
    header, rows = data[0], data[1:]
    col = {h: i for i, h in enumerate(header)}
    messages, statuses, problems = set(), {}, []
    for line, row in enumerate(rows, start=2):
        number = _cell(row, col["N° dossier"])
        if number is None:
            problems.append(f"row {line}: no N° dossier")
            continue
        if number in statuses:
            problems.append(f"row {line}: {number} is on two rows")
        decision, cactus = _cell(row, col["Décision"]), _cell(row, col["CACTUS initialisé"]) is True
        kind = "app" if _cell(row, col["Type de contrat"]) == APPRENTICESHIP else "pro"
        ids = [("reception", "etudiant"), ("reception", "responsable")]
        if decision == "KO":
            ids.append(("ko", "etudiant"))
        elif decision == "OK" and kind == "pro":
            ids += [("ok-pro", "etudiant"), ("ok-pro", "rh"), ("ok-pro", "feg")]
        elif decision == "OK":
            ids.append(("ok-apprentissage", "etudiant"))
            if cactus:
                ids += [("cactus", "etudiant"), ("cactus", "rh")]
        if values.parse_email(_cell(row, col["Contact RH — e-mail"])) is None:   # nobody to write to
            ids = [(event, role) for event, role in ids if role != "rh"]
        messages |= {f"<fvma.{number}.{event}.{role}@{DOMAIN}>" for event, role in ids}
        statuses[number] = STATUS[decision if decision != "OK" else ("OK", kind, cactus and kind == "app")]
        if not _cell(row, col["Contrôle automatique"]):
            problems.append(f"{number}: no Contrôle automatique")
    return messages, statuses, problems


def shown_statuses(google) -> dict[str, str]:
    data = google.sheet(SHEET).values()
    col = {h: i for i, h in enumerate(data[0])}
    return {_cell(r, col["N° dossier"]): _cell(r, col["Statut"]) for r in data[1:] if _cell(r, col["N° dossier"])}


def wrong_cells(google, sent: dict[str, int]) -> list[str]:
    """Every way the end state differs from what the season calls for (empty when all is right)."""
    messages, statuses, problems = expected(google)
    shown = shown_statuses(google)
    problems += [f"{n}: Statut {shown.get(n)!r}, expected {s!r}" for n, s in statuses.items() if shown.get(n) != s]
    problems += [f"lost: {m}" for m in sorted(messages - set(sent))]
    problems += [f"sent but not called for: {m}" for m in sorted(set(sent) - messages)]
    return problems
