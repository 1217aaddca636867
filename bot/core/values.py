"""Reading cell values as Google Sheets, Forms and exports give them (SPEC §2).

Every parser returns the value or None when it cannot read it; it never guesses.
"""

import re
import unicodedata
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

SHEETS_EPOCH = datetime(1899, 12, 30)
PARIS = ZoneInfo("Europe/Paris")
_EARLIEST, _LATEST = date(1900, 1, 1), date(2199, 12, 31)
# A Sheets serial is only taken for a date in this window (serials 7306–73415): a
# number outside it in a date question is a year or a count someone typed
# ("1995" would otherwise read as 17/06/1905), not a date cell.
_SERIAL_FIRST, _SERIAL_LAST = date(1920, 1, 1), date(2100, 12, 31)

# ASCII digits only (re.ASCII): "٠١/١٠/٢٠٢٥" or full-width "２０２５" is not how any
# form or export writes a date or a SIRET; it is reported, not read.
_FRENCH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?", re.ASCII)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?", re.ASCII)
_SERIAL = re.compile(r"\d+(?:[.,]\d+)?", re.ASCII)
_SURROGATE = re.compile("[\ud800-\udfff]")     # once JSON has paired what pairs, a surrogate left is alone


def mended(value):
    """A decoded JSON value with each half of an emoji (a lone surrogate, from a text cut short: valid JSON,
    "\\ud83d", that no UTF-8 encoder takes) replaced by "\ufffd", so the text can be hashed, stored and sent."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [mended(v) for v in value]
    if isinstance(value, dict):
        return {k: mended(v) for k, v in value.items()}
    return value


def is_blank(raw: object) -> bool:
    """None, or text made only of spaces and invisible characters (zero-width spaces, joiners, controls)."""
    if raw is None:
        return True
    if not isinstance(raw, str):
        return False
    if raw and not _invisible(raw[0]):     # the common case, decided by the first character
        return False
    return all(_invisible(ch) for ch in raw)


def _invisible(ch: str) -> bool:
    return not ch.isalnum() and (ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc"))


def shown(raw: object) -> str:
    """The cell as the bot compares and quotes it: its `text`, "" when blank."""
    return "" if is_blank(raw) else text(raw)


def text(raw: object) -> str:
    """The cell as text: integral numbers lose their `.0`, strings are stripped."""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(raw, date):
        return raw.strftime("%d/%m/%Y")
    return str(raw).strip()


def excerpt(raw: object, limit: int = 200) -> str:
    """The cell as a finding may quote it: one line (line breaks and tabs become spaces), no control
    characters, at most `limit` characters (an ellipsis marks the cut). A finding is one line of the
    `Contrôle automatique` cell, whatever the answer holds."""
    line = " ".join(text(raw).split())
    line = "".join(ch for ch in line if unicodedata.category(ch) != "Cc")
    return line if len(line) <= limit else line[:limit - 1] + "…"


def parse_datetime(raw: object) -> datetime | None:
    """A naive Europe/Paris date-time from a French display, a Sheets serial number or ISO 8601."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, (int, float)):
        value = _from_serial(float(raw))
    else:
        value = _from_text(str(raw).strip())
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(PARIS).replace(tzinfo=None)
    return value if _EARLIEST <= value.date() <= _LATEST else None


def parse_date(raw: object) -> date | None:
    value = parse_datetime(raw)
    return value.date() if value else None


def _from_serial(serial: float) -> datetime | None:
    first = (_SERIAL_FIRST - SHEETS_EPOCH.date()).days
    last = (_SERIAL_LAST - SHEETS_EPOCH.date()).days + 1
    if serial != serial or not first <= serial < last:  # NaN, or outside the plausible window
        return None
    return SHEETS_EPOCH + timedelta(days=serial)


def _from_text(value: str) -> datetime | None:
    try:
        if m := _FRENCH.fullmatch(value):
            day, month, year, hour, minute, second = m.groups()
            return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        if _ISO.fullmatch(value):
            return datetime.fromisoformat(value)
        if _SERIAL.fullmatch(value):
            return _from_serial(float(value.replace(",", ".")))
    except ValueError:  # 31/02/2025, 2025-13-01, 25:00
        return None
    return None


def parse_email(raw: object) -> str | None:
    """The address when it is one syntactically valid address (no DNS lookup), else None.

    `test_environment` only lets the reserved `.test` domain through (RFC 2606), which
    test and staging setups use; every other syntax rule still applies.
    """
    value = text(raw)
    try:
        valid = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return None
    # A non-ASCII local part (léa@…) needs SMTPUTF8, which the bot does not use: an
    # address it cannot write to is not an address it may accept.
    return value if valid.ascii_email is not None else None


def parse_siret(raw: object) -> str | None:
    """The 14 digits of a SIRET when they pass the Luhn check (or La Poste's rule), else None."""
    digits = re.sub(r"[\s.\u00a0\u202f]", "", text(raw))
    if not re.fullmatch(r"[0-9]{14}", digits):
        return None
    if _luhn(digits) or (digits.startswith("356000000") and sum(map(int, digits)) % 5 == 0):
        return digits
    return None


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def parse_checkbox(raw: object) -> bool:
    """A ticked box reads TRUE unformatted and VRAI in a French-locale sheet."""
    if isinstance(raw, bool):
        return raw
    return text(raw).upper() in {"TRUE", "VRAI", "1", "OUI", "X", "✓", "✔"}
