"""The daemon's mail jobs: the daily reminder to the lead and IMAP bounce polling."""

import logging
from datetime import datetime, timedelta

from bot.adapters.compose import build_message
from bot.app.context import common_context
from bot.app.postman import deliver_due
from bot.core.events import Event, Outgoing, Recipient, Role
from bot.core.reminder import Known, reminder
from bot.core.values import PARIS

log = logging.getLogger(__name__)


def schedule_mail_jobs(daemon) -> None:
    cycle = daemon.cycle
    daemon.scheduler.every(1).minutes.do(daemon.guarded("rappel", lambda: send_reminder_if_due(cycle,
                                                                                                daemon.clock())))
    if cycle.config.mail.imap.enabled:
        from bot.app.bounces import poll_bounces

        daemon.scheduler.every(5).minutes.do(daemon.guarded("bounces", lambda: poll_bounces(cycle,
                                                                                             daemon.clock())))


def send_reminder_if_due(cycle, now: datetime) -> bool:
    """Send today's reminder once, at or after `rappel_at` Paris time; True when one was recorded."""
    local = now.astimezone(PARIS)
    store, config = cycle.store, cycle.config
    today = local.date().isoformat()
    if local.time() < config.schedule.rappel_time or store.get_meta("rappel.last") == today:
        return False
    known = {n: Known(d.state, d.info) for n, d in store.dossiers().items()}
    bounces = [{"dossier": r.dossier, "adresse": r.bounced, "motif": r.error or ""}
               for r in store.outbox() if r.bounced]
    content = reminder(known, bounces, local.date())
    with store.transaction() as db:
        store.set_meta("rappel.last", today, db)
        if content is None:
            log.info("rappel: nothing waiting, no reminder today")
            return False
        lead = Recipient(Role.LEAD, config.people.lead_email, config.people.lead_name)
        out = Outgoing("", Event.RAPPEL, lead, today)
        context = {"evenement": Event.RAPPEL.value, "destinataire": {"role": "responsable", "nom": lead.name,
                                                                      "email": lead.email},
                   "dossier": "", "rappel": content, **common_context(config)}
        rendered = cycle.renderer.render(Event.RAPPEL, Role.LEAD, context)
        people = config.people
        msg = build_message(out, rendered, sender=(people.sender_name, people.sender_email),
                            reply_to=(people.lead_name, people.lead_email), domain=people.message_id_domain,
                            thread=[], when=now)
        store.add_intent(db, out.key, "", Event.RAPPEL.value, Role.LEAD.value, lead.email,
                         out.message_id(people.message_id_domain), msg.as_bytes(), now)
    deliver_due(store, cycle.mailer, now, timedelta(minutes=config.schedule.retry_minutes), cycle.copier)
    return True
