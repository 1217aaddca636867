"""Appending sent messages to the IMAP Sent folder, one connection per batch."""

from datetime import datetime

from bot.adapters.imap import ImapMailbox


class SentCopier:
    """A context manager: the IMAP connection opens on the first copy and closes on exit."""

    def __init__(self, settings):
        self.settings = settings
        self.mailbox: ImapMailbox | None = None

    def __enter__(self) -> "SentCopier":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.mailbox is not None:
            mailbox, self.mailbox = self.mailbox, None
            mailbox.__exit__(None, None, None)

    def append_sent(self, raw: bytes, when: datetime) -> None:
        if self.mailbox is None:
            mailbox = ImapMailbox(self.settings)
            mailbox.__enter__()
            self.mailbox = mailbox
        self.mailbox.append_sent(raw, when)
