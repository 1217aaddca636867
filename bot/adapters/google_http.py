"""gspread's HTTP seam: the configured API endpoint, and backoff on quota and server errors.

Only this module and `sheet_google` import gspread. 429 and 5xx answers are
retried with exponential backoff honouring Retry-After, within a bounded time;
after that a transient SheetError lets the cycle be retried later.
"""

import logging
import time
from collections.abc import Callable

import gspread
import requests
from gspread.exceptions import APIError

from bot.errors import SheetError

log = logging.getLogger(__name__)
GOOGLE = "https://sheets.googleapis.com"
RETRYABLE = {408, 429, 500, 502, 503, 504}


def client_class(endpoint: str, budget_seconds: float = 60.0, sleep: Callable[[float], None] | None = None,
                 id_key: str = "[sheet.google].spreadsheet_id") -> type[gspread.HTTPClient]:
    """A gspread HTTPClient class bound to `endpoint` ("" for Google); errors name `id_key` when the
    spreadsheet is not found."""

    class EndpointClient(gspread.HTTPClient):
        def request(self, method, endpoint_url, *args, **kwargs):
            if endpoint:
                endpoint_url = endpoint_url.replace(GOOGLE, endpoint.rstrip("/"))
            waited, attempt = 0.0, 0
            while True:
                try:
                    return super().request(method, endpoint_url, *args, **kwargs)
                except APIError as exc:
                    status = exc.response.status_code
                    if status not in RETRYABLE:
                        raise translate(exc, id_key) from None
                    delay = _retry_after(exc.response) or min(2 ** attempt, 32)
                    error = translate(exc, id_key)
                except (requests.ConnectionError, requests.Timeout) as exc:
                    delay, error = min(2 ** attempt, 32), SheetError(
                        f"Google Sheets unreachable ({type(exc).__name__})", transient=True)
                if waited + delay > budget_seconds:
                    raise error
                log.warning("Sheets API: %s; retrying in %.0fs", error, delay)
                (sleep or time.sleep)(delay)
                waited += delay
                attempt += 1

    return EndpointClient


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def translate(exc: APIError, id_key: str = "[sheet.google].spreadsheet_id") -> SheetError:
    status = exc.response.status_code
    try:
        message = exc.response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = exc.response.text[:200]
    if status == 403:
        return SheetError(f"access refused by Google Sheets ({message}) — share the sheet with the service "
                          f"account's address as an editor")
    if status == 404:
        return SheetError(f"spreadsheet not found ({message}) — check {id_key}")
    if status == 401:
        return SheetError(f"Google refused the credentials ({message}) — check [sheet.google].credentials_file")
    transient = status in RETRYABLE
    return SheetError(f"Sheets API answered {status}: {message}", transient=transient,
                      retry_after=_retry_after(exc.response))
