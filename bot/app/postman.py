"""Sending the outbox: each recorded e-mail goes out once, failures are retried with backoff."""

import email
import email.policy
import logging
from datetime import datetime, timedelta
from typing import Protocol

from bot.adapters.state import OutboxRow, StateStore
from bot.errors import MailError, StateError

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)


class Mailer(Protocol):
    def __enter__(self) -> "Mailer": ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, msg: email.message.EmailMessage) -> None: ...


class Copier(Protocol):
    def __enter__(self) -> "Copier": ...
    def __exit__(self, *exc: object) -> None: ...
    def append_sent(self, raw: bytes, when: datetime) -> None: ...


def deliver_due(store: StateStore, mailer: Mailer, now: datetime, retry: timedelta,
                copier: Copier | None = None) -> list[str]:
    """Send every due message over one connection; returns what became of each one attempted: "sent",
    "pending" (to try again later) or "failed" (refused for good). One message's body is in memory at a time.

    The row is marked `sending` before the SMTP transaction and `sent` right after
    it: a crash in between leaves it `sending`, and the next run sends it again with
    the same Message-ID (the one window where a duplicate can happen).
    """
    due = store.due(now)
    outcomes = []
    if due:
        with mailer:
            for row in due:
                outcomes.append(_deliver(store, mailer, row, now, retry))
    if copier is not None and store.uncopied():
        copy_sent(store, copier, now)
    return outcomes


def _deliver(store: StateStore, mailer: Mailer, row: OutboxRow, now: datetime, retry: timedelta) -> str:
    if row.key in store.sent_unrecorded:      # sent earlier by this process; only its record failed
        store.mark_sent(row.key, store.sent_unrecorded.pop(row.key))
        return "sent"
    msg = email.message_from_bytes(store.body(row.key), policy=email.policy.SMTP)
    store.mark_sending(row.key)
    try:
        mailer.send(msg)
    except MailError as exc:
        if exc.permanent:
            store.mark_failed(row.key, str(exc), now)
            log.error("%s: refused for good (%s)", row.key, exc)
            return "failed"
        delay = min(retry * (2 ** min(row.attempts, 10)), MAX_BACKOFF)
        store.mark_retry(row.key, now + delay, str(exc))
        log.warning("%s: not sent (%s); next try at %s", row.key, exc, (now + delay).isoformat())
        return "pending"
    try:
        store.mark_sent(row.key, now)
    except StateError:
        store.sent_unrecorded[row.key] = now   # remembered in memory, so this process never sends it again
        raise
    log.info("%s: sent", row.key)
    return "sent"


def copy_sent(store: StateStore, copier: Copier, now: datetime) -> None:
    """Append to the Sent folder a copy of each sent message not copied yet; a failure waits for next cycle."""
    with copier:
        for row in store.uncopied():
            try:
                copier.append_sent(store.body(row.key), now)
            except MailError as exc:
                log.warning("Sent copy of %s deferred: %s", row.key, exc)
                return
            store.mark_copied(row.key)
