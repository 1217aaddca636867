"""`fvma-bot preview EVENT --dossier N`: an event's e-mails for one dossier, rendered to files, sent nowhere."""

from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.adapters.compose import build_message
from bot.app import rows as sheetrows
from bot.app.context import common_context, dossier_context
from bot.app.jobs import known_dossiers
from bot.app.wiring import make_cycle, open_store
from bot.config import Config
from bot.core.events import Event, Outgoing, Recipient, Role
from bot.core.recipients import Office, recipients
from bot.core.reminder import reminder
from bot.core.rules import evaluate
from bot.core.values import PARIS
from bot.errors import BotError


def run_preview(config: Config, event_name: str, dossier: str | None, out_dir: Path, out: TextIO) -> int:
    try:
        event = Event(event_name)
    except ValueError:
        raise BotError(f"unknown event {event_name!r}: expected one of "
                       f"{', '.join(e.value for e in Event)}") from None
    now = datetime.now(PARIS)
    store = open_store(config)
    try:
        cycle = make_cycle(config, store)
        if event is Event.RAPPEL:
            content = reminder(known_dossiers(store), [], now.date()) or {"date": f"{now:%d/%m/%Y}", "en_attente": [],
                                                          "cactus": [], "debut_proche": [], "rejets": []}
            lead = Recipient(Role.LEAD, config.people.lead_email, config.people.lead_name)
            items = [(Outgoing("", event, lead, f"{now:%Y-%m-%d}"),
                      {"evenement": event.value, "destinataire": {"role": "responsable", "nom": lead.name,
                                                                   "email": lead.email},
                       "dossier": "", "rappel": content, **common_context(config)})]
        else:
            items = _dossier_items(cycle, config, event, dossier, now)
        out_dir.mkdir(parents=True, exist_ok=True)
        people = config.people
        for outgoing, context in items:
            rendered = cycle.renderer.render(event, outgoing.recipient.role, context)
            msg = build_message(outgoing, rendered, sender=(people.sender_name, people.sender_email),
                                reply_to=(people.lead_name, people.lead_email), domain=people.message_id_domain,
                                thread=[], when=now)
            stem = out_dir / outgoing.key
            # the key holds dots (FVMA-2026-0042.ok-pro.rh): with_suffix would cut the recipient off
            Path(f"{stem}.eml").write_bytes(msg.as_bytes())
            Path(f"{stem}.html").write_text(rendered.html, encoding="utf-8")
            out.write(f"{stem}.eml  →  {outgoing.recipient.email}  «{rendered.subject}»\n")
    finally:
        store.close()
    return 0


def _dossier_items(cycle, config: Config, event: Event, dossier: str | None, now: datetime) -> list:
    if not dossier:
        raise BotError(f"preview {event.value} needs --dossier N (e.g. --dossier FVMA-2026-0001)")
    snapshot = cycle.sheet.read()
    layout = sheetrows.layout_of(snapshot.header, config.sheet.aliases)
    row = next((r for r in sheetrows.read_rows(snapshot, layout) if r.dossier_cell == dossier), None)
    if row is None:
        raise BotError(f"no row with N° dossier {dossier} in the sheet")
    verdict = evaluate(row.response, cycle.years, now.date())
    office = Office(Recipient(Role.LEAD, config.people.lead_email, config.people.lead_name),
                    Recipient(Role.FEG, config.people.feg_email, config.people.feg_name))
    people, _ = recipients(event, row.response, office)
    return [(Outgoing(dossier, event, person),
             dossier_context(config, event, person, dossier, row.response, verdict.findings, verdict.year,
                             row.comment)) for person in people]
