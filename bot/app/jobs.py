"""The daemon's mail jobs: the daily reminder to the lead and IMAP bounce polling."""

import logging
from datetime import datetime, timedelta

from bot.app import letters
from bot.app.bounces import poll_bounces
from bot.app.context import common_context
from bot.core.events import Event, Outgoing, Recipient, Role
from bot.core.reminder import Known, reminder
from bot.core.values import PARIS

log = logging.getLogger(__name__)
BOUNCES_SHOWN_FOR = timedelta(days=7)   # the reminder lists the addresses refused in the last week


def schedule_mail_jobs(daemon, bounce_source=None) -> None:
    """Add the reminder check (every minute) and, with `bounce_source()` (a factory), bounce polling."""
    cycle = daemon.cycle
    daemon.scheduler.every(1).minutes.do(daemon.guarded("rappel", lambda: send_reminder_if_due(cycle,
                                                                                                daemon.clock())))
    if bounce_source is not None:
        every = cycle.config.mail.imap.poll_every or cycle.config.schedule.poll_every
        job = daemon.guarded("bounces", lambda: poll_bounces(cycle, bounce_source(), daemon.clock()))
        daemon.scheduler.every(every).seconds.do(job)
        job()       # and once at start: a bounce that came while the bot was down is not left waiting


def known_dossiers(store) -> dict[str, Known]:
    """Each dossier's state with what the reminder shows of it."""
    infos = store.infos()
    return {n: Known(d.state, infos.get(n, {})) for n, d in store.dossiers().items()}


def send_reminder_if_due(cycle, now: datetime) -> bool:
    """Send today's reminder once, at or after `rappel_at` Paris time; True when one was recorded."""
    local = now.astimezone(PARIS)
    store, config = cycle.store, cycle.config
    today = local.date().isoformat()
    if local.time() < config.schedule.rappel_time or store.get_meta("rappel.last") == today:
        return False
    known = known_dossiers(store)
    bounces = [{"dossier": r.dossier, "adresse": r.bounced, "motif": r.error or ""}
               for r in store.rejected() if _recent(r.bounced_at, now)]
    content = reminder(known, bounces, local.date())
    lead = Recipient(Role.LEAD, config.people.lead_email, config.people.lead_name)
    out = Outgoing("", Event.RAPPEL, lead, today)
    raw = None
    if content is not None:
        context = {"evenement": Event.RAPPEL.value, "destinataire": {"role": "responsable", "nom": lead.name,
                                                                      "email": lead.email},
                   "dossier": "", "rappel": content, **common_context(config)}
        raw = letters.compose(config, cycle.renderer, store, out, context, now)
    with store.transaction() as db:
        store.set_meta("rappel.last", today, db)
        if raw is None:
            log.info("rappel: nothing waiting, no reminder today")
            return False
        letters.record(store, db, out, raw, config.people.message_id_domain, now)
    cycle.send(now)
    return True


def _recent(when: str | None, now: datetime) -> bool:
    return when is not None and now - datetime.fromisoformat(when) <= BOUNCES_SHOWN_FOR
