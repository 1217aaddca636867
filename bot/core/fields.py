"""The form's fields (SPEC §2): default headers, aliases, kinds and enumerations."""

from dataclasses import dataclass, field
from enum import Enum

from bot.core import models
from bot.core.text import normalise


class Kind(str, Enum):
    TEXT = "text"
    STUDENT_NUMBER = "student-number"
    EMAIL = "email"
    DATE = "date"
    DATETIME = "datetime"
    ENUM = "enum"
    SIRET = "siret"


@dataclass(frozen=True)
class Choice:
    """One value of an enumeration: exact spellings, and words that identify it on their own."""

    value: Enum
    spellings: tuple[str, ...]
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    kind: Kind
    required: bool
    aliases: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = field(default=())

    @property
    def label(self) -> str:
        """The name a French reader knows the field by."""
        return self.header


_YES_NO = (
    Choice(models.YesNo.YES, ("oui", "yes"), ("oui",)),
    Choice(models.YesNo.NO, ("non", "no"), ("non",)),
)

FIELDS: tuple[Field, ...] = (
    Field("horodateur", "Horodateur", Kind.DATETIME, True, ("Timestamp", "Horodatage")),
    Field("email_etudiant", "Adresse e-mail", Kind.EMAIL, True, ("Email Address", "Adresse email", "E-mail")),
    Field("nom", "Nom", Kind.TEXT, True),
    Field("prenom", "Prénom", Kind.TEXT, True),
    Field("numero_etudiant", "Numéro étudiant", Kind.STUDENT_NUMBER, True, ("N° étudiant",)),
    Field("date_naissance", "Date de naissance", Kind.DATE, False),
    Field("niveau", "Niveau", Kind.ENUM, True, choices=(
        Choice(models.Level.M1, ("m1", "master 1", "master1", "m1 miage", "miage m1"), ("m1",)),
        Choice(models.Level.M2, ("m2", "master 2", "master2", "m2 miage", "miage m2"), ("m2",)),
    )),
    Field("site", "Site", Kind.ENUM, False, choices=(
        Choice(models.Site.AIX, ("aix", "aix-en-provence", "aix en provence"), ("aix",)),
        Choice(models.Site.MARSEILLE, ("marseille",), ("marseille",)),
    )),
    Field("annee_validee", "Année en cours validée", Kind.ENUM, True, choices=(
        Choice(models.YearStatus.YES, ("oui", "yes"), ("oui",)),
        Choice(models.YearStatus.NO, ("non", "no"), ("non",)),
        Choice(models.YearStatus.PENDING, ("en attente des resultats", "en attente", "en attente de resultats"),
               ("attente",)),
    )),
    Field("admission", "Admission confirmée", Kind.ENUM, True, choices=_YES_NO),
    Field("type_contrat", "Type de contrat", Kind.ENUM, True, choices=(
        Choice(models.ContractType.APPRENTICESHIP, ("contrat d'apprentissage", "apprentissage"),
               ("apprentissage",)),
        Choice(models.ContractType.PROFESSIONALISATION,
               ("contrat de professionnalisation", "professionnalisation", "contrat pro"),
               ("professionnalisation", "professionalisation")),
    )),
    Field("entreprise", "Entreprise (raison sociale)", Kind.TEXT, True, ("Entreprise", "Raison sociale")),
    Field("siret", "SIRET", Kind.SIRET, True, ("N° SIRET", "Numéro SIRET")),
    Field("adresse_entreprise", "Adresse de l'entreprise", Kind.TEXT, False),
    Field("rh_nom", "Contact RH — nom", Kind.TEXT, True),
    Field("rh_email", "Contact RH — e-mail", Kind.EMAIL, True),
    Field("rh_telephone", "Contact RH — téléphone", Kind.TEXT, False),
    Field("tuteur_nom", "Tuteur en entreprise — nom", Kind.TEXT, True),
    Field("tuteur_email", "Tuteur en entreprise — e-mail", Kind.EMAIL, False),
    Field("mission", "Intitulé et description de la mission", Kind.TEXT, True),
    Field("date_debut", "Date de début du contrat", Kind.DATE, True),
    Field("date_fin", "Date de fin du contrat", Kind.DATE, True),
    Field("documents_presentes", "Documents de la formation présentés à l'entreprise", Kind.ENUM, False,
          choices=_YES_NO),
)

BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}


def match_choice(fld: Field, raw: str) -> Enum | None:
    """The enumeration value `raw` stands for, or None when it is unknown or ambiguous.

    Case, accents and punctuation are ignored; a value naming exactly one choice's
    keyword (`apprentissage`) is that choice; one naming two (`Oui / Non`) is unknown.
    """
    text = normalise(raw)
    for choice in fld.choices:
        if text in choice.spellings:
            return choice.value
    tokens = set(text.replace("'", " ").replace("-", " ").replace("/", " ").split())
    hits = [c.value for c in fld.choices if tokens & set(c.keywords)]
    return hits[0] if len(hits) == 1 else None
