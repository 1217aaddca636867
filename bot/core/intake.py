"""From a sheet's header row and cells to parsed `Response`s (SPEC §2).

Columns are found by header text, never by position. A value that cannot be
read becomes a `FieldProblem`; it never stops the other fields or rows.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core import values
from bot.core.fields import BY_KEY, FIELDS, Field, Kind, match_choice
from bot.core.models import FieldProblem, Problem, Response
from bot.core.text import normalise


@dataclass(frozen=True)
class HeaderMap:
    """Where each known field sits in the header row (0-based), and what could not be placed.

    `columns` holds each field's first column; `later` the further columns carrying
    the same header (a question deleted and re-created in the form gets a new column
    with the same title: older responses sit in the first one, newer in the other).
    """

    columns: dict[str, int]
    duplicates: tuple[str, ...] = ()
    later: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def missing(self) -> list[Field]:
        return [f for f in FIELDS if f.key not in self.columns]


def map_headers(header: Sequence[object], aliases: Mapping[str, Sequence[str]] | None = None) -> HeaderMap:
    """Match each field's default header and aliases to the header row, normalised.

    When two columns carry the same field's header, a row's value is read from the
    first of them that is not blank, and the field is reported in `duplicates`.
    """
    wanted: dict[str, str] = {}
    for fld in FIELDS:
        for name in (fld.header, *fld.aliases, *(aliases or {}).get(fld.key, ())):
            wanted.setdefault(normalise(name), fld.key)
    columns: dict[str, int] = {}
    duplicates: list[str] = []
    later: dict[str, tuple[int, ...]] = {}
    for index, cell in enumerate(header):
        key = wanted.get(normalise(values.text(cell))) if cell is not None else None
        if key is None:
            continue
        if key in columns:
            duplicates.append(key)
            later[key] = (*later.get(key, ()), index)
        else:
            columns[key] = index
    return HeaderMap(columns, tuple(duplicates), later)


def cells_of(row: Sequence[object], headers: HeaderMap) -> dict[str, object]:
    """Each mapped field's cell in `row`; of same-titled columns, the first non-blank one."""
    cells: dict[str, object] = {}
    for key, first in headers.columns.items():
        candidates = [row[i] for i in (first, *headers.later.get(key, ())) if i < len(row)]
        cells[key] = next((c for c in candidates if not values.is_blank(c)), None)
    return cells


def is_empty_row(row: Sequence[object]) -> bool:
    return all(values.is_blank(cell) for cell in row)


def parse_response(cells: Mapping[str, object]) -> Response:
    """Parse one response's cells, keyed by field key; absent keys count as empty."""
    data: dict[str, object] = {}
    problems: list[FieldProblem] = []
    for fld in FIELDS:
        raw = cells.get(fld.key)
        if values.is_blank(raw):
            if fld.required:
                problems.append(FieldProblem(field=fld.key, problem=Problem.MISSING))
            continue
        value, problem = _parse_value(fld, raw)
        if problem is None:
            data[_attribute(fld)] = value
        else:
            problems.append(FieldProblem(field=fld.key, problem=problem, raw=values.excerpt(raw)))
    return Response(**data, problems=tuple(problems))


def _attribute(fld: Field) -> str:
    return "submitted_at" if fld.key == "horodateur" else fld.key


def _parse_value(fld: Field, raw: object) -> tuple[object, Problem | None]:
    match fld.kind:
        case Kind.DATETIME:
            value = values.parse_datetime(raw)
            return value, None if value else Problem.BAD_DATE
        case Kind.DATE:
            value = values.parse_date(raw)
            return value, None if value else Problem.BAD_DATE
        case Kind.EMAIL:
            value = values.parse_email(raw)
            return value, None if value else Problem.BAD_EMAIL
        case Kind.SIRET:
            value = values.parse_siret(raw)
            return value, None if value else Problem.BAD_SIRET
        case Kind.ENUM:
            value = match_choice(fld, values.text(raw))
            return value, None if value else Problem.UNKNOWN_VALUE
        case _:
            return values.text(raw), None


def field_label(key: str) -> str:
    return BY_KEY[key].label


def find_column(header: Sequence[object], name: str) -> int | None:
    """The index of the first header equal to `name` once normalised, or None."""
    wanted = normalise(name)
    for index, cell in enumerate(header):
        if cell is not None and normalise(values.text(cell)) == wanted:
            return index
    return None
