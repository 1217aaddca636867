"""The two Google intakes behind one set of helpers, for the scenario tests that run against both.

`ResponseSheet` is the `google` backend: the form's linked response sheet, edited in
place. `FormAndReview` is the `forms` backend: a form served by the Forms API and the
review worksheet the bot creates. Both are seeded with the same sample responses;
response `n` is the n-th one submitted (0-based), wherever its row now is.
"""

from datetime import date, datetime
from typing import Any

from bot.config import Config
from bot.core import values
from bot.core.values import PARIS
from tests.support.google_server import GoogleServer

SHEET, FORM, REVIEW, REVIEW_TAB = "sheet-1", "form-1", "review-1", "Suivi FVMA"
DATES = ("Date de naissance", "Date de début du contrat", "Date de fin du contrat")


class ResponseSheet:
    name = "google"
    source_api = "sheets"   # where the responses are read from

    def __init__(self, google: GoogleServer, make_config, rows: list[list[Any]], count: int | None = None):
        self.google = google
        self.header = list(rows[0])
        self.samples = rows[1:]
        google.add_spreadsheet(SHEET, rows=[self.header])
        self.keys: list[tuple[Any, Any]] = []   # (Horodateur, Adresse e-mail) of each response, as now shown
        for row in self.samples[:count]:
            self.submit(row)
        self.config: Config = make_config(sheet={"backend": "google", "google": {
            "spreadsheet_id": SHEET, "credentials_file": str(google.key_file), "api_endpoint": google.url}})

    def submit(self, row: list[Any], when: datetime | None = None) -> None:
        """A new response; `when` (aware) replaces its Horodateur. Google stamps real submissions itself,
        so a response submitted while the bot runs must carry a time after the responses already seen."""
        row = [when.astimezone(PARIS).replace(tzinfo=None), *row[1:]] if when else list(row)
        self.google.append_row(SHEET, row)
        self.keys.append((row[0], row[1]))

    def edit(self, n: int, changes: dict[str, Any], when: datetime) -> None:
        """Google Forms rewrites the response's row in place, with the edit's time as Horodateur."""
        line = self.line(n)
        for header, value in {**changes, "Horodateur": when.astimezone(PARIS).replace(tzinfo=None)}.items():
            self.google.set_cell(SHEET, line, self.column(header) + 1, value)
        self.keys[n] = (self.google.sheet(SHEET).cell(line, 1), self.keys[n][1])

    def values(self) -> list[list[Any]]:
        return self.google.sheet(SHEET).values()

    def line(self, n: int) -> int:
        for line, row in enumerate(self.values()[1:], start=2):
            if (row + [None, None])[:2] == list(self.keys[n]):
                return line
        raise KeyError(n)

    # --- shared by both intakes ---------------------------------------------------------------------------

    @property
    def spreadsheet(self) -> tuple[str, str | None]:
        return SHEET, None

    def column(self, header: str) -> int:
        """0-based column of `header` in the sheet now."""
        return self.values()[0].index(header)

    def set(self, n: int, header: str, value: Any) -> None:
        """The lead writes `value` in response n's row."""
        self.google.set_cell(*self.spreadsheet[:1], self.line(n), self.column(header) + 1, value,
                             title=self.spreadsheet[1])

    def row(self, n: int) -> dict[str, Any]:
        return self._as_dict(self.values()[self.line(n) - 1])

    def rows(self) -> list[dict[str, Any]]:
        return [self._as_dict(r) for r in self.values()[1:]]

    def _as_dict(self, row: list[Any]) -> dict[str, Any]:
        header = self.values()[0]
        return dict(zip(header, row + [None] * (len(header) - len(row))))

    def sort(self, header: str, reverse: bool = False) -> None:
        self.google.sort_rows(self.spreadsheet[0], key=self.column(header) + 1, reverse=reverse,
                              title=self.spreadsheet[1])

    def insert_column(self, before: str, title: str) -> None:
        sheet, tab = self.spreadsheet
        at = self.column(before) + 1
        self.google.insert_columns(sheet, at=at, title=tab)
        self.google.set_cell(sheet, 1, at, title, title=tab)


class FormAndReview(ResponseSheet):
    name = "forms"
    source_api = "forms"

    def __init__(self, google: GoogleServer, make_config, rows: list[list[Any]], count: int | None = None):
        self.google = google
        self.header = list(rows[0])
        self.samples = rows[1:]
        questions = [{"title": h, "kind": "date" if h in DATES else "text"} for h in self.header[2:]]
        google.add_form(FORM, "FVMA 2026-2027", questions, email_collection="VERIFIED")
        google.add_spreadsheet(REVIEW, title="Feuille 1", rows=[])
        self.ids: list[str] = []
        for row in self.samples[:count]:
            self.submit(row)
        self.config = make_config(sheet={"backend": "forms", "google": {
            "credentials_file": str(google.key_file), "api_endpoint": google.url},
            "forms": {"form_id": FORM, "review_spreadsheet_id": REVIEW, "api_endpoint": google.url}})

    def submit(self, row: list[Any], when: datetime | None = None) -> None:
        submitted = when or (row[0].replace(tzinfo=PARIS) if isinstance(row[0], datetime) else row[0])
        answers = {h: _answer(h, v) for h, v in zip(self.header[2:], row[2:]) if v not in (None, "")}
        self.ids.append(self.google.add_response(FORM, answers, email=row[1], submitted=submitted))

    def edit(self, n: int, changes: dict[str, Any], when: datetime) -> None:
        self.google.edit_response(FORM, self.ids[n], {h: _answer(h, v) for h, v in changes.items()}, submitted=when)

    def values(self) -> list[list[Any]]:
        return self.google.sheet(REVIEW, REVIEW_TAB).values()

    def line(self, n: int) -> int:
        column = self.column("ID réponse")
        for line, row in enumerate(self.values()[1:], start=2):
            if column < len(row) and row[column] == self.ids[n]:
                return line
        raise KeyError(n)

    @property
    def spreadsheet(self) -> tuple[str, str | None]:
        return REVIEW, REVIEW_TAB


def _answer(header: str, value: Any) -> str:
    """What the Forms API returns for an answer: a date question's as YYYY-MM-DD (an impossible date
    stays as typed, as a text question would keep it), everything else as typed."""
    if header in DATES:
        day = value if isinstance(value, date) else values.parse_date(value)
        return day.isoformat() if day else str(value)
    return str(value)


INTAKES = {"google": ResponseSheet, "forms": FormAndReview}
