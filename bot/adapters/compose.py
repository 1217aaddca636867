"""One rendered e-mail turned into a MIME message (SPEC §5), ready for SMTP, the outbox or IMAP.

Everything that reaches a header is checked here, because names and addresses
come from a form anyone can fill: a display name loses its control characters
and line breaks (so it cannot start a header of its own); an address must be
exactly one valid address, else `MailError(permanent=True)`, since no retry
can fix it.
"""

import re
import unicodedata
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

from bot.adapters.templates import Rendered
from bot.core.events import Outgoing
from bot.errors import MailError

PARIS = ZoneInfo("Europe/Paris")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
# RFC 5322 msg-id: "<" dot-atom-text "@" dot-atom-text ">".
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_MESSAGE_ID = re.compile(rf"<{_ATOM}@{_ATOM}>")


NAME_MAX = 100  # characters of a display name: a form answer may hold 50,000


def clean_text(value: str, limit: int | None = None) -> str:
    """One line of printable text: line breaks, tabs and other whitespace runs become one space,
    control characters are dropped; cut to `limit` characters (an ellipsis marks the cut)."""
    spaced = " ".join(str(value).split())
    cleaned = "".join(ch for ch in spaced if unicodedata.category(ch) != "Cc").strip()
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[:limit - 1].rstrip() + "…"
    return cleaned


def mailbox(name: str, address: str, what: str) -> Address:
    """A header-safe `Name <address>`; raises MailError(permanent=True) unless `address` is one valid address.

    The domain is IDNA-encoded; a non-ASCII local part is refused (it needs
    SMTPUTF8, which the bot does not use).
    """
    raw = str(address)
    try:  # the same rules as the core's parse_email, so that an address the check accepts can be written
        valid = validate_email(raw.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise MailError(f"{what} address {raw!r} is not one valid e-mail address ({exc})", permanent=True) from None
    if valid.ascii_email is None:
        raise MailError(f"{what} address {raw!r} has non-ASCII characters before the @, which the bot "
                        f"cannot send to", permanent=True)
    local, _, domain = valid.ascii_email.rpartition("@")
    try:
        return Address(display_name=clean_text(name, NAME_MAX), username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise MailError(f"{what} address {raw!r} cannot be written in a header ({exc})", permanent=True) from None


def check_message_id(value: str, what: str) -> str:
    if not _MESSAGE_ID.fullmatch(value):
        raise MailError(f"{what} {value!r} is not a valid Message-ID (<left@right>, no spaces, one @)",
                        permanent=True)
    return value


def build_message(outgoing: Outgoing, rendered: Rendered, *, sender: tuple[str, str], reply_to: tuple[str, str],
                  domain: str, thread: list[str], when: datetime) -> EmailMessage:
    """The message for `outgoing`: multipart/alternative (text, HTML), UTF-8, threaded.

    `thread` lists the Message-IDs of the earlier messages to this person about
    this dossier, oldest first: the last becomes In-Reply-To, all of them
    References. `when` is the Date; a naive one is taken as Europe/Paris time.
    Raises MailError(permanent=True) for an address, domain or Message-ID that
    cannot be written safely.
    """
    if not _DOMAIN.fullmatch(domain or ""):
        raise MailError(f"Message-ID domain {domain!r} is not a domain name such as miage.example.org",
                        permanent=True)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = mailbox(sender[0], sender[1], "sender")
    recipient = outgoing.recipient
    msg["To"] = mailbox(recipient.name, recipient.email, f"recipient ({recipient.role.label})")
    msg["Reply-To"] = mailbox(reply_to[0], reply_to[1], "Reply-To")
    msg["Subject"] = clean_text(rendered.subject)
    msg["Date"] = format_datetime(when if when.tzinfo else when.replace(tzinfo=PARIS))
    msg["Message-ID"] = check_message_id(outgoing.message_id(domain), "this message's Message-ID")
    earlier = [check_message_id(m.strip(), "thread entry") for m in thread if m and m.strip()]
    if earlier:
        msg["In-Reply-To"] = earlier[-1]
        msg["References"] = " ".join(earlier)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    msg["Content-Language"] = "fr"  # after the content: set_content() clears Content-* headers
    return msg
