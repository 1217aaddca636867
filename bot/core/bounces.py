"""Recognise the delivery reports (bounces) that come back for the bot's e-mails.

Pure: bytes in, a `Bounce` or None out; no network, no file, no clock.

`parse_bounce(raw)` returns None exactly when the message is *not* a bounce:
ordinary mail, replies, out-of-office and vacation auto-replies, read receipts,
and delivery reports that only say "delivered" or "relayed". Anything that
reports a failed or delayed delivery is a `Bounce`, even when it cannot be tied
to one of our messages: then `original_message_id` is None (and `recipients`
may be empty) and the caller logs it for a person, since a report that names no
message cannot be put on a dossier's row.

Formats understood:
- RFC 3464 delivery status notifications (Postfix, Exim 4.9x, Sendmail, Gmail,
  Microsoft Exchange / Office 365, and RFC 6533's internationalised variant):
  recipients from Original-Recipient (the address we sent to) or else
  Final-Recipient, with `Action: failed` (permanent) or else `Action: delayed`
  (not permanent); the original Message-ID from the text/rfc822-headers or
  message/rfc822 part.
- Plain-text reports that quote the original message: Exim ("This message was
  created automatically by mail delivery software"), qmail ("Hi. This is the
  qmail-send program"), old Postfix/Sendmail and Gmail texts. Recipients come
  from X-Failed-Recipients or the address lines of the report; the Message-ID
  from the quoted headers, or else the report's own In-Reply-To (Exchange).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr


@dataclass(frozen=True)
class Bounce:
    """A failed or delayed delivery of one of our messages.

    `original_message_id` keeps its angle brackets, as in the header;
    `recipients` are the failed addresses, lower-cased; `status` is the
    enhanced status code ("5.1.1") when the report gives one; `permanent` is
    False for a delay (4.x.x, "will keep trying").
    """

    original_message_id: str | None
    recipients: tuple[str, ...]
    status: str | None
    diagnostic: str | None
    permanent: bool


_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
_HEADERS_TYPES = ("text/rfc822-headers", "message/global-headers")
_MESSAGE_TYPES = ("message/rfc822", "message/global")

_STATUS = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\d.#-])([245]\d\d)[ -](?=\S)")
_MESSAGE_ID = re.compile(r"(?<![\w-])Message-I[Dd]:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+@[^<>\s]+>)", re.I)
_ADDRESS = r"[^\s<>()@,;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_ADDRESS_LINE = re.compile(rf"^\s*<?({_ADDRESS})>?:?\s*$|^\s*<({_ADDRESS})>:", re.M)
_GMAIL_TEXT = re.compile(rf"(?:wasn't|was not|couldn't be) delivered to ({_ADDRESS})", re.I)

_QUOTE_MARKER = re.compile(
    r"^.*(?:this is a copy of the message|below this line is a copy of the message"
    r"|-{2,}\s*original message\s*-{2,}|original message headers|undelivered message headers"
    r"|returned message follows|text of the message follows|headers of your message"
    r"|copie du message|en-t[eê]tes du message d'origine).*$",
    re.I | re.M,
)
_DAEMON_SENDER = re.compile(r"^(mailer[-_]?daemon|mail[-_]?daemon|postmaster|mdaemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|returned to sender|delivery status notification"
    r"|delivery (?:failure|failed|has failed|delayed|problem)|mail delivery failed|failure notice"
    r"|non remis|non distribuable|[ée]chec de (?:la )?(?:remise|livraison)|message non d[ée]livr[ée]"
    r"|warning: message .* delayed|delayed mail|mail system error",
    re.I,
)
_BOUNCE_BODY = re.compile(
    r"qmail-send program|created automatically by mail delivery software|this is the mail system at host"
    r"|delivery to the following recipients? (?:failed|has been delayed)"
    r"|could not be delivered to one or more|wasn't able to deliver your message"
    r"|delivery has failed to these recipients|your message (?:wasn't|was not|couldn't be) delivered"
    r"|votre message n'a pas pu [êe]tre (?:remis|distribu[ée])",
    re.I,
)
_TRANSIENT = re.compile(
    r"delayed|not yet been delivered|temporar(?:y|ily)|will (?:continue|keep) trying|will be retried"
    r"|still being retried|no action is required|retarde|différé|nouvel essai",
    re.I,
)
_OUT_OF_OFFICE = re.compile(
    r"absence du bureau|out of (?:the )?office|r[ée]ponse automatique|automatic reply|auto(?:matic)?[- ]?reply"
    r"|message d'absence|^auto:|abwesenheit|vacation",
    re.I,
)
_MAX_DIAGNOSTIC = 300


def parse_bounce(raw: bytes) -> Bounce | None:
    """Return the bounce that `raw` reports, or None when it is not a bounce."""
    msg = message_from_bytes(raw, policy=compat32)
    report = _first_part(msg, _DSN_TYPES)
    if report is not None:
        blocks = _dsn_blocks(report)
        if any(_is_recipient_block(block) for block in blocks):
            return _from_dsn(msg, blocks)
    if msg.get("X-Failed-Recipients") or msg.get("X-MS-Exchange-Message-Is-Ndr") is not None:
        return _from_text(msg)
    if _is_auto_reply(msg) or not _looks_like_bounce(msg):
        return None
    return _from_text(msg)


# --- RFC 3464 --------------------------------------------------------------


def _from_dsn(msg: Message, blocks: list[dict[str, str]]) -> Bounce | None:
    recipients = [block for block in blocks if _is_recipient_block(block)]
    failed = [block for block in recipients if _action(block) == "failed"]
    delayed = [block for block in recipients if _action(block) == "delayed"]
    chosen = failed or delayed
    if not chosen:  # a success report: delivered, relayed, expanded
        return None
    addresses = (_dsn_address(b.get("original-recipient") or b.get("final-recipient")) for b in chosen)
    diagnostic = chosen[0].get("diagnostic-code")
    if diagnostic:
        diagnostic = _shorten(re.sub(r"^\s*[\w-]+\s*;\s*", "", diagnostic))
    return Bounce(
        original_message_id=_original_message_id(msg, dsn_blocks=blocks),
        recipients=_unique(a for a in addresses if a),
        status=_status_of(chosen[0].get("status", "")),
        diagnostic=diagnostic or None,
        permanent=bool(failed),
    )


def _dsn_blocks(part: Message) -> list[dict[str, str]]:
    """The field groups of a delivery-status part, names lower-cased, values unfolded."""
    payload = part.get_payload()
    if isinstance(payload, list):  # compat32 parses each group as a header block
        return [{k.lower(): _unfold(v) for k, v in block.items()} for block in payload]
    groups = re.split(r"\n[ \t]*\n", _decoded_text(part))
    return [{k.lower(): _unfold(v) for k, v in HeaderParser().parsestr(g.strip() + "\n").items()} for g in groups]


def _is_recipient_block(block: dict[str, str]) -> bool:
    return "final-recipient" in block or "original-recipient" in block


def _action(block: dict[str, str]) -> str:
    action = block.get("action", "").strip().lower()
    if action:
        return action.split()[0]
    status = _status_of(block.get("status", "")) or ""
    return {"5": "failed", "4": "delayed"}.get(status[:1], "delivered")


def _dsn_address(value: str | None) -> str | None:
    """'rfc822; Lea.Martin@Example.COM' -> 'lea.martin@example.com'."""
    if not value:
        return None
    address = value.rpartition(";")[2].strip().strip("<>").strip()
    return address.lower() if "@" in address else None


# --- plain-text reports ----------------------------------------------------


def _from_text(msg: Message) -> Bounce:
    text = _body_text(msg)
    marker = _QUOTE_MARKER.search(text)
    report, quoted = (text[: marker.start()], text[marker.end() :]) if marker else (text, "")
    recipients = _text_recipients(msg, report, quoted)
    status_match = _STATUS.search(report)
    status = status_match.group(1) if status_match else None
    code = _REPLY_CODE.search(report)
    if status:
        permanent = status.startswith("5")
    elif code:
        permanent = code.group(1).startswith("5")
    else:
        permanent = not _TRANSIENT.search(_subject(msg) + "\n" + report)
    return Bounce(
        original_message_id=_original_message_id(msg, text),
        recipients=recipients,
        status=status,
        diagnostic=_text_diagnostic(report, recipients),
        permanent=permanent,
    )


def _text_recipients(msg: Message, report: str, quoted: str) -> tuple[str, ...]:
    listed = ",".join(msg.get_all("X-Failed-Recipients", []))
    found = [address for _, address in getaddresses([listed]) if "@" in address]
    if not found:
        found = [a or b for a, b in _ADDRESS_LINE.findall(report)] + _GMAIL_TEXT.findall(report)
    if not found and quoted:  # our messages have one recipient: the quoted To is it
        headers = HeaderParser().parsestr(quoted.lstrip())
        found = [address for _, address in getaddresses(headers.get_all("To", [])) if "@" in address]
    return _unique(address.lower() for address in found)


def _text_diagnostic(report: str, recipients: tuple[str, ...]) -> str | None:
    """The paragraph that follows the first failed address, or the first SMTP reply."""
    lines = report.splitlines()
    for index, line in enumerate(lines):
        if recipients and recipients[0] in line.lower():
            paragraph = []
            for following in lines[index + 1 :]:
                if following.strip():
                    paragraph.append(following.strip())
                elif paragraph:
                    break
            if paragraph:
                return _shorten(" ".join(paragraph))
            break
    for line in lines:
        if _REPLY_CODE.search(line):
            return _shorten(line)
    return None


# --- telling bounces from other mail --------------------------------------


def _looks_like_bounce(msg: Message) -> bool:
    """Two signals out of three: a mailer-daemon sender, a bounce subject, a bounce text."""
    signals = (
        bool(_DAEMON_SENDER.match(parseaddr(msg.get("From", ""))[1])),
        bool(_BOUNCE_SUBJECT.search(_subject(msg))),
        bool(_BOUNCE_BODY.search(_body_text(msg))),
    )
    return sum(signals) >= 2


def _is_auto_reply(msg: Message) -> bool:
    """Out-of-office and vacation replies (RFC 3834 and the common private headers).

    `Auto-Submitted: auto-replied` alone is not enough: Postfix and Exim put it
    on their bounces too, so it counts only when the sender is not a mailer daemon.
    """
    if any(msg.get(name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")):
        return True
    if (msg.get("Precedence", "") + msg.get("X-Precedence", "")).strip().lower() in ("auto_reply", "auto-reply"):
        return True
    if _OUT_OF_OFFICE.search(_subject(msg)):
        return True
    auto_submitted = msg.get("Auto-Submitted", "").strip().lower()
    from_daemon = _DAEMON_SENDER.match(parseaddr(msg.get("From", ""))[1])
    return auto_submitted.startswith("auto-replied") and not from_daemon


# --- shared helpers ---------------------------------------------------------


def _original_message_id(
    msg: Message, text: str | None = None, dsn_blocks: Iterable[dict[str, str]] = ()
) -> str | None:
    """The Message-ID of the message that bounced, from the best source available.

    In order: the returned headers or message, Gmail's X-Original-Message-ID
    report field, a Message-ID line quoted in the report's text, and last the
    report's own In-Reply-To (Exchange sets it to the bounced message).
    """
    headers = _first_part(msg, _HEADERS_TYPES)
    if headers is not None:
        found = _message_id(HeaderParser().parsestr(_decoded_text(headers)).get("Message-ID"))
        if found:
            return found
    attached = _first_part(msg, _MESSAGE_TYPES)
    if attached is not None:
        payload = attached.get_payload()
        original = payload[0] if isinstance(payload, list) and payload else None
        found = _message_id(original.get("Message-ID") if original is not None else None)
        if found:
            return found
    for block in dsn_blocks:
        found = _message_id(block.get("x-original-message-id"))
        if found:
            return found
    quoted = _MESSAGE_ID.search(text if text is not None else _body_text(msg))
    if quoted:
        return quoted.group(1)
    return _message_id(msg.get("In-Reply-To"))


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    match = re.search(r"<[^<>\s]+>", value)
    if match:
        return match.group(0)
    value = value.strip()
    return f"<{value}>" if "@" in value and not re.search(r"\s", value) else None


def _first_part(msg: Message, content_types: tuple[str, ...]) -> Message | None:
    """The first part of one of `content_types`, not looking inside attached messages."""
    if msg.get_content_type() in content_types:
        return msg
    if msg.get_content_maintype() == "multipart" and isinstance(msg.get_payload(), list):
        for part in msg.get_payload():
            found = _first_part(part, content_types)
            if found is not None:
                return found
    return None


def _body_text(msg: Message) -> str:
    """The report's own text (plain parts, or HTML parts made plain), newlines normalised."""
    plain, rich = [], []
    for part in _leaves(msg):
        if part.get_content_type() == "text/plain":
            plain.append(_decoded_text(part))
        elif part.get_content_type() == "text/html":
            rich.append(_html_to_text(_decoded_text(part)))
    return "\n".join(plain or rich)


def _leaves(part: Message) -> Iterator[Message]:
    if part.get_content_maintype() == "message":
        return  # an attached original is read on its own, not as report text
    if part.is_multipart():
        for sub in part.get_payload():
            yield from _leaves(sub)
    else:
        yield part


def _decoded_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except LookupError:
        text = payload.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n")


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|pre|h\d)>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _subject(msg: Message) -> str:
    raw = msg.get("Subject", "")
    try:
        return str(make_header(decode_header(raw)))
    except (LookupError, UnicodeDecodeError, ValueError):
        return str(raw)


def _status_of(value: str) -> str | None:
    match = _STATUS.search(value)
    return match.group(1) if match else None


def _unfold(value: str) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


def _shorten(text: str) -> str:
    text = _unfold(text)
    return text if len(text) <= _MAX_DIAGNOSTIC else text[: _MAX_DIAGNOSTIC - 1] + "…"


def _unique(addresses: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(addresses))
