"""A loopback server compatible with Google's OAuth token endpoint, Sheets API v4 and Forms API v1,
for driving the real gspread, google-auth and googleapiclient clients in tests.

    with GoogleServer() as server:                      # or server.start() ... server.stop()
        sheet = server.add_spreadsheet("sheet-1", rows=[["Horodateur", "Nom"], [...]])
        creds = server.credentials([".../auth/spreadsheets"])   # real service-account flow
        ...                                             # point the client at server.url

Routes and bodies come from the discovery documents googleapiclient ships: every query and body is
checked (unknown fields, types, enums) before anything happens, with Google's messages. Errors
have Google's shape {"error": {"code", "message", "status"}}.

Test helpers count rows and columns from 1 (like A1 and gspread); the API counts from 0.

Seeding and inspection: add_spreadsheet, add_sheet, spreadsheet, sheet (-> Sheet: values(), cell(),
developer_metadata, row_metadata(), metadata_row(), validation(), validations,
conditional_formats, formats), add_form, add_question, rename_question, reorder_questions,
remove_question, add_response, edit_response. A person's edits: sort_rows, insert_rows,
delete_rows, insert_columns, delete_columns, set_cell, append_row (metadata, validation and
conditional formats follow their rows and columns). Hooks: before_request, after_request.
Faults: fail_next, fail_rate, delay, clear_faults, expire_tokens. Records: requests, count(),
reset_counts(), token_requests, scopes_seen, formulas_written, errors (server-side exceptions).

See tests/test_google_server.py for an example of each.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from . import google_schema
from .google_auth import INVALID, AuthMixin, without_boundary_lookup
from .google_forms import Form, FormsApi, FormsSeedingMixin
from .google_sheets import Sheet, Spreadsheet
from .google_sheets_api import SheetsApi
from .google_values import ApiError

_ALLOWED_LOCATIONS = re.compile(r"^/v1/projects/[^/]+/serviceAccounts/[^/]+/allowedLocations$")
READ_METHODS = {
    "sheets.spreadsheets.get",
    "sheets.spreadsheets.getByDataFilter",
    "sheets.spreadsheets.values.get",
    "sheets.spreadsheets.values.batchGet",
    "sheets.spreadsheets.values.batchGetByDataFilter",
    "sheets.spreadsheets.developerMetadata.get",
    "sheets.spreadsheets.developerMetadata.search",
    "forms.forms.get",
    "forms.forms.responses.get",
    "forms.forms.responses.list",
}
FAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: INVALID,
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "The operation was aborted.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}

@dataclass
class RequestInfo:
    """One API request as hooks, fault predicates and `server.requests` see it."""

    number: int
    method: str  # HTTP verb
    path: str  # decoded path, e.g. "/v4/spreadsheets/abc/values/'Sheet1'!A1"
    query: dict[str, str]  # first value of each parameter
    params: dict[str, list[str]]  # every value of each parameter
    body: Any  # parsed JSON (or the form fields of a token request)
    headers: dict[str, str]
    api: str | None = None  # "sheets", "forms" or "token"
    method_id: str | None = None  # discovery id, e.g. "sheets.spreadsheets.values.batchUpdate"
    path_params: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # filled in once answered
    response: Any = None
    fault: int | None = None  # the injected status, if any

    @property
    def kind(self) -> str | None:
        if self.api == "token":
            return "token"
        if self.method_id is None:
            return None
        return "read" if self.method_id in READ_METHODS else "write"

    @property
    def is_read(self) -> bool:
        return self.kind == "read"

    @property
    def is_write(self) -> bool:
        return self.kind == "write"

    @property
    def spreadsheet_id(self) -> str | None:
        return self.path_params.get("spreadsheetId")

    @property
    def form_id(self) -> str | None:
        return self.path_params.get("formId")


@dataclass
class _Fault:
    status: int
    remaining: int | None
    retry_after: float | None
    match: Callable[[RequestInfo], bool] | None
    message: str | None
    applied: bool = False


class GoogleServer(AuthMixin, FormsSeedingMixin):
    def __init__(self, allow_anonymous: bool = False, unmatched_data_filter: str = "ignore"):
        self.lock = threading.RLock()
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.forms: dict[str, Form] = {}
        self.allow_anonymous = allow_anonymous
        # What values:batchUpdateByDataFilter does with a data filter matching nothing: "ignore" (no
        # response for it, 200) or "error" (400). Google's behaviour is not documented; see the tests.
        self.unmatched_data_filter = unmatched_data_filter
        # Which timestamp responses.list's `filter` compares: "lastSubmittedTime" or "createTime".
        self.forms_filter_on = "lastSubmittedTime"
        self.requests: list[RequestInfo] = []
        self.formulas_written: list[dict] = []
        self.errors: list[str] = []  # server-side exceptions (hooks, bugs): assert it stays empty
        self.clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        self._init_auth()
        self._numbers = itertools.count(1)
        self._before: list[Callable] = []
        self._after: list[Callable] = []
        self._faults: list[_Fault] = []
        self._rate: tuple[float, tuple[int, ...], random.Random, Callable | None, float | None] | None = None
        self._delays: list[list] = []
        self._ids = itertools.count(1)
        self._sheets_api = SheetsApi(self)
        self._forms_api = FormsApi(self)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "GoogleServer":
        handler = type("Handler", (_Handler,), {"google": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="google-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)
            self._httpd = None

    def __enter__(self) -> "GoogleServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ seeding: sheets

    def add_spreadsheet(
        self,
        spreadsheet_id: str,
        title: str = "Réponses au formulaire 1",
        rows: list[list[Any]] | None = None,
        rows_count: int = 1000,
        cols_count: int = 26,
        spreadsheet_title: str = "Formulaire (réponses)",
        sheet_id: int = 0,
        frozen_rows: int = 0,
    ) -> Sheet:
        """A spreadsheet with one sheet `title` holding `rows` (stored as given: str, int, float,
        bool, None, date, datetime); returns that sheet."""
        with self.lock:
            if spreadsheet_id in self.spreadsheets:
                raise ValueError(f"spreadsheet {spreadsheet_id!r} exists")
            book = Spreadsheet(spreadsheet_id, spreadsheet_title, self.lock)
            self.spreadsheets[spreadsheet_id] = book
            sheet = self.add_sheet(spreadsheet_id, title, rows, rows_count, cols_count, sheet_id)
            sheet.frozen_row_count = frozen_rows
            return sheet

    def add_sheet(self, spreadsheet_id: str, title: str, rows=None, rows_count: int = 1000, cols_count: int = 26,
                  sheet_id: int | None = None) -> Sheet:
        with self.lock:
            rows = rows or []
            if len(rows) > rows_count or any(len(r) > cols_count for r in rows):
                raise ValueError("rows do not fit the grid")
            sheet = self.spreadsheets[spreadsheet_id].add_sheet(title, rows_count, cols_count, sheet_id)
            sheet.grid = [[None if v == "" else v for v in r] for r in rows]
            return sheet

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        return self.spreadsheets[spreadsheet_id]

    def sheet(self, spreadsheet_id: str, title: str | None = None) -> Sheet:
        """The sheet model (first sheet unless `title`): .values(), .cell(row, col), .developer_metadata,
        .validations, .conditional_formats, and the UI-like mutations below."""
        return self.spreadsheets[spreadsheet_id].sheet(title)

    def sort_rows(self, spreadsheet_id: str, key: Callable | int = 1, reverse: bool = False, header_rows: int = 1,
                  title: str | None = None) -> None:
        self.sheet(spreadsheet_id, title).sort_rows(key, reverse, header_rows)

    def insert_rows(self, spreadsheet_id: str, at: int, n: int = 1, title: str | None = None) -> None:
        self.sheet(spreadsheet_id, title).insert_rows(at, n)

    def delete_rows(self, spreadsheet_id: str, at: int, n: int = 1, title: str | None = None) -> None:
        self.sheet(spreadsheet_id, title).delete_rows(at, n)

    def insert_columns(self, spreadsheet_id: str, at: int, n: int = 1, title: str | None = None) -> None:
        self.sheet(spreadsheet_id, title).insert_columns(at, n)

    def delete_columns(self, spreadsheet_id: str, at: int, n: int = 1, title: str | None = None) -> None:
        self.sheet(spreadsheet_id, title).delete_columns(at, n)

    def set_cell(self, spreadsheet_id: str, row: int, col: int, value: Any, title: str | None = None) -> None:
        self.sheet(spreadsheet_id, title).set_cell(row, col, value)

    def append_row(self, spreadsheet_id: str, values: list[Any], title: str | None = None) -> int:
        return self.sheet(spreadsheet_id, title).append_row(values)

    def _new_spreadsheet_id(self) -> str:
        return f"created-{next(self._ids)}"

    # ------------------------------------------------------------------ hooks, faults, counting

    def before_request(self, fn: Callable[[RequestInfo], Any]) -> Callable[[], None]:
        """Call fn(info) under the lock before each API request is handled; returns an unregister function."""
        with self.lock:
            self._before.append(fn)
        return lambda: self._before.remove(fn)

    def after_request(self, fn: Callable[[RequestInfo], Any]) -> Callable[[], None]:
        """Call fn(info) under the lock after each API request is handled (info.status, info.response set)."""
        with self.lock:
            self._after.append(fn)
        return lambda: self._after.remove(fn)

    def fail_next(self, status: int, count: int = 1, retry_after: float | None = None,
                  match: Callable[[RequestInfo], bool] | None = None, message: str | None = None,
                  applied: bool = False) -> None:
        """Answer the next `count` matching API requests with `status` in Google's error shape (status 0:
        drop the connection without an answer); a Retry-After header when given. With `applied`, the
        request is carried out first and only its answer is lost (a write that succeeded while the
        client saw a failure)."""
        with self.lock:
            self._faults.append(_Fault(status, count, retry_after, match, message, applied))

    def fail_rate(self, rate: float, statuses: tuple[int, ...] = (429, 500, 503), seed: int = 0,
                  match: Callable[[RequestInfo], bool] | None = None, retry_after: float | None = None) -> None:
        """Fail a random `rate` of matching API requests with one of `statuses` (rate=0 stops), with a
        Retry-After header when given."""
        with self.lock:
            self._rate = (rate, tuple(statuses), random.Random(seed), match, retry_after) if rate > 0 else None

    def delay(self, seconds: float, match: Callable[[RequestInfo], bool] | None = None,
              count: int | None = None) -> None:
        """Wait `seconds` before answering matching API requests (the next `count`, or all); 0 stops."""
        with self.lock:
            if seconds <= 0:
                self._delays.clear()
            else:
                self._delays.append([seconds, match, count])

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
            self._rate = None
            self._delays.clear()

    def count(self, kind: str | None = None, api: str | None = None, include_faults: bool = True) -> int:
        """API requests seen (token requests never count): kind "read", "write" or None for all."""
        with self.lock:
            return sum(
                1 for r in self.requests
                if (kind is None or r.kind == kind) and (api is None or r.api == api)
                and (include_faults or r.fault is None)
            )

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()

    def _pick_fault(self, info: RequestInfo) -> _Fault | None:
        for fault in self._faults:
            if fault.match is None or fault.match(info):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        if self._rate is not None:
            rate, statuses, rng, match, retry_after = self._rate
            if (match is None or match(info)) and rng.random() < rate:
                return _Fault(rng.choice(statuses), None, retry_after, None, None)
        return None

    def _pick_delay(self, info: RequestInfo) -> float:
        for entry in self._delays:
            seconds, match, count = entry
            if match is None or match(info):
                if count is not None:
                    entry[2] -= 1
                    if entry[2] <= 0:
                        self._delays.remove(entry)
                return seconds
        return 0.0

    # ------------------------------------------------------------------ dispatch

    def _handle(self, handler: "_Handler") -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(handler.path)
        params = parse_qs(split.query, keep_blank_values=True)
        raw = handler.body
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if split.path == "/token" and handler.command == "POST":
            form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            status, reply = self._issue_token(form)
            return status, reply, {}
        if handler.command == "GET" and _ALLOWED_LOCATIONS.match(split.path):
            # google-auth's regional-access-boundary lookup, for clients whose seam sends every
            # googleapis.com host here: unrestricted, as for an ordinary project.
            return 200, {"encodedLocations": "0x0", "locations": []}, {}
        found = google_schema.find_route(handler.command, split.path)
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        info = RequestInfo(0, handler.command, unquote(split.path), {k: v[0] for k, v in params.items()},
                           params, body, headers)
        if found is None:
            return 404, ApiError(404, f"Method not found: {handler.command} {split.path}").body(), {}
        route, path_params = found
        info.api, info.method_id, info.path_params = route.api, route.method_id, path_params
        with self.lock:
            info.number = next(self._numbers)
            self.requests.append(info)
        try:
            self._check_auth(headers, route.spec, route.method_id)
            with self.lock:
                for fn in list(self._before):
                    fn(info)
                fault = self._pick_fault(info)
                pause = self._pick_delay(info)
            if pause:
                time.sleep(pause)
            if fault is not None and not fault.applied:
                return self._fault_reply(info, fault)
            if isinstance(body, str):
                raise ApiError(400, "Invalid JSON payload received. Unexpected token.")
            query = google_schema.check_query(route.api, route.spec, params)
            ref = route.spec.get("request", {}).get("$ref")
            if ref:
                checked = google_schema.check_body(route.api, ref, body)
            elif body not in (None, {}):
                raise ApiError(400, "Invalid JSON payload received. The request body must be empty.")
            else:
                checked = {}
            api = self._sheets_api if route.api == "sheets" else self._forms_api
            method = api.methods.get(route.method_id)
            if method is None:
                raise ApiError(501, f"{route.method_id} is not implemented by the test server.")
            with self.lock:
                reply = method(path_params, query, checked)
            if fault is not None:
                return self._fault_reply(info, fault)
            info.status, info.response = 200, reply
            self._run_after(info)
            return 200, reply, {}
        except google_schema.BadRequest as e:
            error = ApiError(400, str(e), details=[{
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": f, "description": d} for f, d in e.violations]}])
            return self._error_reply(info, error)
        except ApiError as e:
            return self._error_reply(info, e)
        except Exception:
            self.errors.append(traceback.format_exc())
            return self._error_reply(info, ApiError(500, "Internal error encountered."))

    def _run_after(self, info: RequestInfo) -> None:
        """After-hooks; an exception in one is recorded in `errors` and the client still gets its answer."""
        with self.lock:
            for fn in list(self._after):
                try:
                    fn(info)
                except Exception:
                    self.errors.append(traceback.format_exc())

    def _error_reply(self, info: RequestInfo, error: ApiError) -> tuple[int, Any, dict]:
        info.status, info.response = error.code, error.body()
        extra = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'} if error.code == 401 else {}
        self._run_after(info)
        return error.code, error.body(), extra

    def _fault_reply(self, info: RequestInfo, fault: _Fault) -> tuple[int, Any, dict]:
        info.status = info.fault = fault.status
        if fault.status == 0:
            self._run_after(info)
            return 0, None, {}
        if fault.status == 429:
            metric = "Write requests" if info.is_write else "Read requests"
            message = fault.message or (
                f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of "
                f"service '{info.api}.googleapis.com' for consumer 'project_number:100000000001'."
            )
        else:
            message = fault.message or FAULT_MESSAGES.get(fault.status, "Error")
        error = ApiError(fault.status, message)
        info.response = error.body()
        self._run_after(info)
        headers = {}
        if fault.retry_after is not None:
            ra = fault.retry_after
            headers["Retry-After"] = str(int(ra)) if float(ra).is_integer() else str(ra)
        return fault.status, error.body(), headers


class _Handler(BaseHTTPRequestHandler):
    google: GoogleServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "ESF"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        try:
            status, reply, extra = self.google._handle(self)
        except Exception:
            self.google.errors.append(traceback.format_exc())
            status, reply, extra = 500, ApiError(500, "Internal error encountered.").body(), {}
        if status == 0:  # injected network failure: no answer at all
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        try:
            data = json.dumps(reply, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:   # a lone surrogate in a cell: escaped (\ud83d), as Google's encoder does
            data = json.dumps(reply).encode("ascii")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


__all__ = ["GoogleServer", "RequestInfo", "without_boundary_lookup"]
