"""Cell values as the Sheets API stores, renders (fr_FR) and parses them, and Google's error shape."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

EPOCH = datetime(1899, 12, 30)


class ApiError(Exception):
    """An error the API answers in Google's shape."""

    STATUS = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ABORTED",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        501: "UNIMPLEMENTED",
        503: "UNAVAILABLE",
        504: "DEADLINE_EXCEEDED",
    }

    def __init__(self, code: int, message: str, status: str | None = None, details: list | None = None):
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or self.STATUS.get(code, "UNKNOWN")
        self.details = details

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad(message: str) -> ApiError:
    return ApiError(400, message)


class Formula(str):
    """A formula as stored (its text, starting with '='); `result` is what it shows, if a test sets one."""

    result: Any = None


# --------------------------------------------------------------------------- values


def is_empty(value: Any) -> bool:
    return value is None or value == ""


def to_serial(value: date) -> int | float:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None)
        delta = value - EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return (value - EPOCH.date()).days


def from_serial(serial: float, with_time: bool) -> date:
    moment = EPOCH + timedelta(days=serial)
    return moment.replace(microsecond=0) if with_time else moment.date()


def format_number(value: int | float) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace(".", ",").replace("e", "E")
    return str(value)


def formatted(value: Any) -> str:
    """The fr_FR display of a stored value."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return formatted(value.result)
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (int, float)):
        return format_number(value)
    return str(value)


def render(value: Any, value_option: str = "FORMATTED_VALUE", date_option: str = "SERIAL_NUMBER") -> Any:
    """A stored value as the Sheets API returns it (valueRenderOption, dateTimeRenderOption)."""
    if isinstance(value, Formula):
        if value_option == "FORMULA":
            return str(value)
        return render(value.result, value_option, date_option) if value.result is not None else ""
    if value is None:
        return ""
    if value_option == "FORMATTED_VALUE":
        return formatted(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, date):
        return to_serial(value) if date_option == "SERIAL_NUMBER" else formatted(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+[.,]\d*|[.,]\d+)")
_PERCENT = re.compile(r"([+-]?\d+(?:[.,]\d+)?)\s?%")
_FR_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def parse_user_entered(text: str) -> Any:
    """What Sheets stores when a person types `text` in a fr_FR spreadsheet (USER_ENTERED)."""
    if text == "":
        return None
    if text.startswith("'"):
        return text[1:]
    if text.startswith("="):
        return Formula(text)
    s = text.strip()
    if s.upper() in ("VRAI", "TRUE"):
        return True
    if s.upper() in ("FAUX", "FALSE"):
        return False
    if _INT.fullmatch(s):
        digits = s.lstrip("+-")
        return int(s) if len(digits) <= 15 else float(s)
    if _DECIMAL.fullmatch(s):
        return float(s.replace(",", "."))
    if m := _PERCENT.fullmatch(s):
        return float(m.group(1).replace(",", ".")) / 100
    for pattern, order in ((_FR_DATE, (2, 1, 0)), (_ISO_DATE, (0, 1, 2))):
        if m := pattern.fullmatch(s):
            g = m.groups()
            try:
                day = date(int(g[order[0]]), int(g[order[1]]), int(g[order[2]]))
            except ValueError:
                return text
            if g[3] is None:
                return day
            try:
                return datetime(day.year, day.month, day.day, int(g[3]), int(g[4]), int(g[5] or 0))
            except ValueError:
                return text
    return text


def stored_from_input(value: Any, option: str, where: str) -> Any:
    """A JSON value from values.update & co as stored; raises for lists/objects."""
    if isinstance(value, (list, dict)):
        kind = "list_value" if isinstance(value, list) else "struct_value"
        raise bad(f"Invalid values{where}: {kind} {value!r}")
    if isinstance(value, str):
        return value if option == "RAW" and value != "" else parse_user_entered(value) if value else None
    return value  # int, float, bool
