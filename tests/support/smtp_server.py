"""A real SMTP server on loopback for the tests: aiosmtpd, with TLS from a trustme CA.

    with SmtpTestServer(security="starttls") as server:
        settings = SmtpSettings(server.host, server.port, "starttls", server.user, server.password)
        SmtpSender(settings, ssl_context=server.client_context).send(msg)
        assert server.count_by_message_id()[msg["Message-ID"]] == 1

`security` is "starttls" (STARTTLS and AUTH required), "ssl" (implicit TLS,
AUTH required) or "none" (plain text; AUTH only when `auth=True`). Faults are
injected per SMTP stage ("mail", "rcpt", "data"): `fail_next` answers a 4xx
(421 also closes the connection, as a server shutting down does), `drop_next`
cuts the connection without a reply, `refuse_rcpt` answers a 5xx for one
address for good.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

STAGES = ("mail", "rcpt", "data")


class _QuietAiosmtpd(logging.Filter):
    """Drops two aiosmtpd 1.4.6 warnings that are about aiosmtpd itself, not about the code under test.

    "Session.login_data is deprecated" comes on every AUTH; "auth_required ==
    True but auth_require_tls == False" on every implicit-TLS server, which
    aiosmtpd does not count as TLS.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return "login_data is deprecated" not in text and "auth_require_tls == False" not in text


logging.getLogger("mail.log").addFilter(_QuietAiosmtpd())


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the server accepted, and when (`time.monotonic()` of this process, at the end of DATA)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message_id: str | None
    received_at: float = field(default_factory=time.monotonic)


class SmtpTestServer:
    """An SMTP server on 127.0.0.1 that records what it accepts and fails on demand."""

    def __init__(
        self,
        *,
        security: str = "starttls",
        user: str = "fvma-bot",
        password: str = "mot-de-passe-de-test",
        auth: bool | None = None,
        ca: trustme.CA | None = None,
    ):
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"security must be starttls, ssl or none, not {security!r}")
        self.security = security
        self.user = user
        self.password = password
        self.auth = security != "none" if auth is None else auth
        self.host = "127.0.0.1"
        self.port = 0
        self.ca = ca or trustme.CA()
        self.client_context = ssl.create_default_context()
        self.ca.configure_trust(self.client_context)
        self.messages: list[ReceivedMessage] = []
        self._connections = 0
        self._lock = threading.Lock()
        self._refused: dict[str, int] = {}
        self._faults: dict[str, list[tuple[str, int]]] = {stage: [] for stage in STAGES}
        self._controller: Controller | None = None

    # --- life cycle

    def start(self) -> SmtpTestServer:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(self.host, "localhost").configure_cert(server_context)
        kwargs: dict = {
            "server_hostname": "smtp.test.invalid",
            "authenticator": self._authenticate,
            "auth_required": self.auth,
            # aiosmtpd only counts STARTTLS as TLS: with implicit TLS the whole session is already encrypted
            "auth_require_tls": self.security == "starttls",
        }
        if self.security == "starttls":
            kwargs.update(tls_context=server_context, require_starttls=True)
        elif self.security == "ssl":
            kwargs.update(ssl_context=server_context)
        self.port = _free_port(self.host)
        self._controller = _CountingController(
            _Handler(self), hostname=self.host, port=self.port, on_connect=self._count_connection, **kwargs
        )
        self._controller.start()
        with self._lock:
            self._connections = 0  # Controller.start() connects once to check the server is up
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- what happened

    @property
    def connections(self) -> int:
        """Connections opened by clients since start()."""
        with self._lock:
            return self._connections

    def count_by_message_id(self) -> Counter:
        """How many times each Message-ID was accepted."""
        return Counter(message.message_id for message in self.messages)

    # --- fault injection

    def refuse_rcpt(self, address: str, code: int = 550) -> None:
        """Answer `code` to RCPT TO for `address`, every time."""
        with self._lock:
            self._refused[address.lower()] = code

    def fail_next(self, stage: str, code: int = 451, count: int = 1) -> None:
        """Answer `code` at `stage` for the next `count` commands; 421 also closes the connection.

        Usually a 4xx; a 5xx (554 at "data", say) stands for a message refused for good.
        """
        self._add_fault(stage, "fail", code, count)

    def drop_next(self, stage: str, count: int = 1) -> None:
        """Close the connection abruptly, without a reply, at `stage` for the next `count` commands."""
        self._add_fault(stage, "drop", 0, count)

    def _add_fault(self, stage: str, kind: str, code: int, count: int) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        with self._lock:
            self._faults[stage].extend([(kind, code)] * count)

    # --- called from the server's thread

    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def _take_fault(self, stage: str) -> tuple[str, int] | None:
        with self._lock:
            return self._faults[stage].pop(0) if self._faults[stage] else None

    def _refusal(self, address: str) -> int | None:
        with self._lock:
            return self._refused.get(address.lower())

    def _record(self, envelope) -> None:
        raw = bytes(envelope.original_content or envelope.content)
        message_id = BytesHeaderParser().parsebytes(raw).get("Message-ID")
        self.messages.append(
            ReceivedMessage(envelope.mail_from, tuple(envelope.rcpt_tos), raw, message_id.strip() if message_id else None)
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user.encode()
            and auth_data.password == self.password.encode()
        )
        return AuthResult(success=ok, handled=False)


class _Handler:
    """aiosmtpd hooks: apply the injected faults, then accept and record."""

    def __init__(self, owner: SmtpTestServer):
        self._owner = owner

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        fault = await self._fault("mail", server)
        if fault:
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        fault = await self._fault("rcpt", server)
        if fault:
            return fault
        code = self._owner._refusal(address)
        if code:
            return f"{code} 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = await self._fault("data", server)
        if fault:
            return fault
        self._owner._record(envelope)
        return "250 2.0.0 OK: queued"

    async def _fault(self, stage: str, server) -> str | None:
        fault = self._owner._take_fault(stage)
        if fault is None:
            return None
        kind, code = fault
        if kind == "drop":
            server.transport.abort()
            await asyncio.sleep(3600)  # cancelled by aiosmtpd when it sees the connection lost
        if code == 421:
            # close once the reply is written, as a server shutting down does
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.3.2 Service shutting down, closing transmission channel"
        if code >= 500:
            return f"{code} 5.7.1 Message refused by policy"
        return f"{code} 4.3.0 Temporary failure, please try again later"


class _CountingController(Controller):
    def __init__(self, handler, *, on_connect, **kwargs):
        super().__init__(handler, **kwargs)
        self._on_connect = on_connect

    def factory(self):
        self._on_connect()  # aiosmtpd builds one SMTP protocol object per connection
        with warnings.catch_warnings():
            # implicit TLS: AUTH is encrypted, but aiosmtpd only knows about STARTTLS
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return super().factory()


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
