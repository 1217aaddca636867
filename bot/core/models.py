"""The core's vocabulary: the values a response may hold, findings and their severity."""

from datetime import date, datetime
from enum import Enum

from pydantic.dataclasses import dataclass


class Level(str, Enum):
    M1 = "M1"
    M2 = "M2"


class Site(str, Enum):
    AIX = "Aix"
    MARSEILLE = "Marseille"


class YearStatus(str, Enum):
    YES = "Oui"
    NO = "Non"
    PENDING = "En attente des résultats"


class YesNo(str, Enum):
    YES = "Oui"
    NO = "Non"


class ContractType(str, Enum):
    APPRENTICESHIP = "Contrat d'apprentissage"
    PROFESSIONALISATION = "Contrat de professionnalisation"

    @property
    def key(self) -> str:
        """The short name rules files use: `apprentissage` / `professionnalisation`."""
        return "apprentissage" if self is ContractType.APPRENTICESHIP else "professionnalisation"


class Severity(str, Enum):
    ERROR = "erreur"
    WARNING = "alerte"

    @property
    def rank(self) -> int:
        return 0 if self is Severity.ERROR else 1

    @property
    def mark(self) -> str:
        return "✖" if self is Severity.ERROR else "⚠"


class Problem(str, Enum):
    """Why a field's value could not be used."""

    MISSING = "missing"
    BAD_EMAIL = "bad-email"
    BAD_DATE = "bad-date"
    UNKNOWN_VALUE = "unknown-value"
    BAD_SIRET = "bad-siret"


# The values below are pydantic dataclasses, slotted: a season keeps thousands of responses and findings in
# memory from one cycle to the next, at about 250 bytes each where a pydantic BaseModel takes 3 KB.


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    problem: Problem
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Response:
    """One parsed form response. A field is None when empty or unreadable (see `problems`)."""

    submitted_at: datetime | None = None
    email_etudiant: str | None = None
    nom: str | None = None
    prenom: str | None = None
    numero_etudiant: str | None = None
    date_naissance: date | None = None
    niveau: Level | None = None
    site: Site | None = None
    annee_validee: YearStatus | None = None
    admission: YesNo | None = None
    type_contrat: ContractType | None = None
    entreprise: str | None = None
    siret: str | None = None
    adresse_entreprise: str | None = None
    rh_nom: str | None = None
    rh_email: str | None = None
    rh_telephone: str | None = None
    tuteur_nom: str | None = None
    tuteur_email: str | None = None
    mission: str | None = None
    date_debut: date | None = None
    date_fin: date | None = None
    documents_presentes: YesNo | None = None
    problems: tuple[FieldProblem, ...] = ()

    def has_problem(self, field: str) -> bool:
        return any(p.field == field for p in self.problems)

    def student_keys(self) -> set[str]:
        """What identifies the student across responses: the address and the student number's digits."""
        keys = set()
        if self.email_etudiant:
            keys.add("email:" + self.email_etudiant.strip().lower())
        # Leading zeros do not count (a sheet drops them); a number of zeros alone names no one.
        digits = "".join(c for c in self.numero_etudiant or "" if c in "0123456789").lstrip("0")
        if digits:
            keys.add("numero:" + digits)
        return keys


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first; otherwise the rules' order is kept (the sort is stable)."""
    return sorted(findings, key=lambda f: f.severity.rank)
