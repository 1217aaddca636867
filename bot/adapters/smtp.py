"""Sending the bot's e-mails over SMTP: the only module that imports smtplib.

`SmtpSender` keeps one connection for all the messages of a cycle and turns
every smtplib, socket and TLS failure into a `MailError`:

- `permanent=True, code=5xx`: the server refused this message or this
  recipient for good. The connection stays open for the next message.
- `permanent=False`: worth trying again later (4xx reply, dropped connection,
  timeout, TLS failure, refused login). The connection is closed; the next
  `send` opens a new one.

Exactly-once caveat: when the connection breaks after the message's data has
been sent but before the server's reply, the server may have accepted it.
SMTP gives no way to know (RFC 1047); the error message says so, and retrying
may deliver a duplicate.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Literal

from bot.adapters.tls import tls_context
from bot.errors import MailError

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]
_IDLE_CHECK_AFTER = 10.0  # seconds without traffic after which a NOOP checks the connection


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; `password` is the secret itself, read from the environment by the config."""

    host: str
    port: int
    security: Security = "starttls"
    user: str | None = None
    password: str | None = None
    verify_tls: bool = True
    ca_file: str | None = None
    timeout: float = 30
    local_hostname: str | None = None

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "ssl", "none"):
            raise ValueError(f"security must be 'starttls', 'ssl' or 'none', not {self.security!r}")

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:  # never show the password in a log or a traceback
        return f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, user={self.user!r})"


class SmtpSender:
    """Sends messages one by one over a single, lazily opened connection.

    Use as a context manager: `with SmtpSender(settings) as sender: sender.send(msg)`.
    `ssl_context` replaces the default verifying context (tests pass one that
    trusts their CA).
    """

    def __init__(self, settings: SmtpSettings, ssl_context: ssl.SSLContext | None = None):
        self._settings = settings
        self._ssl_context = ssl_context
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open; never raises."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, msg: EmailMessage) -> None:
        """Send `msg` to its single To address.

        Returns None once the server accepted the message; raises MailError
        otherwise (see the module docstring for `permanent`). A 535 (login
        refused) is not permanent: it is a configuration problem, the message
        itself is fine and must go out once the operator fixes the user or the
        password, so it must not be marked as failed for good.
        """
        sender, recipient = _envelope(msg)
        international = not (sender + recipient).isascii()
        data = _flatten(msg, smtputf8=international)
        smtp = self._connection()
        options = _mail_options(smtp, len(data), international, recipient)
        stage = "MAIL FROM"
        try:
            code, reply = smtp.mail(sender, options)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            stage = "RCPT TO"
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
            stage = "DATA"
            code, reply = smtp.data(data)
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPResponseException as exc:
            raise self._refused(exc.smtp_code, exc.smtp_error, stage, recipient) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients[recipient]
            raise self._refused(code, reply, stage, recipient) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            unsure = " The server may or may not have accepted it." if stage == "DATA" else ""
            raise MailError(
                f"connection to {self._settings.where} lost during {stage} for {recipient}: {exc}.{unsure}"
            ) from exc
        self._last_used = time.monotonic()
        log.info("sent %s to %s", msg.get("Message-ID", "(no Message-ID)"), recipient)

    def _refused(self, code: int, reply: bytes | str, stage: str, recipient: str) -> MailError:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        permanent = 500 <= code < 600
        if permanent:
            self._reset()
        else:
            self._drop()
        return MailError(
            f"{self._settings.where} refused {stage} for {recipient}: {code} {text}",
            permanent=permanent,
            code=code,
        )

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._last_used > _IDLE_CHECK_AFTER:
            try:
                alive = self._smtp.noop()[0] == 250
            except (smtplib.SMTPException, OSError):
                alive = False
            if not alive:
                self._drop()
        if self._smtp is None:
            self._smtp = _open(self._settings, self._ssl_context)
            self._last_used = time.monotonic()
        return self._smtp

    def _reset(self) -> None:
        """After a refusal, RSET so the connection can carry the next message."""
        try:
            if self._smtp is not None and self._smtp.rset()[0] == 250:
                return
        except (smtplib.SMTPException, OSError):
            pass
        self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def check_login(settings: SmtpSettings, ssl_context: ssl.SSLContext | None = None) -> None:
    """Connect, secure, log in and quit: what `doctor` runs.

    Returns None when all went well; raises MailError with a message a person
    can act on.
    """
    smtp = _open(settings, ssl_context)
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _open(settings: SmtpSettings, ssl_context: ssl.SSLContext | None) -> smtplib.SMTP:
    """A connected, secured and authenticated SMTP session, or MailError(permanent=False)."""
    context = _tls_context(settings, ssl_context)
    smtp: smtplib.SMTP | None = None
    try:
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, local_hostname=settings.local_hostname,
                timeout=settings.timeout, context=context,
            )
        else:
            smtp = smtplib.SMTP(
                settings.host, settings.port, local_hostname=settings.local_hostname, timeout=settings.timeout
            )
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        smtp.ehlo()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise MailError(
                    f"{settings.where} does not offer STARTTLS: check [mail.smtp].port "
                    "(587 for STARTTLS, 465 with security = \"ssl\")"
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.user:
            _login(smtp, settings)
        log.debug("connected to %s (%s)", settings.where, settings.security)
        return smtp
    except MailError:
        _close_quietly(smtp)
        raise
    except Exception as exc:
        _close_quietly(smtp)
        raise MailError(_explain(settings, exc)) from exc


def _login(smtp: smtplib.SMTP, settings: SmtpSettings) -> None:
    """AUTH with the configured user and password.

    smtplib encodes credentials as ASCII: a password with an accent would fail with
    an encoding error quoting the offending character. Such credentials go as AUTH
    PLAIN in UTF-8 (RFC 4616), the one mechanism defined for them.
    """
    user, password = settings.user or "", settings.password or ""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        raise MailError(f"{settings.where} does not offer AUTH PLAIN, the only way to send a user name or "
                        f"password with non-ASCII characters: change the password, or use another server")
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, reply = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _explain(settings: SmtpSettings, exc: Exception) -> str:
    """A plain-words message for a failure to connect, secure or log in (never quoting the credentials)."""
    where = settings.where
    if isinstance(exc, UnicodeError):  # its text would quote a character of the password
        return (f"{where}: the user name or password could not be encoded for the server: check "
                f"[mail.smtp].user and the password")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return (
            f"{where} refused the login of user {settings.user!r} ({exc.smtp_code} {reply}): "
            "check [mail.smtp].user and the password variable ([mail.smtp].password_env or password_file)"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{where} does not offer AUTH: check [mail.smtp].port and security, or leave [mail.smtp].user empty"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the TLS certificate of {where} is not trusted ({exc.verify_message}): check that "
            "[mail.smtp].host is the name in the certificate, or install the issuing CA on this machine"
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"TLS with {where} failed ({exc.reason or exc}): check [mail.smtp].security "
            "(\"ssl\" for port 465, \"starttls\" for 587)"
        )
    if isinstance(exc, (ConnectionRefusedError, socket.gaierror, TimeoutError, ConnectionError)):
        return f"cannot reach {where} ({exc}) — check [mail.smtp].host/port and the firewall"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection ({exc}): check [mail.smtp].port and security"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{where} answered {exc.smtp_code} {exc.smtp_error!r} while connecting"
    return f"cannot talk to {where}: {exc}"


def _tls_context(settings: SmtpSettings, ssl_context: ssl.SSLContext | None) -> ssl.SSLContext:
    return tls_context(settings.verify_tls, settings.where, ssl_context, settings.ca_file)


def _envelope(msg: EmailMessage) -> tuple[str, str]:
    """(sender, recipient) from From (or Sender) and the single To address."""
    recipients = [address for _, address in getaddresses(msg.get_all("To", [])) if address]
    if len(recipients) != 1 or msg.get("Cc") or msg.get("Bcc"):
        raise MailError(
            f"message {msg.get('Message-ID', '(no Message-ID)')} must have exactly one recipient, "
            f"in To; it has To={recipients!r}",
            permanent=True,
        )
    sender = parseaddr(str(msg.get("Sender") or msg.get("From") or ""))[1]
    if not sender:
        raise MailError(f"message {msg.get('Message-ID', '(no Message-ID)')} has no From address", permanent=True)
    return sender, recipients[0]


def _mail_options(smtp: smtplib.SMTP, size: int, international: bool, recipient: str) -> list[str]:
    options = []
    if international:
        if not smtp.has_extn("smtputf8"):
            raise MailError(f"{recipient}: the server does not accept non-ASCII addresses (SMTPUTF8)", permanent=True)
        options.append("SMTPUTF8")
    if smtp.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    if smtp.has_extn("size"):
        options.append(f"SIZE={size}")
    return options


def _flatten(msg: EmailMessage, *, smtputf8: bool) -> bytes:
    policy = msg.policy.clone(linesep="\r\n", utf8=smtputf8)
    return msg.as_bytes(policy=policy)


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass
