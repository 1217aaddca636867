"""Undoing a write that landed in the wrong columns because the lead moved columns during the cycle.

Rows are addressed by developer metadata, so a value always lands on its own
row; columns, though, are positions within that row, taken from the header the
cycle read. No Sheets request can address a cell by row metadata *and* column
header at once, so a column inserted, deleted or moved between the cycle's read
and its write shifts the bot's values within the row. The next read sees it:
the header differs from the one the write was based on, and the values the bot
wrote sit at their old positions instead of under their headers. Each such cell
gets back what it held before the write (known from the snapshot that preceded
it), in the snapshot the cycle sees and in the next write.
"""

import json
import zlib
from dataclasses import dataclass

import orjson

from bot.core import values


@dataclass
class Written:
    """What one write put where: positions refer to `header`, the header it was based on.

    Kept until the next read, and needed only if columns moved: what it put and what the rows held before
    are kept packed (see `packed`), a small block each instead of a season's worth of small objects.
    """

    header: list[str]
    number_column: int                     # N° dossier's index in `header`
    cells: bytes                           # packed {dossier: {index: value written}}
    before: bytes                          # packed {dossier: its row before the write}

    def unpacked(self) -> tuple[dict[str, dict[int, object]], dict[str, list[object]]]:
        """(cells, rows before), decoded."""
        cells = {d: {int(i): v for i, v in placed.items()} for d, placed in _unpack(self.cells).items()}
        return cells, _unpack(self.before)


def packed(value: dict) -> bytes:
    """`value` as compressed JSON (integer keys as text): zlib's fastest level takes about 15 ms for the
    6 MB of JSON of 10,000 rows, on the cycles that write, and keeps a fraction of it."""
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        encoded = json.dumps(value).encode("ascii")
    return zlib.compress(encoded, 1)


def _unpack(value: bytes) -> dict:
    """What `packed` kept, read back by the standard library: exactly, big integers included."""
    return json.loads(zlib.decompress(value))


def texts(row: list[object]) -> list[str]:
    return [values.shown(v) for v in row]


def undo_shift(written: Written | None, header: list[object],
               rows: list[tuple[int, list[object]]]) -> dict[int, dict[int, object]]:
    """Restore, in `rows` (changed in place), the cells a shifted write overwrote; returns the repairs to write
    as {row number: {column index in `header`: value}}. Nothing when the columns did not move."""
    now = texts(header)
    if written is None or now[:len(written.header)] == written.header and len(now) >= len(written.header):
        return {}
    put, before = written.unpacked()
    repairs: dict[int, dict[int, object]] = {}
    for line, cells in rows:
        dossier = _dossier_of(cells, now, written, put)
        if dossier is None:
            continue
        damaged = _damaged(written, put[dossier], cells, now)
        for index in damaged:
            restored = _before(written, before.get(dossier) or [], now[index] if index < len(now) else "")
            cells[index] = restored
            repairs.setdefault(line, {})[index] = restored
    return repairs


def _dossier_of(cells: list[object], now: list[str], written: Written, put: dict) -> str | None:
    """The dossier whose values were written on this row: its number is under N° dossier, or where the
    shifted write put it."""
    candidates = []
    if written.header[written.number_column] in now:
        candidates.append(now.index(written.header[written.number_column]))
    candidates.append(written.number_column)
    for index in candidates:
        if index < len(cells) and (number := values.text(cells[index])) in put:
            return number
    return None


def _damaged(written: Written, put: dict[int, object], cells: list[object], now: list[str]) -> list[int]:
    """The positions where a value this write `put` on the row sits outside its column."""
    damaged = []
    for index, value in put.items():
        name = written.header[index]
        if index < len(now) and now[index] == name:
            continue                                      # that column did not move
        here = values.text(cells[index]) if index < len(cells) and not values.is_blank(cells[index]) else ""
        if here == values.text(value):
            damaged.append(index)
    return damaged


def _before(written: Written, before: list[object], header_now: str) -> object:
    """What the column now headed `header_now` held on this row (`before` the write; "" for a new column)."""
    if header_now and written.header.count(header_now) == 1:
        old = written.header.index(header_now)
        return before[old] if old < len(before) and before[old] is not None else ""
    return ""
