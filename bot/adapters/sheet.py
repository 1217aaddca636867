"""The sheet interface every backend implements, and the bot's own columns (SPEC §3)."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core import values

DOSSIER = "N° dossier"
CHECK = "Contrôle automatique"
DECISION = "Décision"
COMMENT = "Commentaire"
CACTUS = "CACTUS initialisé"
STATUS = "Statut"
LAST_ACTION = "Dernière action"
BOT_HEADERS = (DOSSIER, CHECK, DECISION, COMMENT, CACTUS, STATUS, LAST_ACTION)
WRITTEN_BY_BOT = (DOSSIER, CHECK, STATUS, LAST_ACTION)


@dataclass(frozen=True)
class Snapshot:
    """The sheet as read in one request: the header row and each later row with its 1-based number."""

    header: list[object]
    rows: list[tuple[int, list[object]]]


@dataclass(frozen=True)
class RowWrite:
    """The bot's cells for one dossier's row.

    `bind` marks the first write on a row that has no dossier number yet: it
    must land only if the row still holds the response whose `fingerprint`
    (of the form's cells) was read at `row`.
    """

    dossier: str
    row: int
    fingerprint: str
    cells: dict[str, str]
    bind: bool = False


class Sheet(Protocol):
    def prepare(self) -> None:
        """Create the missing bot columns, the OK/KO drop-down and the CACTUS check box (idempotent)."""

    def read(self) -> Snapshot:
        """The whole sheet, unformatted values, in one request."""

    def write(self, writes: list[RowWrite], fingerprint_columns: dict[str, int]) -> set[str]:
        """Write the bot's cells, each on its dossier's row wherever it now is; returns the dossiers written.

        Called once after each `read` (not in a dry run), even with no `writes`: a backend
        may store cells of its own then (the forms intake: new and edited responses).
        With nothing to do it sends nothing.

        A `bind` write whose row no longer holds its response is skipped (and so
        not returned). `fingerprint_columns` maps each form field to its column
        as read, to recompute fingerprints when verifying.
        """


def fingerprint(row: Sequence[object], columns: dict[str, int]) -> str:
    """A digest of the form's answers of one row: changes when the response is edited."""
    digest = hashlib.sha256()
    for key in sorted(columns):
        index = columns[key]
        digest.update(key.encode())
        digest.update(b"\x1f")
        digest.update(values.text(row[index] if index < len(row) and row[index] is not None else "").encode())
        digest.update(b"\x1e")
    return digest.hexdigest()[:20]


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
