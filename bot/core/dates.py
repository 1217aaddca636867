"""Calendar arithmetic as SPEC §4 defines it, so every implementation agrees at the boundaries."""

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_day_of_duration(start: date, months: int) -> date:
    """The last day of a contract lasting exactly `months` from `start` (01/09/2025, 6 → 28/02/2026)."""
    return add_months(start, months) - timedelta(days=1)


def age_on(birth: date, day: date) -> int:
    """Whole years since `birth` on `day`; the birthday itself counts."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def french(day: date) -> str:
    """`01/09/2025`."""
    return day.strftime("%d/%m/%Y")
