"""The `outbox` mail backend: each message written as an `.eml` file in a folder (the embedded default)."""

import os
import re
import tempfile
from email.message import EmailMessage
from pathlib import Path

from bot.errors import MailError


class OutboxFolder:
    """Sends by writing `<Message-ID>.eml`; the same message written twice is one file."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self) -> "OutboxFolder":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, msg: EmailMessage) -> None:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", msg["Message-ID"].strip("<>")) + ".eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(msg.as_bytes())
            os.replace(tmp, self.folder / name)
        except OSError as exc:
            raise MailError(f"outbox {self.folder}: cannot write {name} ({exc.strerror})") from None
