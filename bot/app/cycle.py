"""One review cycle: read the sheet, check, decide, record the e-mails, send them, write the sheet.

The decisions are the core's (`bot.core.review`); this module only carries them out.
Order matters for exactly-once: the dossiers' new state and the e-mails it calls
for are recorded in one transaction before anything is sent; the sheet is
written last, from the state, so a crash at any point is repaired by the next cycle.
"""

import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.adapters.sheet import BOT_HEADERS, CHECK, DOSSIER, LAST_ACTION, STATUS, RowWrite, Sheet
from bot.adapters.state import StateStore, StoredDossier
from bot.adapters.templates import Renderer
from bot.app import letters
from bot.app.bounces import report_rejections
from bot.app import rows as sheetrows
from bot.app.context import dossier_context, response_display
from bot.app.postman import Copier, Mailer, deliver_due
from bot.config import Config
from bot.core.decisions import Decision
from bot.core.events import Event, Outgoing, Recipient, Role
from bot.core.recipients import Office, recipients
from bot.core.review import DossierState, RowView, Step, advance, bounced_status, failed_status, neutralise, \
    status_text
from bot.core.review_check import validated_elsewhere
from bot.core.rules import Verdict, evaluate, summary_cell
from bot.core.ruleset import RulesYear
from bot.core.values import PARIS
from bot.errors import SheetError

log = logging.getLogger(__name__)


@dataclass
class Report:
    rows: int = 0
    new: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)      # "FVMA-2026-0001 reception → etudiant"
    writes: list[RowWrite] = field(default_factory=list)
    sent: int = 0
    failed: int = 0


@dataclass
class Cycle:
    config: Config
    sheet: Sheet
    store: StateStore
    mailer: Mailer
    renderer: Renderer
    years: list[RulesYear]
    copier: Copier | None = None
    prepared: bool = False
    # what the previous cycle parsed and concluded: a quiet cycle does not redo it
    answers: sheetrows.Answers = field(default_factory=sheetrows.Answers, repr=False)
    verdicts: dict = field(default_factory=dict, repr=False)    # answers digest → (day, duplicate, verdict)

    def run(self, now: datetime, dry_run: bool = False) -> Report:
        """One cycle at `now` (timezone-aware). With `dry_run`, nothing is recorded, sent or written."""
        if not self.prepared and not dry_run:
            self.sheet.prepare()
            self.prepared = True
        snapshot = self.sheet.read()
        layout = sheetrows.layout_of(snapshot.header, self.config.sheet.aliases)
        if not layout.complete():
            missing = ", ".join(h for h in BOT_HEADERS if h not in layout.bot)
            raise SheetError(f"the sheet lacks the columns {missing} — run once without --dry-run so the bot "
                             f"creates them")
        known = self.store.dossiers()
        rows = sheetrows.read_rows(snapshot, layout, self.answers)
        numbers = _Numbering(self.store, self.config.dossier_prefix, now)
        sheetrows.assign(rows, known, numbers.next)
        notify_since = self._notify_since(now, dry_run)
        report = Report(rows=len(rows))

        validated = {r.dossier: r.decision is Decision.OK or (r.dossier in known and
                                                              known[r.dossier].state.decision == "OK")
                     for r in rows}
        replaced = sheetrows.replacements(rows, validated)
        duplicates = validated_elsewhere([r.response for r in rows], [validated[r.dossier] for r in rows],
                                         [f"dossier {r.dossier}" for r in rows])
        plans, today, verdicts = [], now.astimezone(PARIS).date(), {}
        for row, duplicate in zip(rows, duplicates):
            # by the answers themselves: the revision does not cover a re-created question's second column
            known_verdict = self.verdicts.get(row.answers)
            if known_verdict is None or known_verdict[:2] != (today, duplicate):
                known_verdict = today, duplicate, evaluate(row.response, self.years, today, duplicate)
            verdicts[row.answers] = known_verdict
            verdict = known_verdict[2]
            stored = known.get(row.dossier)
            state = stored.state if stored else DossierState(row.dossier, row.revision)
            silent = row.is_new and _before(row, notify_since)
            step = advance(state, RowView(row.revision, row.decision, row.cactus, row.response.type_contrat,
                                          replaced.get(row.dossier)), silent)
            events = ((Event.RECEPTION,) if row.is_new and not silent and not step.state.replaced_by else ()) \
                + step.events
            plans.append((row, verdict, stored, Step(step.state, events, step.note)))
        self.verdicts = verdicts
        notes = self._record(plans, now, report, numbers, dry_run)
        if not dry_run:
            statuses = self.send(now)
            report.sent = statuses.count("sent")
            report.failed = len(statuses) - report.sent
        report.writes = self._writes(plans, notes, layout, dry_run)
        # The season's rows and plans are done with: let them go before the write builds its request.
        del snapshot, rows, plans, known, validated, replaced, duplicates, verdicts, notes
        if not dry_run:   # even with no writes: a backend may have cells to put back or answers to store
            written = self.sheet.write(report.writes, layout.fields.columns)
            if written:
                self.store.mark_bound(sorted(written))
        return report

    def send(self, now: datetime) -> list[str]:
        """Send what is due; a refused address found on the way is reported to the lead at once. Returns what
        became of each message attempted ("sent", "pending", "failed")."""
        retry = timedelta(minutes=self.config.schedule.retry_minutes)
        delivered = deliver_due(self.store, self.mailer, now, retry, self.copier)
        if report_rejections(self, now):
            delivered += deliver_due(self.store, self.mailer, now, retry, self.copier)
        return delivered

    # --- recording intents ----------------------------------------------------------------------------

    def _record(self, plans, now: datetime, report: Report, numbers: "_Numbering", dry_run: bool) -> dict[str, str]:
        """Store each dossier's new state with the e-mails it calls for, in one transaction; returns each
        dossier's `Dernière action` (kept in the state, so a write that failed is made good next cycle).

        One dossier at a time, its e-mails composed and recorded before the next: what a season's worth of
        intents would hold at once is never built."""
        notes: dict[str, str] = {}
        stamp = now.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
        office = Office(Recipient(Role.LEAD, self.config.people.lead_email, self.config.people.lead_name),
                        Recipient(Role.FEG, self.config.people.feg_email, self.config.people.feg_name))
        with nullcontext() if dry_run else self.store.transaction() as db:
            if db is not None:
                numbers.save(db)
            for row, verdict, stored, step in plans:
                if row.is_new:
                    report.new.append(row.dossier)
                sent_to, unreachable = [], []
                for event in step.events:
                    people, missing = recipients(event, row.response, office)
                    unreachable += [r.label for r in missing]
                    for person in people:
                        out = Outgoing(row.dossier, event, person, _round(step.state))
                        if db is not None:
                            self._letter(db, out, row, verdict, now)
                        sent_to.append(person.role.label)
                        report.events.append(f"{row.dossier} {event.value} → {person.role.value} <{person.email}>")
                note = _action_note(step, sent_to, unreachable, row, verdict)
                notes[row.dossier] = f"{stamp} — {note}" if note else (stored.action if stored else "")
                if db is not None and (stored is None or stored.state != step.state or row.is_new or note):
                    info = {**_info(row, verdict), "action": notes[row.dossier]}
                    self.store.save_dossier(db, StoredDossier.of(
                        step.state, tuple(sorted(row.response.student_keys())),
                        row.response.submitted_at.isoformat() if row.response.submitted_at else None,
                        stored.bound if stored else False, info))
        return notes

    def _letter(self, db, out: Outgoing, row: sheetrows.SheetRow, verdict: Verdict, now: datetime) -> None:
        """Compose one e-mail and record it in the outbox (inside the cycle's transaction)."""
        context = dossier_context(self.config, out.event, out.recipient, out.dossier, row.response,
                                  verdict.findings, verdict.year, row.comment)
        raw = letters.compose(self.config, self.renderer, self.store, out, context, now)
        letters.record(self.store, db, out, raw, self.config.people.message_id_domain, now)

    # --- the sheet's cells ----------------------------------------------------------------------------

    def _writes(self, plans, notes: dict[str, str], layout, dry_run: bool) -> list[RowWrite]:
        outbox = {} if dry_run else _outbox_by_dossier(self.store)
        writes = []
        for row, verdict, _, step in plans:
            status = _status(step.state, row, outbox.get(row.dossier, []))
            wanted = {
                DOSSIER: row.dossier,
                CHECK: neutralise(summary_cell(verdict.findings)),
                STATUS: status,
                LAST_ACTION: notes.get(row.dossier) or row.shown[LAST_ACTION],
            }
            changed = {k: v for k, v in wanted.items() if row.shown[k] != v}
            if changed:
                bind = row.dossier_cell != row.dossier
                writes.append(RowWrite(row.dossier, row.line, row.revision, wanted if bind else changed, bind))
        return writes

    def _notify_since(self, now: datetime, dry_run: bool) -> datetime:
        if self.config.schedule.notify_since is not None:
            since = self.config.schedule.notify_since
            return since if since.tzinfo else since.replace(tzinfo=PARIS)
        stored = self.store.get_meta("notify_since")
        if stored:
            return datetime.fromisoformat(stored)
        if not dry_run:
            self.store.set_meta("notify_since", now.isoformat())
        return now


class _Numbering:
    """`FVMA-2026-0042`: the prefix, the year the response was submitted, a sequence per year.

    Numbers are handed out from the stored sequence and the sequence is saved with
    the dossiers that use them (`save`, in the cycle's one transaction): a crash
    before it leaves no gap in the numbering.
    """

    def __init__(self, store: StateStore, prefix: str, now: datetime):
        self.store, self.prefix, self.now = store, prefix, now
        self.used: dict[int, int] = {}

    def next(self, row: sheetrows.SheetRow) -> str:
        year = (row.response.submitted_at or self.now).year
        if year not in self.used:
            self.used[year] = int(self.store.get_meta(f"sequence.{year}") or 0)
        self.used[year] += 1
        return f"{self.prefix}-{year}-{self.used[year]:04d}"

    def save(self, db) -> None:
        for year, last in self.used.items():
            self.store.set_meta(f"sequence.{year}", str(last), db)


def _before(row: sheetrows.SheetRow, since: datetime) -> bool:
    submitted = row.response.submitted_at
    return submitted is not None and submitted.replace(tzinfo=PARIS) < since


def _round(state: DossierState) -> str:
    return f"r{state.round + 1}" if state.round else ""


def _info(row: sheetrows.SheetRow, verdict: Verdict) -> dict:
    shown = response_display(row.response)
    return {"nom": shown["nom"], "prenom": shown["prenom"], "depot": shown["horodateur"],
            "debut": shown["date_debut"], "type_contrat": shown["type_contrat"], "annee": verdict.year or "",
            "decision": row.decision.value if row.decision else "", "cactus": row.cactus,
            "numero_etudiant": shown["numero_etudiant"], "email_etudiant": shown["email_etudiant"]}


def _action_note(step: Step, sent_to: list[str], unreachable: list[str], row, verdict: Verdict) -> str:
    parts = []
    if sent_to:
        parts.append("e-mails envoyés : " + ", ".join(dict.fromkeys(sent_to)))
        if Event.OK_PRO in step.events or Event.OK_APPRENTICESHIP in step.events:
            if verdict.has_error:
                parts.append("OK malgré des erreurs du contrôle automatique")
    if unreachable:
        parts.append("pas d'adresse valide pour : " + ", ".join(dict.fromkeys(unreachable)))
    if step.note:
        parts.append(step.note)
    if not parts and row.is_new:
        parts.append("dossier créé")
    return " ; ".join(parts)


def _outbox_by_dossier(store: StateStore) -> dict[str, list]:
    """The messages `_status` looks at, by dossier: those in trouble (the others do not change a status)."""
    grouped: dict[str, list] = {}
    for r in store.troubled():
        grouped.setdefault(r.dossier, []).append(r)
    return grouped


def _status(state: DossierState, row: sheetrows.SheetRow, messages: list) -> str:
    if state.replaced_by:
        return status_text(state, row.decision, row.response.type_contrat)
    bounced = [m.bounced for m in messages if m.bounced]
    if bounced:
        return bounced_status(bounced[-1])
    waiting = [m for m in messages if m.status in ("pending", "sending") and m.attempts > 0]
    if waiting:
        return failed_status(datetime.fromisoformat(min(m.next_try for m in waiting)).astimezone(PARIS))
    return status_text(state, row.decision, row.response.type_contrat)

