"""The bot's IMAP mailbox: the only module that imports imapclient.

Two jobs: put a copy of each sent e-mail in the Sent folder (`append_sent`),
and read what arrived in the folder watched for bounces (`fetch_since`).

Every imapclient, socket and TLS failure becomes a `MailError` with
`permanent=False`: the mailbox is worth trying again at the next cycle. After
an error the connection is closed and the next call opens a new one.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Literal, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientError, LoginError
from imapclient.imapclient import SEEN, SENT

from bot.adapters.tls import tls_context
from bot.errors import MailError

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]
T = TypeVar("T")
_MAX_FETCH = 200  # messages per fetch_since call; the caller asks again from the last UID


@dataclass(frozen=True)
class ImapSettings:
    """Where the mailbox is; `password` is the secret itself, read from the environment by the config."""

    host: str
    port: int
    security: Security = "ssl"
    user: str = ""
    password: str | None = None
    verify_tls: bool = True
    ca_file: str | None = None
    sent_folder: str = "Sent"
    bounce_folder: str = "INBOX"
    timeout: float = 30

    def __post_init__(self) -> None:
        if self.security not in ("ssl", "starttls", "none"):
            raise ValueError(f"security must be 'ssl', 'starttls' or 'none', not {self.security!r}")

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:  # never show the password in a log or a traceback
        return f"ImapSettings(host={self.host!r}, port={self.port}, security={self.security!r}, user={self.user!r})"


@dataclass(frozen=True)
class FetchResult:
    """What `fetch_since` found.

    `messages` are (uid, raw bytes), in ascending UID order. `reset` is True
    when the folder's UIDVALIDITY is not the one the caller stored: its UIDs
    were renumbered, so reading started again from the beginning of the folder
    (the caller must not skip or repeat by the old numbers).
    """

    uidvalidity: int
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    reset: bool = False

    def last_uid(self, previous: int) -> int:
        """The UID to store for the next call, given the one passed to this call."""
        if self.messages:
            return self.messages[-1][0]
        return 0 if self.reset else previous


class ImapMailbox:
    """One IMAP connection, opened on first use, closed on exit.

    `ssl_context` replaces the default verifying context (tests pass one that
    trusts their CA).
    """

    def __init__(self, settings: ImapSettings, ssl_context: ssl.SSLContext | None = None):
        self._settings = settings
        self._ssl_context = ssl_context
        self._client: IMAPClient | None = None
        self._known_folders: set[str] = set()

    def __enter__(self) -> ImapMailbox:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Log out and close the connection, if one is open; never raises."""
        client, self._client = self._client, None
        self._known_folders.clear()
        if client is not None:
            _logout_quietly(client)

    def append_sent(self, raw: bytes, when: datetime) -> None:
        """Append `raw` to the Sent folder, flagged \\Seen and dated `when`.

        Creates (and subscribes to) the folder when it is missing. `when`
        should be time-zone aware; a naive datetime is read as local time.
        Returns None; raises MailError.
        """
        folder = self._settings.sent_folder

        def append(client: IMAPClient) -> None:
            self._ensure_folder(client, folder)
            client.append(folder, raw, flags=(SEEN,), msg_time=when)

        self._run(f"APPEND to {folder!r}", append)

    def fetch_since(
        self, folder: str, uidvalidity: int | None, last_uid: int, *, limit: int = _MAX_FETCH
    ) -> FetchResult:
        """The messages of `folder` with a UID above `last_uid`, at most `limit` of them.

        Pass the `uidvalidity` stored from the previous result, or None the
        first time. When the server's value differs, the UIDs were renumbered:
        reading starts again from the first message and the result says
        `reset=True`. The folder is opened read-only: no flag changes.
        """

        def fetch(client: IMAPClient) -> FetchResult:
            current = self._select(client, folder)
            reset = uidvalidity is not None and current != uidvalidity
            start = 0 if reset else last_uid
            # "UID n:*" always matches the last message, even when its UID is below n
            found = sorted(uid for uid in client.search(["UID", f"{start + 1}:*"]) if uid > start)[:limit]
            messages = []
            if found:
                fetched = client.fetch(found, ["BODY.PEEK[]"])
                messages = [(uid, fetched[uid][b"BODY[]"]) for uid in found if uid in fetched]
            if reset:
                log.warning("UIDVALIDITY of %s changed (%s -> %s): reading it again from the start",
                            folder, uidvalidity, current)
            return FetchResult(current, messages, reset)

        return self._run(f"reading {folder!r}", fetch)

    def _select(self, client: IMAPClient, folder: str) -> int:
        try:
            return int(client.select_folder(folder, readonly=True)[b"UIDVALIDITY"])
        except IMAPClientError:
            if not client.folder_exists(folder):
                raise MailError(
                    f"the folder {folder!r} does not exist on {self._settings.where}: "
                    "check [mail.imap].bounce_folder"
                ) from None
            raise

    def _ensure_folder(self, client: IMAPClient, folder: str) -> None:
        if folder in self._known_folders or client.folder_exists(folder):
            self._known_folders.add(folder)
            return
        try:
            client.create_folder(folder)
        except IMAPClientError:
            if not client.folder_exists(folder):  # not created by someone else meanwhile
                raise
        try:
            client.subscribe_folder(folder)  # so that mail programs show it
        except IMAPClientError:
            pass
        log.info("created the IMAP folder %s on %s", folder, self._settings.where)
        self._known_folders.add(folder)

    def _run(self, what: str, operation: Callable[[IMAPClient], T]) -> T:
        if self._client is None:
            self._client = _open(self._settings, self._ssl_context)
        try:
            return operation(self._client)
        except MailError:
            raise
        except (IMAPClientError, OSError) as exc:
            self.close()
            raise MailError(f"IMAP {what} on {self._settings.where} failed: {exc}") from exc


def check_login(settings: ImapSettings, ssl_context: ssl.SSLContext | None = None) -> tuple[str, ...]:
    """Connect, log in, look for the two folders and log out: what `doctor` runs.

    Raises MailError when the mailbox cannot be used (unreachable, TLS,
    login refused, bounce folder missing). Returns remarks that need no
    action, e.g. that the Sent folder will be created by the bot itself.
    """
    client = _open(settings, ssl_context)
    try:
        return _check_folders(client, settings)
    except (IMAPClientError, OSError) as exc:
        raise MailError(f"IMAP on {settings.where} failed while listing folders: {exc}") from exc
    finally:
        _logout_quietly(client)


def _check_folders(client: IMAPClient, settings: ImapSettings) -> tuple[str, ...]:
    if not client.folder_exists(settings.bounce_folder):
        names = ", ".join(repr(name) for _, _, name in client.list_folders()[:12])
        raise MailError(
            f"the folder {settings.bounce_folder!r} watched for bounces does not exist on {settings.where}: "
            f"set [mail.imap].bounce_folder to one of {names}"
        )
    if client.folder_exists(settings.sent_folder):
        return ()
    remark = (
        f"the Sent folder {settings.sent_folder!r} does not exist yet on {settings.where}: "
        "the bot creates it when it files its first e-mail"
    )
    special = client.find_special_folder(SENT)
    if special and special != settings.sent_folder:
        remark += f" (this server's Sent folder is {special!r}: set [mail.imap].sent_folder = \"{special}\" to use it)"
    return (remark,)


def _open(settings: ImapSettings, ssl_context: ssl.SSLContext | None) -> IMAPClient:
    """A connected, secured, logged-in client, or MailError(permanent=False)."""
    context = _tls_context(settings, ssl_context)
    client: IMAPClient | None = None
    try:
        client = IMAPClient(
            settings.host, port=settings.port, ssl=settings.security == "ssl",
            ssl_context=context, timeout=settings.timeout,
        )
        # imaplib writes an APPEND literal and its CRLF separately: without this, Nagle stalls each APPEND
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if settings.security == "starttls":
            client.starttls(context)
        _login(client, settings)
        log.debug("logged in to %s (%s)", settings.where, settings.security)
        return client
    except Exception as exc:
        if client is not None:
            _logout_quietly(client)
        raise MailError(_explain(settings, exc)) from exc


def _login(client: IMAPClient, settings: ImapSettings) -> None:
    """LOGIN, or AUTHENTICATE PLAIN in UTF-8 when the credentials are not ASCII.

    imaplib encodes LOGIN's arguments as ASCII: a password with an accent would
    fail with an encoding error quoting the offending character.
    """
    user, password = settings.user, settings.password or ""
    if (user + password).isascii():
        client.login(user, password)
        return
    if b"AUTH=PLAIN" not in client.capabilities():
        raise MailError(f"{settings.where} does not offer AUTHENTICATE PLAIN, the only way to send a user name "
                        f"or password with non-ASCII characters: change the password")
    try:
        client.plain_login(user, password)
    except IMAPClientError as exc:
        raise LoginError(str(exc)) from None


def _explain(settings: ImapSettings, exc: Exception) -> str:
    """A plain-words message for a failure to connect, secure or log in (never quoting the credentials)."""
    where = settings.where
    if isinstance(exc, MailError):
        return str(exc)
    if isinstance(exc, UnicodeError):  # its text would quote a character of the password
        return (f"{where}: the user name or password could not be encoded for the server: check "
                f"[mail.imap].user and the password")
    if isinstance(exc, LoginError):
        return (
            f"{where} refused the login of user {settings.user!r} ({_text(exc)}): check [mail.imap].user "
            "and the password variable ([mail.imap].password_env or password_file)"
        )
    if isinstance(exc, CapabilityError):
        return (
            f"{where} does not offer STARTTLS: check [mail.imap].port and security "
            "(\"ssl\" for port 993, \"starttls\" for 143)"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the TLS certificate of {where} is not trusted ({exc.verify_message}): check that "
            "[mail.imap].host is the name in the certificate, or install the issuing CA on this machine"
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"TLS with {where} failed ({exc.reason or exc}): check [mail.imap].security "
            "(\"ssl\" for port 993, \"starttls\" for 143)"
        )
    if isinstance(exc, (socket.gaierror, TimeoutError, ConnectionError)):
        return f"cannot reach {where} ({exc}) — check [mail.imap].host/port and the firewall"
    return f"cannot talk to IMAP server {where}: {exc}"


def _tls_context(settings: ImapSettings, ssl_context: ssl.SSLContext | None) -> ssl.SSLContext:
    return tls_context(settings.verify_tls, settings.where, ssl_context, settings.ca_file)


def _text(exc: Exception) -> str:
    """The server's words in an imapclient error, without the b'...' that imapclient leaves around them."""
    value = exc.args[0] if exc.args else exc
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return re.sub(r"^b(['\"])(.*)\1$", r"\2", text)


def _logout_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            pass
