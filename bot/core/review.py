"""What a dossier needs next (SPEC §3): the pure decisions of the review cycle.

`advance` takes what the sheet shows for one row and what the state remembers of
its dossier, and returns the dossier's new state and the events to send, in
order. `status_text` derives the `Statut` cell from the state. No I/O, no clock.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.decisions import Decision
from bot.core.events import Event
from bot.core.models import ContractType

WAITING = "En attente de décision"
KO_DONE = "À corriger — étudiant notifié"
PRO_DONE = "Validé — notifications envoyées"
CACTUS_TODO = "Validé — CACTUS à initialiser"
CACTUS_DONE = "Validé — CACTUS initialisé, notifications envoyées"
UNREADABLE = "Décision illisible"
MODIFIED = "Modifié après décision"


@dataclass(frozen=True, slots=True)
class DossierState:
    """What the bot remembers of one dossier between cycles."""

    dossier: str
    revision: str                 # fingerprint of the response's form cells when last checked
    round: int = 0                # incremented when the lead clears a decision after a change: new e-mails
    decision: str | None = None   # the decision already handled in this round: "OK" / "KO"
    cactus: bool = False          # the CACTUS tick already handled
    modified: bool = False        # changed after its e-mails went out: frozen until the lead clears Décision
    replaced_by: str | None = None


@dataclass(frozen=True)
class RowView:
    """What the sheet shows for the dossier's row in this cycle."""

    revision: str
    decision: Decision | None
    cactus: bool
    contract: ContractType | None
    replaced_by: str | None = None   # a newer response of the same student, when this one is not validated


@dataclass(frozen=True)
class Step:
    state: DossierState
    events: tuple[Event, ...] = ()
    note: str = ""            # what happened, for `Dernière action`, when nothing is sent


def advance(state: DossierState, row: RowView, silent: bool = False) -> Step:
    """The next state and the events the lead's cells call for, in order (OK before CACTUS).

    `silent` adopts what the row already shows without sending anything: for a
    response submitted before `notify_since`, seen for the first time.
    """
    step = _advance(state, row)
    if silent and step.events:
        return Step(step.state, (), "décision reprise sans envoi")
    return step


def _advance(state: DossierState, row: RowView) -> Step:
    if state.replaced_by:
        return Step(state)
    if row.replaced_by:
        return Step(replace(state, replaced_by=row.replaced_by), note=f"remplacé par le dossier {row.replaced_by}")
    edited = row.revision != state.revision
    state = replace(state, revision=row.revision)
    if state.modified:
        if row.decision is None:  # the lead cleared Décision: a new round starts
            return Step(replace(state, modified=False, decision=None, cactus=False, round=state.round + 1),
                        note="décision effacée : dossier de nouveau en attente")
        return Step(state)
    if state.decision is not None:
        decided = Decision(state.decision)
        if edited or row.decision is not decided:
            what = "réponse modifiée" if edited else "décision modifiée"
            return Step(replace(state, modified=True), note=f"{what} après l'envoi des e-mails : rien n'est envoyé")
        return _cactus(state, row)
    if row.decision is None:
        return Step(state, note="réponse modifiée : contrôle refait" if edited else "")
    if row.decision is Decision.UNREADABLE:
        return Step(state)
    return _decide(state, row)


def _decide(state: DossierState, row: RowView) -> Step:
    if row.decision is Decision.KO:
        return Step(replace(state, decision="KO"), (Event.KO,))
    if row.contract is None:
        return Step(state, note="OK reçu, mais le type de contrat est illisible : rien n'est envoyé")
    event = Event.OK_PRO if row.contract is ContractType.PROFESSIONALISATION else Event.OK_APPRENTICESHIP
    step = Step(replace(state, decision="OK"), (event,))
    if event is Event.OK_APPRENTICESHIP:
        after = _cactus(step.state, row)
        return Step(after.state, step.events + after.events)
    return step


def _cactus(state: DossierState, row: RowView) -> Step:
    if state.decision != "OK" or state.cactus or not row.cactus or row.contract is not ContractType.APPRENTICESHIP:
        return Step(state)
    return Step(replace(state, cactus=True), (Event.CACTUS,))


def status_text(state: DossierState, decision: Decision | None, contract: ContractType | None) -> str:
    """The `Statut` cell for a dossier whose e-mails are all out (send failures and bounces override it)."""
    if state.replaced_by:
        return f"Remplacé par le dossier {state.replaced_by}"
    if state.modified:
        return MODIFIED
    if state.decision == "KO":
        return KO_DONE
    if state.decision == "OK":
        if contract is ContractType.APPRENTICESHIP:
            return CACTUS_DONE if state.cactus else CACTUS_TODO
        return PRO_DONE
    if decision is Decision.UNREADABLE:
        return UNREADABLE
    return WAITING


def failed_status(retry_at: datetime) -> str:
    return f"Envoi en échec — nouvel essai à {retry_at:%H:%M}"


def bounced_status(address: str) -> str:
    return f"Adresse rejetée : {address}"


def neutralise(text: str) -> str:
    """Text copied from a response into a cell can never be taken for a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
