"""Refused addresses: bounces found over IMAP, and permanent SMTP refusals, fed back to the sheet and the lead.

A bounce is matched to our message by the original Message-ID; the message is
marked with the refused address (the row's status becomes `Adresse rejetée : …`
on the next cycle) and the lead gets one `rejet-adresse` e-mail per refused
message. The folder's UIDVALIDITY and last UID are stored in the same
transaction as what a message caused, so a crash repeats at most the message in
hand, and repeating it is harmless (both steps are idempotent).
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.adapters.imap import FetchResult
from bot.adapters.state import OutboxRow
from bot.app import letters
from bot.app.context import common_context
from bot.core.bounces import parse_bounce
from bot.core.events import Event, Outgoing, Recipient, Role

log = logging.getLogger(__name__)
UID_KEY = "bounces.uid"
UIDVALIDITY_KEY = "bounces.uidvalidity"


class BounceSource(Protocol):
    def __enter__(self) -> "BounceSource": ...
    def __exit__(self, *exc: object) -> None: ...
    def fetch_since(self, folder: str, uidvalidity: int | None, last_uid: int, *, limit: int = ...) -> FetchResult: ...


@dataclass
class BounceReport:
    read: int = 0
    bounced: list[str] = field(default_factory=list)     # "FVMA-2026-0001.ok-pro.rh → address"


def poll_bounces(cycle, source: BounceSource, now: datetime, batch: int = 200) -> BounceReport:
    """Read the bounce folder from the last UID seen, record each bounce, tell the lead; raises MailError."""
    store, folder = cycle.store, cycle.config.mail.imap.bounce_folder
    report = BounceReport()
    with source:
        while True:
            validity = store.get_meta(UIDVALIDITY_KEY)
            last = int(store.get_meta(UID_KEY) or 0)
            result = source.fetch_since(folder, int(validity) if validity else None, last, limit=batch)
            for uid, raw in result.messages:
                with store.transaction() as db:
                    found = _bounce_of(store, raw, uid)
                    if found is not None and store.mark_bounced(db, found[0].key, found[1], found[2], now):
                        report.bounced.append(f"{found[0].key} → {found[1]}")
                        log.warning("%s: address %s rejected (%s)", found[0].key, found[1], found[2])
                    store.set_meta(UID_KEY, str(uid), db)
                    store.set_meta(UIDVALIDITY_KEY, str(result.uidvalidity), db)
                report.read += 1
            if not result.messages:
                with store.transaction() as db:
                    store.set_meta(UID_KEY, str(result.last_uid(last)), db)
                    store.set_meta(UIDVALIDITY_KEY, str(result.uidvalidity), db)
            if len(result.messages) < batch:
                break
    cycle.send(now)
    return report


def _bounce_of(store, raw: bytes, uid: int) -> tuple[OutboxRow, str, str] | None:
    """(our message, refused address, reason) when `raw` reports a permanent failure of one of our messages."""
    try:
        bounce = parse_bounce(raw)
    except Exception:  # one unreadable message must not block the folder behind it
        log.exception("bounce folder: message UID %s could not be read; skipped", uid)
        return None
    if bounce is None or not bounce.original_message_id:
        return None
    if not bounce.permanent:
        log.info("bounce folder: UID %s is a delay notice for %s; waiting for the final report", uid,
                 bounce.original_message_id)
        return None
    ours = store.by_message_id(bounce.original_message_id)
    if ours is None:
        return None
    refused = bounce.recipients
    address = ours.address if not refused or ours.address.lower() in refused else refused[0]
    reason = " ".join(p for p in (bounce.status, bounce.diagnostic) if p) or "adresse refusée"
    return ours, address, reason


def report_rejections(cycle, now: datetime) -> int:
    """Record a `rejet-adresse` e-mail to the lead for each refused message not reported yet; returns how many.

    Messages to the lead are not reported (to the lead, whose address is the one refused).
    """
    store, config = cycle.store, cycle.config
    lead = Recipient(Role.LEAD, config.people.lead_email, config.people.lead_name)
    added = 0
    for refused in store.rejected():
        if refused.role == Role.LEAD.value:
            continue
        out = Outgoing(refused.dossier, Event.BOUNCE, lead, rejection_variant(refused))
        if store.has(out.key):
            continue
        info = store.info(refused.dossier)
        raw = letters.compose(config, cycle.renderer, store, out, _context(config, out, refused, info), now)
        with store.transaction() as db:
            added += letters.record(store, db, out, raw, config.people.message_id_domain, now)
    return added


def rejection_variant(refused: OutboxRow) -> str:
    """One `rejet-adresse` per refused message and address (no "@": it goes into a Message-ID)."""
    return hashlib.sha256(f"{refused.key}\x1f{refused.bounced}".encode()).hexdigest()[:10]


def _context(config, out: Outgoing, refused: OutboxRow, info: dict) -> dict:
    shown = {k: info.get(k, "") for k in ("nom", "prenom", "numero_etudiant", "email_etudiant")}
    return {
        "evenement": Event.BOUNCE.value,
        "destinataire": {"role": Role.LEAD.value, "nom": out.recipient.name, "email": out.recipient.email},
        "dossier": refused.dossier,
        "reponse": shown,
        "rejet": {"dossier": refused.dossier, "adresse": refused.bounced, "motif": refused.error or "",
                  "evenement": refused.event, "role": refused.role},
        **common_context(config),
    }
