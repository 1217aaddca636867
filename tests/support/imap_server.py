"""A real IMAP server for the tests: Dovecot when it is installed, pymap otherwise.

    server = make_imap_server()        # FVMA_IMAP_SERVER=dovecot|pymap forces one
    with server:
        settings = ImapSettings(server.host, server.port, "starttls", server.user, server.password)
        ...
        assert server.messages("Sent") == [raw]

Both backends offer the same Python API and the same behaviour where the bot
depends on it. With `tls=True` (the default) the server has a certificate from
a trustme CA, offers STARTTLS and refuses LOGIN before it, like a production
server; `client_context` trusts that CA. With `tls=False` it speaks plain text
and offers no STARTTLS.

Dovecot runs as `dovecot -F -c CONF` from a private directory: as root, mail
is stored as `nobody`; as another user, every Dovecot service runs as that
user. pymap runs its in-memory `dict` backend on a private asyncio loop in a
thread (its own `main()` installs signal handlers, which only the main thread
may do).

Differences seen between the two (the tests must not depend on them): UIDs
start at 1 on Dovecot and 101 on pymap; the hierarchy separator is "." on
Dovecot (maildir) and "/" on pymap; Dovecot assigns UIDVALIDITY from a
counter, pymap from the clock and a random number; pymap advertises far fewer
capabilities (no SPECIAL-USE, no UNSELECT, no NAMESPACE).

Changing a folder's UIDVALIDITY (`renew_uidvalidity`) is done the same way on
both: delete the folder and create it again, then put its messages back, which
is what a server rebuilding its index looks like to a client. INBOX cannot be
deleted, so the tests use another folder for that.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pwd
import grp
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

import trustme
from imapclient import IMAPClient

BACKEND_ENV = "FVMA_IMAP_SERVER"
DOVECOT = "/usr/sbin/dovecot"


def chosen_backend() -> str:
    """`FVMA_IMAP_SERVER` when set, else "dovecot" when it is installed, else "pymap"."""
    wanted = os.environ.get(BACKEND_ENV, "").strip().lower()
    if wanted and wanted not in ("dovecot", "pymap"):
        raise ValueError(f"{BACKEND_ENV}={wanted!r}: expected 'dovecot' or 'pymap'")
    if wanted == "dovecot" and not os.access(DOVECOT, os.X_OK):
        raise RuntimeError(f"{BACKEND_ENV}=dovecot but {DOVECOT} is not installed (apt-get install dovecot-imapd)")
    return wanted or ("dovecot" if os.access(DOVECOT, os.X_OK) else "pymap")


def make_imap_server(*, tls: bool = True, ca: trustme.CA | None = None) -> ImapTestServer:
    backend = chosen_backend()
    return (DovecotServer if backend == "dovecot" else PymapServer)(tls=tls, ca=ca)


class ImapTestServer:
    """What both backends offer; subclasses only start and stop the server."""

    backend = "?"

    def __init__(self, *, tls: bool = True, ca: trustme.CA | None = None):
        self.tls = tls
        self.host = "127.0.0.1"
        self.port = 0
        self.user = "fvma-bot"
        self.password = "mot-de-passe-imap"
        self.ca = ca or trustme.CA()
        self.client_context = ssl.create_default_context()
        self.ca.configure_trust(self.client_context)
        self._server_cert = self.ca.issue_cert(self.host, "localhost")

    def start(self) -> ImapTestServer:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> ImapTestServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- looking at and changing the mailbox, over IMAP

    def deliver(self, folder: str, raw: bytes, flags: tuple[bytes, ...] = ()) -> None:
        """Put a message in `folder` (created when missing), as if it had arrived."""
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=flags)

    def messages(self, folder: str) -> list[bytes]:
        """The raw messages of `folder`, in UID order."""
        return [raw for raw, _, _ in self._read(folder)]

    def flags(self, folder: str) -> list[set[bytes]]:
        """The flags of each message of `folder`, in UID order (\\Recent left out)."""
        return [flags for _, flags, _ in self._read(folder)]

    def internal_dates(self, folder: str) -> list:
        """The INTERNALDATE of each message of `folder`, time-zone aware."""
        return [date for _, _, date in self._read(folder)]

    def folders(self) -> list[str]:
        with self.client() as client:
            return [name for _, _, name in client.list_folders()]

    def uidvalidity(self, folder: str) -> int:
        with self.client() as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def renew_uidvalidity(self, folder: str) -> int:
        """Give `folder` a new UIDVALIDITY, keeping its messages; returns the new value."""
        if folder.upper() == "INBOX":
            raise ValueError("INBOX cannot be deleted and re-created: use another folder")
        kept = self._read(folder)
        with self.client() as client:
            before = int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
            after = before
            while after == before:  # pymap's value is partly random: it could repeat
                client.delete_folder(folder)
                client.create_folder(folder)
                after = int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
            for raw, flags, date in kept:
                client.append(folder, raw, flags=tuple(flags), msg_time=date)
        return after

    def reset(self) -> None:
        """Remove every folder but INBOX, and every message of INBOX."""
        with self.client() as client:
            for name in sorted((n for _, _, n in client.list_folders() if n.upper() != "INBOX"), key=len, reverse=True):
                client.delete_folder(name)
            client.select_folder("INBOX")
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()
            client.close_folder()

    @contextmanager
    def client(self):
        """A logged-in IMAPClient (after STARTTLS when the server has TLS)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=5)
        client.normalise_times = False
        try:
            client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls:
                client.starttls(self.client_context)
            client.login(self.user, self.password)
            yield client
        finally:
            try:
                client.logout()
            except Exception:
                client.shutdown()

    def _read(self, folder: str) -> list[tuple[bytes, set[bytes], object]]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            fetched = client.fetch(uids, ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"]) if uids else {}
        return [
            (fetched[uid][b"BODY[]"], set(fetched[uid][b"FLAGS"]) - {b"\\Recent"}, fetched[uid][b"INTERNALDATE"])
            for uid in uids
        ]


class DovecotServer(ImapTestServer):
    """Dovecot in the foreground, configured from scratch in a private directory."""

    backend = "dovecot"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._dir: Path | None = None
        self._process: subprocess.Popen | None = None

    def start(self) -> DovecotServer:
        self._dir = Path(tempfile.mkdtemp(prefix="fvma-dovecot-"))
        self._dir.chmod(0o755)  # the mail processes run as another user and must reach mail/
        self.port = _free_port(self.host)
        config = self._write_config(self._dir)
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stop() ends the master and all its children
        )
        try:
            _wait_for_greeting(self.host, self.port, self._process, self._dir / "dovecot.log")
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._process is not None:
            # SIGTERM makes the master wait a second for its children; the data is thrown away anyway
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.wait()
            if self._process.stderr is not None:
                self._process.stderr.close()
            self._process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _write_config(self, base: Path) -> Path:
        for sub in ("run", "state", "mail"):
            (base / sub).mkdir()
        (base / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n", encoding="utf-8")
        if os.geteuid() == 0:
            owner = pwd.getpwnam("nobody")
            uid, gid = owner.pw_uid, owner.pw_gid
            os.chown(base / "mail", uid, gid)
            run_as = ""
        else:
            uid, gid = os.getuid(), os.getgid()
            me, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
            run_as = f"default_internal_user = {me}\ndefault_login_user = {me}\ndefault_internal_group = {group}\n"
        if self.tls:
            self._server_cert.cert_chain_pems[0].write_to_path(str(base / "cert.pem"))
            self._server_cert.private_key_pem.write_to_path(str(base / "key.pem"))
            tls = f"ssl = required\nssl_cert = <{base}/cert.pem\nssl_key = <{base}/key.pem\ndisable_plaintext_auth = yes\n"
        else:
            tls = "ssl = no\ndisable_plaintext_auth = no\n"
        config = base / "dovecot.conf"
        config.write_text(
            f"""protocols = imap
listen = {self.host}
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
{run_as}{tls}auth_failure_delay = 0
mail_location = maildir:{base}/mail/%n
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""",
            encoding="utf-8",
        )
        return config


class PymapServer(ImapTestServer):
    """pymap's in-memory backend on a private event loop in a daemon thread."""

    backend = "pymap"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None

    def start(self) -> PymapServer:
        self.port = _free_port(self.host)
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self._loop.run_until_complete(self._serve(ready))
            except BaseException as exc:  # reported to start() below
                failure.append(exc)
                ready.set()

        self._thread = threading.Thread(target=run, name="pymap", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            self.stop()
            raise RuntimeError(f"pymap did not start: {failure[0] if failure else 'timeout'}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(10)
        if self._loop is not None and not self._loop.is_running():
            self._loop.close()
        self._loop = self._thread = self._stopping = None

    async def _serve(self, ready: threading.Event) -> None:
        from pymap.backend.dict import DictBackend
        from pymap.imap import IMAPService
        from pysasl.hashing import BuiltinHash

        self._stopping = asyncio.Event()
        parser = argparse.ArgumentParser()
        parser.add_argument("--debug", action="store_true")
        parser.set_defaults(skip_services=[], passlib_cfg=None)
        IMAPService.add_arguments(parser)
        DictBackend.add_subparser("dict", parser.add_subparsers(dest="backend"))
        argv = ["--host", self.host, "--port", str(self.port)] + ([] if self.tls else ["--no-tls"])
        args = parser.parse_args(argv + ["dict", "--demo-user", self.user, "--demo-password", self.password])
        # pymap's defaults hash the password with 500,000 PBKDF2 rounds (0.2 s a LOGIN),
        # sleep 0.3 s after a bad password and look the client up in DNS blocklists
        overrides: dict = {"hash_context": BuiltinHash(rounds=1), "invalid_user_sleep": 0.0, "reject_dnsbl": False}
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._server_cert.configure_cert(context)
            overrides["ssl_context"] = context
        backend, config = await DictBackend.init(args, **overrides)
        config.apply_context()
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            await IMAPService(backend, config).start(stack)
            ready.set()
            await self._stopping.wait()


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _wait_for_greeting(host: str, port: int, process: subprocess.Popen, log: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            logged = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            raise RuntimeError(f"dovecot exited with {process.returncode}: {errors}{logged}")
        try:
            with socket.create_connection((host, port), timeout=1) as probe:
                if probe.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"dovecot did not answer on {host}:{port} within {timeout} s")
