"""Reading a sheet snapshot into responses tied to dossiers (row identity, SPEC §3)."""

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.adapters.sheet import BOT_HEADERS, CACTUS, CHECK, COMMENT, DECISION, DOSSIER, LAST_ACTION, STATUS, \
    Snapshot, fingerprint
from bot.adapters.state import StoredDossier
from bot.core import intake, values
from bot.core.decisions import Decision, parse_decision
from bot.core.models import Response


# `dossier_prefix` (config: a capital, then 1–9 capitals or digits), the year, a sequence number.
_DOSSIER = re.compile(r"[A-Z][A-Z0-9]{1,9}-[0-9]{4}-[0-9]{4,9}")


@dataclass(slots=True)
class SheetRow:
    line: int                      # row number at read time
    cells: list[object]
    response: Response
    revision: str                  # fingerprint of the form's answers
    dossier_cell: str              # what the N° dossier cell holds ("" when empty)
    decision: Decision | None
    comment: str
    cactus: bool
    shown: dict[str, str]          # the bot's cells as read
    dossier: str = ""              # assigned by `assign`
    is_new: bool = False
    answers: bytes = b""           # digest of the form's cells as read (see Answers): what the verdict depends on


@dataclass(frozen=True)
class Layout:
    fields: intake.HeaderMap
    bot: dict[str, int]            # bot header → column index

    def complete(self) -> bool:
        return all(h in self.bot for h in BOT_HEADERS)


def layout_of(header: Sequence[object], aliases: Mapping[str, Sequence[str]]) -> Layout:
    bot = {}
    for name in BOT_HEADERS:
        index = intake.find_column(header, name)
        if index is not None:
            bot[name] = index
    return Layout(intake.map_headers(header, aliases), bot)


class Answers:
    """What the previous cycle made of each row's form answers, found again by the cells' contents.

    A quiet cycle meets the same answers again: it finds their revision and parsed
    response here instead of fingerprinting and parsing them anew. The key is a
    digest of the cells' `repr` (which tells `True` from `1` and `"1"`, unlike `==`),
    so the last sheet read is not kept alive by it; the cache is dropped when the
    form's columns move. An entry found again keeps its objects, digest included:
    long-lived objects made anew each cycle among the cycle's short-lived ones would
    keep the allocator's pages from going back to the system.
    """

    def __init__(self) -> None:
        self.fields: intake.HeaderMap | None = None
        self.seen: dict[bytes, tuple[bytes, str, Response] | None] = {}

    def reader(self, fields: intake.HeaderMap):
        """A function: a row's cells → (digest, revision, response), or None for a row without answers."""
        previous = self.seen if fields == self.fields else {}
        self.fields, self.seen = fields, {}
        wanted = sorted({*fields.columns.values(), *(i for later in fields.later.values() for i in later)})

        def read(cells: Sequence[object]) -> tuple[bytes, str, Response] | None:
            """(digest, revision, response) of a row's answers, or None for a row without answers."""
            raw = repr(tuple(cells[i] if i < len(cells) else None for i in wanted))
            key = hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            if key in previous:
                found = previous[key]
            else:
                form_cells = intake.cells_of(cells, fields)
                if all(values.is_blank(v) for v in form_cells.values()):
                    found = None
                else:
                    found = key, fingerprint(cells, fields.columns), intake.parse_response(form_cells)
            self.seen[key if found is None else found[0]] = found
            return found
        return read


def read_rows(snapshot: Snapshot, layout: Layout, answers: Answers | None = None) -> list[SheetRow]:
    """The responses of the snapshot; `answers` (kept by the caller from one cycle to the next) spares
    fingerprinting and parsing again the answers that did not change."""
    read = (answers or Answers()).reader(layout.fields)
    at = {name: layout.bot.get(name) for name in (DOSSIER, DECISION, COMMENT, CACTUS, CHECK, STATUS, LAST_ACTION)}
    shown_at = [(name, at[name]) for name in (DOSSIER, CHECK, STATUS, LAST_ACTION)]
    rows = []
    for line, cells in snapshot.rows:
        found = read(cells)
        if found is None:
            continue
        digest, revision, response = found
        width = len(cells)

        def cell(index: int | None) -> object:
            return cells[index] if index is not None and index < width else None

        cactus = cell(at[CACTUS])
        rows.append(SheetRow(
            line=line, cells=cells, response=response,
            revision=revision, answers=digest,
            dossier_cell=dossier_number(cell(at[DOSSIER])),
            decision=parse_decision(cell(at[DECISION])),
            comment=values.shown(cell(at[COMMENT])),
            cactus=values.parse_checkbox(cactus) if not values.is_blank(cactus) else False,
            shown={name: values.shown(cell(index)) for name, index in shown_at},
        ))
    return rows


def dossier_number(raw: object) -> str:
    """The `N° dossier` cell when it holds a dossier number (`FVMA-2026-0042`), else "".

    Anything else typed there (a formula, a note, a number with spaces) is not
    taken for a dossier: it would become a Message-ID no mail server accepts.
    The row is numbered afresh and the bot writes its number over the text.
    """
    if values.is_blank(raw):
        return ""
    number = values.text(raw)
    return number if _DOSSIER.fullmatch(number) else ""


def assign(rows: list[SheetRow], known: dict[str, StoredDossier], next_number) -> None:
    """Tie each row to its dossier: its N° dossier cell, else a known dossier no row claims whose answers
    are the same (its number was given but not yet written, or the cell was cleared or overwritten), else
    a new number from `next_number(row)`."""
    taken = {r.dossier_cell for r in rows if r.dossier_cell}
    unbound: dict[str, list[str]] = {}
    for number, stored in known.items():
        if number not in taken:
            unbound.setdefault(stored.state.revision, []).append(number)
    seen: set[str] = set()
    for row in rows:
        if row.dossier_cell and row.dossier_cell not in seen:
            row.dossier = row.dossier_cell
            row.is_new = row.dossier not in known
        elif candidates := unbound.get(row.revision):
            row.dossier = candidates.pop(0)
        else:
            # Skip numbers the sheet already shows (typed by hand, or left by a state file that was lost):
            # two rows must never share a dossier.
            row.dossier = next_number(row)
            while row.dossier in taken or row.dossier in known:
                row.dossier = next_number(row)
            row.is_new = True
        seen.add(row.dossier)


def replacements(rows: list[SheetRow], validated: Mapping[str, bool]) -> dict[str, str]:
    """Dossier → the newer dossier of the same student that replaces it (only when not validated)."""
    by_key: dict[str, list[SheetRow]] = {}
    keys = [row.response.student_keys() for row in rows]
    for row, mine in zip(rows, keys):
        for key in mine:
            by_key.setdefault(key, []).append(row)
    replaced = {}
    for row, own_keys in zip(rows, keys):
        if validated.get(row.dossier) or all(len(by_key[key]) == 1 for key in own_keys):
            continue
        mine = _submitted(row)
        newer = [other for key in own_keys for other in by_key[key]
                 if other is not row and (_submitted(other), other.dossier) > (mine, row.dossier)]
        if newer:
            replaced[row.dossier] = max(newer, key=lambda o: (_submitted(o), o.dossier)).dossier
    return replaced


def _submitted(row: SheetRow) -> datetime:
    return row.response.submitted_at or datetime.min
