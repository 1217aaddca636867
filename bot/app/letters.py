"""Turning one `Outgoing` and its template context into a recorded intent (the outbox's only way in)."""

import sqlite3
from datetime import datetime

from bot.adapters.compose import build_message
from bot.adapters.state import StateStore
from bot.adapters.templates import Renderer
from bot.config import Config
from bot.core.events import Outgoing


def compose(config: Config, renderer: Renderer, store: StateStore, out: Outgoing, context: dict,
            now: datetime) -> bytes:
    """The full message, threaded after the earlier messages to the same person about the same dossier."""
    people = config.people
    rendered = renderer.render(out.event, out.recipient.role, context)
    thread = [r.message_id for r in store.outbox(out.dossier)
              if r.role == out.recipient.role.value and r.key != out.key] if out.dossier else []
    msg = build_message(out, rendered, sender=(people.sender_name, people.sender_email),
                        reply_to=(people.lead_name, people.lead_email), domain=people.message_id_domain,
                        thread=thread, when=now)
    return msg.as_bytes()


def record(store: StateStore, db: sqlite3.Connection, out: Outgoing, raw: bytes, domain: str,
           now: datetime) -> bool:
    """Record the intent inside the caller's transaction; False when this e-mail was already recorded."""
    return store.add_intent(db, out.key, out.dossier, out.event.value, out.recipient.role.value,
                            out.recipient.email, out.message_id(domain), raw, now)
