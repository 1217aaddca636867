"""What the bot tells whom (SPEC §5): events, recipients' roles, and one message to send."""

from dataclasses import dataclass
from enum import Enum


class Event(str, Enum):
    RECEPTION = "reception"
    KO = "ko"
    OK_PRO = "ok-pro"
    OK_APPRENTICESHIP = "ok-apprentissage"
    CACTUS = "cactus"
    RAPPEL = "rappel"
    BOUNCE = "rejet-adresse"


class Role(str, Enum):
    STUDENT = "etudiant"
    LEAD = "responsable"
    HR = "rh"
    FEG = "feg"

    @property
    def label(self) -> str:
        """How `Dernière action` names this recipient."""
        return {"etudiant": "étudiant", "responsable": "responsable", "rh": "contact RH", "feg": "FEG"}[self.value]


@dataclass(frozen=True)
class Recipient:
    role: Role
    email: str
    name: str = ""


@dataclass(frozen=True)
class Outgoing:
    """One e-mail to one person: the unit that is sent exactly once.

    `key` identifies it for good (dossier, event, role, and `variant` when one event
    may happen more than once: the reminder's date, a rejected address); its
    Message-ID derives from it. The reminder has no dossier: `dossier` is "".
    """

    dossier: str
    event: Event
    recipient: Recipient
    variant: str = ""

    @property
    def key(self) -> str:
        parts = [self.dossier, self.event.value, self.recipient.role.value, self.variant]
        return ".".join(p for p in parts if p)

    def message_id(self, domain: str) -> str:
        return f"<fvma.{self.key}@{domain}>"
