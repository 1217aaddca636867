"""The daily reminder's content (SPEC §5 `rappel`): pure, from what the state remembers."""

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.review import DossierState


@dataclass(frozen=True)
class Known:
    state: DossierState
    info: dict            # nom, prenom, depot (dd/mm/yyyy hh:mm), debut (dd/mm/yyyy), type_contrat, decision
    first_seen: date | None = None


def _day(text: str) -> date | None:
    try:
        return datetime.strptime(text[:10], "%d/%m/%Y").date()
    except (ValueError, TypeError):
        return None


def reminder(dossiers: dict[str, Known], bounces: list[dict], today: date, horizon_days: int = 15) -> dict | None:
    """The `rappel` section of the template context, or None when there is nothing to say."""
    waiting, cactus, soon = [], [], []
    for number, known in dossiers.items():
        s, info = known.state, known.info
        if s.replaced_by or s.modified:
            continue
        submitted = _day(info.get("depot", ""))
        age = (today - submitted).days if submitted else 0
        start = _day(info.get("debut", ""))
        person = {"dossier": number, "nom": info.get("nom", ""), "prenom": info.get("prenom", "")}
        if s.decision is None:
            waiting.append({**person, "depuis_jours": age, "depot": info.get("depot", "")[:10],
                            "debut": info.get("debut", "")})
            if start is not None and 0 <= (start - today).days <= horizon_days:
                soon.append({**person, "debut": info.get("debut", ""), "jours_restants": (start - today).days})
        elif s.decision == "OK" and not s.cactus and info.get("type_contrat") == "Contrat d'apprentissage":
            cactus.append({**person, "depuis_jours": age})
    if not (waiting or cactus or soon or bounces):
        return None
    waiting.sort(key=lambda d: -d["depuis_jours"])
    cactus.sort(key=lambda d: -d["depuis_jours"])
    soon.sort(key=lambda d: d["jours_restants"])
    return {"date": today.strftime("%d/%m/%Y"), "en_attente": waiting, "cactus": cactus, "debut_proche": soon,
            "rejets": bounces}
