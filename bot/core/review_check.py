"""The auto-check over a whole set of rows, as `fvma-bot check` and the cycle both need it."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.core import intake
from bot.core.decisions import Decision, parse_decision
from bot.core.models import Response
from bot.core.rules import Verdict, evaluate
from bot.core.ruleset import RulesYear


@dataclass(frozen=True)
class CheckedRow:
    line: int  # the sheet row number, the header being row 1
    response: Response
    verdict: Verdict


def validated_elsewhere(responses: Sequence[Response], validated: Sequence[bool],
                        names: Sequence[str]) -> list[str | None]:
    """For each response, how to name another response of the same student whose decision is OK."""
    by_key: dict[str, list[int]] = {}
    for index, response in enumerate(responses):
        if validated[index]:
            for key in response.student_keys():
                by_key.setdefault(key, []).append(index)
    result: list[str | None] = []
    for index, response in enumerate(responses):
        others = sorted({i for key in response.student_keys() for i in by_key.get(key, ()) if i != index})
        result.append(names[others[0]] if others else None)
    return result


def check_rows(rows: Sequence[Sequence[object]], years: list[RulesYear], today: date,
               aliases: Mapping[str, Sequence[str]] | None = None) -> tuple[intake.HeaderMap, list[CheckedRow]]:
    """Parse and check every non-empty row under the header (row 1); reads `Décision` when present."""
    header = rows[0] if rows else []
    headers = intake.map_headers(header, aliases)
    decision_col = intake.find_column(header, "Décision")
    dossier_col = intake.find_column(header, "N° dossier")
    lines, responses, validated, names = [], [], [], []
    for offset, row in enumerate(rows[1:], start=2):
        if intake.is_empty_row(row):
            continue
        lines.append(offset)
        responses.append(intake.parse_response(intake.cells_of(row, headers)))
        validated.append(decision_col is not None and decision_col < len(row)
                         and parse_decision(row[decision_col]) is Decision.OK)
        dossier = row[dossier_col] if dossier_col is not None and dossier_col < len(row) else None
        names.append(f"dossier {dossier}" if dossier else f"ligne {offset}")
    duplicates = validated_elsewhere(responses, validated, names)
    checked = [
        CheckedRow(line, response, evaluate(response, years, today, duplicate))
        for line, response, duplicate in zip(lines, responses, duplicates)
    ]
    return headers, checked
