"""The lead's decision cell."""

from enum import Enum

from bot.core import values


class Decision(str, Enum):
    OK = "OK"
    KO = "KO"
    UNREADABLE = "illisible"


def parse_decision(raw: object) -> Decision | None:
    """OK, KO, UNREADABLE for anything else written, None when empty."""
    if values.is_blank(raw):
        return None
    text = values.text(raw).strip().upper().rstrip(".!")
    if text in {"OK", "KO"}:
        return Decision(text)
    return Decision.UNREADABLE
