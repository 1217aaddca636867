"""Google Forms API JSON → the form's fields (SPEC §2), as the review sheet shows them.

Pure: no I/O, no clock. Questions are matched to fields by their titles with the
same header matching and aliases as a response sheet's columns (`intake.map_headers`),
so a renamed question needs the same alias in both intakes. Answers become the text
a French reader expects in a cell: dates `dd/mm/yyyy`, the submission time in
Europe/Paris wall time, several choices joined by ", ".
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.core import intake
from bot.core.fields import BY_KEY
from bot.core.values import PARIS

TIMESTAMP, EMAIL = "horodateur", "email_etudiant"
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, order=True)
class Instant:
    """A Forms API timestamp to the nanosecond (Python's datetime stops at the microsecond)."""

    second: datetime   # UTC, whole seconds
    nanos: int = 0

    @classmethod
    def parse(cls, text: object) -> "Instant | None":
        """RFC 3339 as the API writes it (`2026-10-01T12:34:56.789Z`, 0–9 fractional digits), else None."""
        m = _RFC3339.fullmatch(str(text).strip()) if text is not None else None
        if not m:
            return None
        day, clock, fraction, zone = m.groups()
        try:
            moment = datetime.fromisoformat(f"{day}T{clock}{'+00:00' if zone in 'Zz' else zone}")
        except ValueError:
            return None
        return cls(moment.astimezone(timezone.utc), int((fraction or "").ljust(9, "0")))

    def rfc3339(self) -> str:
        """The "Zulu" form the `filter` parameter requires."""
        return f"{self.second:%Y-%m-%dT%H:%M:%S}.{self.nanos:09d}Z"

    def minus(self, delta: timedelta) -> "Instant":
        return Instant(self.second - delta, self.nanos)

    def paris(self) -> str:
        """Wall time in Europe/Paris, as a French-locale response sheet shows its Horodateur."""
        return self.second.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")


@dataclass(frozen=True)
class Question:
    question_id: str
    title: str


@dataclass(frozen=True)
class FieldMap:
    """Which field each question answers, and the review sheet's fields in order.

    `fields`: the submission time first, the student's address (collected by the
    form or asked), then the fields the form asks, in the form's order.
    """

    by_question: dict[str, str]
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Submission:
    """One response as the review sheet holds it."""

    response_id: str
    created: Instant
    submitted: Instant          # lastSubmittedTime: moves when the respondent edits the response
    submitted_text: str         # as the API wrote it, kept in the sheet as the watermark
    cells: dict[str, str]       # field key → cell text, "" when unanswered


def questions_of(form: Mapping) -> list[Question]:
    """The form's questions in order (grids and non-question items left out)."""
    found = []
    for item in form.get("items", []):
        question = item.get("questionItem", {}).get("question", {})
        if question.get("questionId"):
            found.append(Question(question["questionId"], item.get("title", "")))
    return found


def collects_email(form: Mapping) -> bool:
    """False only when the form says it does not collect respondents' addresses."""
    return form.get("settings", {}).get("emailCollectionType") != "DO_NOT_COLLECT"


def field_map(form: Mapping, aliases: Mapping[str, Sequence[str]] | None = None) -> FieldMap:
    questions = questions_of(form)
    headers = intake.map_headers([q.title for q in questions], aliases)
    by_question: dict[str, str] = {}
    position: dict[str, int] = {}
    for key, first in headers.columns.items():
        if key == TIMESTAMP:  # the time is the submission's, never an answer
            continue
        position[key] = first
        for index in (first, *headers.later.get(key, ())):
            by_question[questions[index].question_id] = key
    asked = sorted((k for k in position if k != EMAIL), key=position.__getitem__)
    email = (EMAIL,) if EMAIL in position or collects_email(form) else ()
    return FieldMap(by_question, (TIMESTAMP, *email, *asked))


def submission_of(response: Mapping, fields: FieldMap) -> Submission | None:
    """The response's cells, or None when it lacks its id or a readable lastSubmittedTime."""
    submitted = Instant.parse(response.get("lastSubmittedTime"))
    if not response.get("responseId") or submitted is None:
        return None
    created = Instant.parse(response.get("createTime")) or submitted
    answers: dict[str, list[str]] = {}
    for question_id, answer in response.get("answers", {}).items():
        key = fields.by_question.get(question_id)
        if key is not None:
            answers.setdefault(key, []).append(answer_text(answer))
    cells = {}
    for key in fields.fields:
        given = [a for a in answers.get(key, []) if a]
        cells[key] = given[0] if given else ""
    cells[TIMESTAMP] = submitted.paris()
    if EMAIL in cells and response.get("respondentEmail"):
        cells[EMAIL] = str(response["respondentEmail"]).strip()
    return Submission(str(response["responseId"]), created, submitted, str(response["lastSubmittedTime"]), cells)


def answer_text(answer: Mapping) -> str:
    """One question's answer as cell text: several values joined by ", ", ISO dates as dd/mm/yyyy."""
    if "fileUploadAnswers" in answer:
        parts = [a.get("fileName", "") for a in answer["fileUploadAnswers"].get("answers", [])]
    else:
        parts = [_display(a.get("value", "")) for a in answer.get("textAnswers", {}).get("answers", [])]
    return ", ".join(p for p in parts if p)


def _display(value: str) -> str:
    m = _ISO_DATE.fullmatch(value.strip())
    return f"{m[3]}/{m[2]}/{m[1]}" if m else value


def header_of(key: str) -> str:
    """The review sheet's column header for a field: its default header (SPEC §2)."""
    return BY_KEY[key].header
