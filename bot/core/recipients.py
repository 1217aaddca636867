"""Who receives each event's e-mails (SPEC §5)."""

from dataclasses import dataclass

from bot.core.events import Event, Recipient, Role
from bot.core.models import Response


@dataclass(frozen=True)
class Office:
    """The people the configuration names: the lead and FEG Formation Continue."""

    lead: Recipient
    feg: Recipient


ROLES: dict[Event, tuple[Role, ...]] = {
    Event.RECEPTION: (Role.STUDENT, Role.LEAD),
    Event.KO: (Role.STUDENT,),
    Event.OK_PRO: (Role.STUDENT, Role.HR, Role.FEG),
    Event.OK_APPRENTICESHIP: (Role.STUDENT,),
    Event.CACTUS: (Role.STUDENT, Role.HR),
    Event.RAPPEL: (Role.LEAD,),
    Event.BOUNCE: (Role.LEAD,),
}


def recipients(event: Event, response: Response, office: Office) -> tuple[list[Recipient], list[Role]]:
    """The recipients of `event`, and the roles that cannot be reached (no valid address in the response)."""
    found, unreachable = [], []
    for role in ROLES[event]:
        person = _person(role, response, office)
        if person is None:
            unreachable.append(role)
        else:
            found.append(person)
    return found, unreachable


def _person(role: Role, response: Response, office: Office) -> Recipient | None:
    if role is Role.LEAD:
        return office.lead
    if role is Role.FEG:
        return office.feg
    if role is Role.STUDENT:
        name = " ".join(x for x in (response.prenom, response.nom) if x)
        return Recipient(role, response.email_etudiant, name) if response.email_etudiant else None
    return Recipient(role, response.rh_email, response.rh_nom or "") if response.rh_email else None
