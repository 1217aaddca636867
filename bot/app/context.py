"""The data the e-mail templates see (the context documented in templates/README)."""

import unicodedata
from datetime import datetime

from bot.config import Config
from bot.core import values
from bot.core.events import Event, Recipient
from bot.core.fields import FIELDS
from bot.core.models import Finding, Response


def response_display(response: Response) -> dict[str, str]:
    """Every form field as the French reader expects it, "" when empty."""
    shown: dict[str, str] = {}
    for fld in FIELDS:
        value = getattr(response, "submitted_at" if fld.key == "horodateur" else fld.key)
        if value is None:
            shown[fld.key] = ""
        elif isinstance(value, datetime):
            shown[fld.key] = value.strftime("%d/%m/%Y %H:%M")
        elif hasattr(value, "value"):
            shown[fld.key] = value.value
        else:
            shown[fld.key] = readable(values.text(value))
    return shown


def readable(text: str) -> str:
    """An answer as an e-mail may show it: line breaks kept (as LF), control characters dropped
    (an ESC sequence in a text part would drive a terminal mail reader)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def dossier_context(config: Config, event: Event, recipient: Recipient, dossier: str, response: Response,
                    findings: tuple[Finding, ...], year: str | None, comment: str) -> dict:
    site = response.site.value if response.site else ""
    secretariat = config.people.secretariats.get(site) if site else None
    return {
        "evenement": event.value,
        "destinataire": {"role": recipient.role.value, "nom": readable(recipient.name), "email": recipient.email},
        "dossier": dossier,
        "reponse": response_display(response),
        "type_contrat": response.type_contrat.key if response.type_contrat else "",
        "niveau": response.niveau.value if response.niveau else "",
        "site": site,
        "annee": year or "",
        "constats": [{"regle": f.rule, "gravite": f.severity.value, "message": f.message} for f in findings],
        "commentaire": readable(comment),
        **common_context(config, secretariat),
    }


def common_context(config: Config, secretariat=None) -> dict:
    people, links = config.people, config.links
    return {
        "personnes": {
            "responsable": {"nom": people.lead_name, "email": people.lead_email},
            "feg": {"nom": people.feg_name, "email": people.feg_email},
            "secretariat": None if secretariat is None else {
                "nom": secretariat.name, "email": secretariat.email, "telephone": secretariat.phone,
                "adresse": secretariat.address},
        },
        "liens": {"formulaire": links.form_url, "page_alternance": links.alternance_page,
                  "fiche_formation": links.fiche_formation, "calendrier": links.calendrier, "cout": links.cout,
                  "fiche_rncp": links.fiche_rncp, "cactus": links.cactus_url},
    }
