"""The Google Forms API through google-api-python-client: a form's questions and its responses.

Only this module imports googleapiclient. The client is built from the discovery
document the library ships (`static_discovery=True`: no network at start-up) and
points at `api_endpoint` when one is configured. 408, 429 and 5xx answers and
network failures are retried with exponential backoff honouring Retry-After, within
a bounded time; every other failure becomes a SheetError saying what to fix.
"""

import json
import logging
import time
from collections.abc import Callable

import httplib2
from google.auth.exceptions import GoogleAuthError
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from bot.core import values
from bot.errors import SheetError

log = logging.getLogger(__name__)
SCOPES = ["https://www.googleapis.com/auth/forms.body.readonly",        # forms.get: the questions
          "https://www.googleapis.com/auth/forms.responses.readonly"]   # responses.list
RETRYABLE = {408, 429, 500, 502, 503, 504}


class FormsClient:
    """Reads one form. `responses(since)` lists every page; `page_size` 0 lets the API choose (≤ 5,000)."""

    def __init__(self, credentials, form_id: str, endpoint: str = "", page_size: int = 0, timeout: float = 30,
                 budget_seconds: float = 60.0, sleep: Callable[[float], None] | None = None):
        self.form_id = form_id
        self.page_size = page_size
        self.budget_seconds = budget_seconds
        self.sleep = sleep
        self.account = getattr(credentials, "service_account_email", None)
        http = AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        self.service = build("forms", "v1", http=http, static_discovery=True, cache_discovery=False,
                             client_options={"api_endpoint": endpoint} if endpoint else None)

    def form(self) -> dict:
        """forms.get: the form's title, settings and items (questions) in order."""
        return self._execute(self.service.forms().get(formId=self.form_id))

    def responses(self, since: str | None = None) -> list[dict]:
        """Every response submitted after `since` (RFC 3339 UTC "Zulu"), or all of them, across pages."""
        params = {"formId": self.form_id}
        if since:
            params["filter"] = f"timestamp > {since}"
        if self.page_size:
            params["pageSize"] = self.page_size
        api = self.service.forms().responses()
        found: list[dict] = []
        request = api.list(**params)
        while request is not None:
            reply = self._execute(request)
            found += reply.get("responses", [])
            request = api.list_next(request, reply)
        return found

    def _execute(self, request) -> dict:
        waited, attempt = 0.0, 0
        while True:
            try:
                return values.mended(request.execute())
            except HttpError as exc:
                error = self._translate(exc)
                if exc.resp.status not in RETRYABLE:
                    raise error from None
                delay = error.retry_after if error.retry_after is not None else min(2 ** attempt, 32)
            except (OSError, httplib2.HttpLib2Error) as exc:  # refused, reset, timed out
                error = SheetError(f"Google Forms API unreachable ({type(exc).__name__})", transient=True)
                delay = min(2 ** attempt, 32)
            except GoogleAuthError as exc:
                raise SheetError(f"Google authentication failed ({exc}) — check [sheet.google].credentials_file "
                                 f"and that the key is still valid", transient=True) from None
            if waited + delay > self.budget_seconds:
                raise error
            log.warning("%s; retrying in %.1fs", error, delay)
            (self.sleep or time.sleep)(delay)
            waited += delay
            attempt += 1

    def _translate(self, exc: HttpError) -> SheetError:
        status = exc.resp.status
        message, reasons = _error_of(exc)
        who = f"the service account {self.account}" if self.account else "the account of the credentials"
        if status == 403 and ("SERVICE_DISABLED" in reasons or "has not been used" in message
                              or "is disabled" in message):
            return SheetError(f"the Google Forms API is not enabled ({message}) — enable it for the credentials' "
                              f"Cloud project: console.cloud.google.com/apis/library/forms.googleapis.com")
        if status == 403 and ("ACCESS_TOKEN_SCOPE_INSUFFICIENT" in reasons or "scopes" in message):
            return SheetError(f"the credentials lack the Forms scopes ({message}) — an authorized_user file must be "
                              f"authorised again with forms.body.readonly and forms.responses.readonly")
        if status == 403:
            return SheetError(f"access to the form refused ({message}) — add {who} as an editor of the form "
                              f"(in Google Forms: ⋮ → Add collaborators)")
        if status == 404:
            return SheetError(f"form not found ({message}) — check [sheet.forms].form_id: the id in the form's "
                              f"edit address docs.google.com/forms/d/<form_id>/edit, not the /d/e/… responder link")
        if status == 401:
            return SheetError(f"Google refused the credentials ({message}) — check [sheet.google].credentials_file")
        return SheetError(f"Forms API answered {status}: {message}", transient=status in RETRYABLE,
                          retry_after=_retry_after(exc.resp))


def _error_of(exc: HttpError) -> tuple[str, set[str]]:
    """Google's error message and the `reason`s of its details."""
    try:
        error = json.loads(exc.content.decode("utf-8"))["error"]
        message = str(error.get("message", ""))
        reasons = {d.get("reason", "") for d in error.get("details", []) if isinstance(d, dict)}
        return message, reasons
    except (ValueError, KeyError, TypeError, AttributeError):
        return (exc.content or b"")[:200].decode("utf-8", "replace"), set()


def _retry_after(resp) -> float | None:
    try:
        return max(0.0, float(resp.get("retry-after", "")))
    except (TypeError, ValueError):
        return None
