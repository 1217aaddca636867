"""Google Forms API v1 (forms.get, forms.responses.list/get) over a small model of forms and responses."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .google_values import ApiError, bad

MAX_PAGE_SIZE = 5000  # "If unspecified or zero, at most 5000 responses are returned."

_FILTER = re.compile(
    r"^\s*timestamp\s*(>=|>)\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z\s*$"
)


def rfc3339(moment: datetime, digits: int = 6) -> str:
    moment = moment.astimezone(timezone.utc)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{moment.microsecond:06d}"[: len(base) + 1 + digits] + "Z"


def _short_id(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()[:8]


@dataclass
class FormResponse:
    response_id: str
    create_time: datetime
    last_submitted_time: datetime
    answers: dict[str, list[str]]  # questionId -> text answers
    respondent_email: str | None = None
    total_score: float | None = None

    def to_json(self, form_id: str | None) -> dict:
        out: dict[str, Any] = {}
        if form_id is not None:
            out["formId"] = form_id
        out["responseId"] = self.response_id
        out["createTime"] = rfc3339(self.create_time, 3)
        out["lastSubmittedTime"] = rfc3339(self.last_submitted_time, 6)
        if self.respondent_email is not None:
            out["respondentEmail"] = self.respondent_email
        answers = {
            qid: {"questionId": qid, "textAnswers": {"answers": [{"value": v} for v in values]}}
            for qid, values in self.answers.items()
            if values
        }
        if answers:
            out["answers"] = answers
        if self.total_score is not None:
            out["totalScore"] = self.total_score
        return out


@dataclass
class Form:
    form_id: str
    title: str
    items: list[dict] = field(default_factory=list)  # Item JSON as the API returns it
    responses: list[FormResponse] = field(default_factory=list)
    description: str | None = None
    linked_sheet_id: str | None = None
    revision: int = 1
    email_collection: str | None = None  # FormSettings.emailCollectionType, e.g. "VERIFIED", "DO_NOT_COLLECT"

    def question_id(self, question: str) -> str:
        """The questionId of a question given by id or by title."""
        for item in self.items:
            q = item.get("questionItem", {}).get("question")
            if q and question in (q["questionId"], item.get("title")):
                return q["questionId"]
        raise KeyError(question)

    def item_of(self, question: str) -> dict:
        qid = self.question_id(question)
        return next(i for i in self.items if i.get("questionItem", {}).get("question", {}).get("questionId") == qid)

    def response(self, response_id: str) -> FormResponse:
        for r in self.responses:
            if r.response_id == response_id:
                return r
        raise KeyError(response_id)

    def to_json(self) -> dict:
        info = {"title": self.title, "documentTitle": self.title}
        if self.description:
            info["description"] = self.description
        out = {
            "formId": self.form_id,
            "info": info,
            "revisionId": f"{self.revision:08x}",
            "responderUri": f"https://docs.google.com/forms/d/e/{self.form_id}/viewform",
            "items": copy.deepcopy(self.items),
        }
        if self.email_collection:
            out["settings"] = {"emailCollectionType": self.email_collection}
        if self.linked_sheet_id:
            out["linkedSheetId"] = self.linked_sheet_id
        return out


def make_item(form_id: str, spec: Any, n: int) -> dict:
    """An Item from a title (a short-answer question) or a dict: {"title", "kind": "text" | "paragraph" |
    "radio" | "checkbox" | "dropdown" | "date" | "time" | "scale" | "page_break" | "text_item",
    "options": [...], "required": bool, "question_id", "item_id", "description"}."""
    if isinstance(spec, str):
        spec = {"title": spec}
    kind = spec.get("kind", "text")
    item: dict[str, Any] = {"itemId": spec.get("item_id") or _short_id(f"{form_id}/item/{n}")}
    item["title"] = spec.get("title", "")
    if spec.get("description"):
        item["description"] = spec["description"]
    if kind == "page_break":
        item["pageBreakItem"] = {}
        return item
    if kind == "text_item":
        item["textItem"] = {}
        return item
    question: dict[str, Any] = {"questionId": spec.get("question_id") or _short_id(f"{form_id}/question/{n}")}
    if spec.get("required"):
        question["required"] = True
    if kind in ("text", "paragraph"):
        question["textQuestion"] = {"paragraph": True} if kind == "paragraph" else {}
    elif kind in ("radio", "checkbox", "dropdown"):
        ctype = {"radio": "RADIO", "checkbox": "CHECKBOX", "dropdown": "DROP_DOWN"}[kind]
        question["choiceQuestion"] = {"type": ctype, "options": [{"value": o} for o in spec.get("options", [])]}
    elif kind == "date":
        question["dateQuestion"] = {"includeYear": True}
    elif kind == "time":
        question["timeQuestion"] = {}
    elif kind == "scale":
        question["scaleQuestion"] = {"low": spec.get("low", 1), "high": spec.get("high", 5)}
    else:
        raise ValueError(f"unknown question kind {kind!r}")
    item["questionItem"] = {"question": question}
    return item


def parse_filter(text: str | None) -> tuple[str, datetime] | None:
    if not text:
        return None
    m = _FILTER.match(text)
    if not m:
        raise bad(f"Invalid filter: {text!r}. Supported: 'timestamp > N' and 'timestamp >= N' with N in RFC3339 UTC.")
    op, base, fraction = m.groups()
    moment = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    if fraction:
        moment += timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
    return op, moment


class FormsApi:
    def __init__(self, server):
        self.server = server
        self.methods = {
            "forms.forms.get": self.get,
            "forms.forms.responses.list": self.list_responses,
            "forms.forms.responses.get": self.get_response,
        }

    def form(self, form_id: str) -> Form:
        form = self.server.forms.get(form_id)
        if form is None:
            raise ApiError(404, "Requested entity was not found.")
        return form

    def get(self, p: dict, q: dict, body: dict) -> dict:
        return self.form(p["formId"]).to_json()

    def get_response(self, p: dict, q: dict, body: dict) -> dict:
        form = self.form(p["formId"])
        try:
            return form.response(p["responseId"]).to_json(form.form_id)
        except KeyError:
            raise ApiError(404, "Requested entity was not found.") from None

    def list_responses(self, p: dict, q: dict, body: dict) -> dict:
        form = self.form(p["formId"])
        flt = q.get("filter")
        condition = parse_filter(flt)
        size = q.get("pageSize") or MAX_PAGE_SIZE
        if size < 0:
            raise bad("page_size must not be negative.")
        size = min(size, MAX_PAGE_SIZE)
        offset = 0
        if q.get("pageToken"):
            try:
                token = json.loads(base64.urlsafe_b64decode(q["pageToken"].encode()))
                offset = int(token["o"])
                same = token["f"] == form.form_id and token["q"] == (flt or "")
            except Exception:
                raise bad("Invalid page token.") from None
            if not same:
                raise bad("The page token does not match the form and filter of the original request.")
        chosen = form.responses
        if condition:
            # Google documents "submitted after N" without naming the timestamp: lastSubmittedTime by
            # default; server.forms_filter_on = "createTime" plays the other reading.
            op, moment = condition
            attribute = "create_time" if self.server.forms_filter_on == "createTime" else "last_submitted_time"
            if op == ">":
                chosen = [r for r in chosen if getattr(r, attribute) > moment]
            else:
                chosen = [r for r in chosen if getattr(r, attribute) >= moment]
        page = chosen[offset : offset + size]
        out: dict[str, Any] = {}
        if page:
            # "Note: The formId field is not returned in the FormResponse object for list requests."
            out["responses"] = [r.to_json(None) for r in page]
        if offset + size < len(chosen):
            token = {"f": form.form_id, "q": flt or "", "o": offset + size}
            out["nextPageToken"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
        return out


class FormsSeedingMixin:
    """GoogleServer's helpers to seed and change forms like a person (needs self.lock, self.forms,
    self.clock, self._ids)."""

    def add_form(self, form_id: str, title: str = "Formulaire", questions: list | None = None,
                 linked_sheet_id: str | None = None, description: str | None = None,
                 email_collection: str | None = None) -> Form:
        """`questions`: titles (short-answer questions) or dicts, see google_forms.make_item.
        `email_collection`: the settings' emailCollectionType (None: no settings in forms.get)."""
        with self.lock:
            form = Form(form_id, title, description=description, linked_sheet_id=linked_sheet_id,
                        email_collection=email_collection)
            form.items = [make_item(form_id, q, i) for i, q in enumerate(questions or [])]
            self.forms[form_id] = form
            return form

    def add_question(self, form_id: str, question: Any, index: int | None = None) -> str:
        with self.lock:
            form = self.forms[form_id]
            item = make_item(form_id, question, len(form.items) + form.revision * 1000)
            form.items.insert(len(form.items) if index is None else index, item)
            form.revision += 1
            return item.get("questionItem", {}).get("question", {}).get("questionId", item["itemId"])

    def rename_question(self, form_id: str, question: str, title: str) -> None:
        with self.lock:
            form = self.forms[form_id]
            form.item_of(question)["title"] = title
            form.revision += 1

    def reorder_questions(self, form_id: str, order: list[str]) -> None:
        """Put the questions named (by id or title) first, in this order; other items keep theirs after."""
        with self.lock:
            form = self.forms[form_id]
            first = [form.item_of(q) for q in order]
            form.items = first + [i for i in form.items if all(i is not f for f in first)]
            form.revision += 1

    def remove_question(self, form_id: str, question: str) -> None:
        with self.lock:
            form = self.forms[form_id]
            item = form.item_of(question)
            form.items = [i for i in form.items if i is not item]
            form.revision += 1

    def add_response(self, form_id: str, answers: dict[str, Any], email: str | None = None,
                     submitted: datetime | None = None, response_id: str | None = None,
                     total_score: float | None = None) -> str:
        """A submission; `answers` maps question ids or titles to a str or a list of str (checkboxes).
        Returns its responseId."""
        with self.lock:
            form = self.forms[form_id]
            moment = self._moment(submitted, form)
            rid = response_id or "ACYDBN" + base64.urlsafe_b64encode(
                f"{form_id}:{len(form.responses) + 1}:{next(self._ids)}".encode()).decode().rstrip("=")
            if any(r.response_id == rid for r in form.responses):
                raise ValueError(f"response {rid!r} exists")
            form.responses.append(FormResponse(rid, moment, moment, self._answers(form, answers), email, total_score))
            return rid

    def edit_response(self, form_id: str, response_id: str, answers: dict[str, Any] | None = None,
                      submitted: datetime | None = None, email: str | None = None) -> None:
        """The respondent edits a response: same responseId and createTime, a new lastSubmittedTime
        (now, or `submitted`), the given answers replaced (None removes one)."""
        with self.lock:
            form = self.forms[form_id]
            response = form.response(response_id)
            moment = self._moment(submitted, form)
            if moment <= response.last_submitted_time:
                moment = response.last_submitted_time + timedelta(microseconds=1)
            response.last_submitted_time = moment
            for qid, values in self._answers(form, answers or {}).items():
                if values:
                    response.answers[qid] = values
                else:
                    response.answers.pop(qid, None)
            if email is not None:
                response.respondent_email = email

    def _moment(self, submitted: datetime | None, form: Form) -> datetime:
        moment = submitted or self.clock()
        if moment.tzinfo is None:
            raise ValueError("use timezone-aware datetimes for form submissions")
        return moment.astimezone(timezone.utc)

    @staticmethod
    def _answers(form: Form, answers: dict[str, Any]) -> dict[str, list[str]]:
        out = {}
        for question, value in answers.items():
            qid = form.question_id(question)
            if value is None:
                out[qid] = []
            else:
                out[qid] = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        return out
