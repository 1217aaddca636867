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

from dataclasses import dataclass, field

from bot.core import values


@dataclass
class Written:
    """What one write put where: positions refer to `header`, the header it was based on."""

    header: list[str]
    number_column: int                                                   # N° dossier's index in `header`
    cells: dict[str, dict[int, object]] = field(default_factory=dict)    # dossier → {index: value written}
    before: dict[str, list[object]] = field(default_factory=dict)        # dossier → its row before the write


def texts(row: list[object]) -> list[str]:
    return [values.text(v) if not values.is_blank(v) else "" for v in row]


def undo_shift(written: Written | None, header: list[object],
               rows: list[tuple[int, list[object]]]) -> dict[int, dict[int, object]]:
    """Restore, in `rows` (changed in place), the cells a shifted write overwrote; returns the repairs to write
    as {row number: {column index in `header`: value}}. Nothing when the columns did not move."""
    now = texts(header)
    if written is None or now[:len(written.header)] == written.header and len(now) >= len(written.header):
        return {}
    repairs: dict[int, dict[int, object]] = {}
    for line, cells in rows:
        dossier = _dossier_of(cells, now, written)
        if dossier is None:
            continue
        damaged = _damaged(written, dossier, cells, now)
        for index in damaged:
            restored = _before(written, dossier, now[index] if index < len(now) else "")
            cells[index] = restored
            repairs.setdefault(line, {})[index] = restored
    return repairs


def _dossier_of(cells: list[object], now: list[str], written: Written) -> str | None:
    """The dossier whose values were written on this row: its number is under N° dossier, or where the
    shifted write put it."""
    candidates = []
    if written.header[written.number_column] in now:
        candidates.append(now.index(written.header[written.number_column]))
    candidates.append(written.number_column)
    for index in candidates:
        if index < len(cells) and (number := values.text(cells[index])) in written.cells:
            return number
    return None


def _damaged(written: Written, dossier: str, cells: list[object], now: list[str]) -> list[int]:
    """The positions where a value of this write sits outside its column."""
    damaged = []
    for index, value in written.cells[dossier].items():
        name = written.header[index]
        if index < len(now) and now[index] == name:
            continue                                      # that column did not move
        here = values.text(cells[index]) if index < len(cells) and not values.is_blank(cells[index]) else ""
        if here == values.text(value):
            damaged.append(index)
    return damaged


def _before(written: Written, dossier: str, header_now: str) -> object:
    """What the column now headed `header_now` held on this row before the write ("" for a new column)."""
    before = written.before.get(dossier, [])
    if header_now and written.header.count(header_now) == 1:
        old = written.header.index(header_now)
        return before[old] if old < len(before) and before[old] is not None else ""
    return ""
