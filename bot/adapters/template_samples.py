"""Realistic template contexts, for `Renderer.check()`, the tests and the e-mail previews.

The shape is the one the application passes to `Renderer.render`, described
in templates/README.md.
"""

from copy import deepcopy
from typing import Any

from bot.core.events import Event, Role

RESPONSABLE = {"nom": "Jean Caussanel", "email": "responsable.alternance@miage.example.org"}
FEG = {"nom": "Service de la Formation Continue de la FEG (Colbert)",
       "email": "feg-formation-continue@univ.example.org"}
SECRETARIATS = {
    "Aix": {"nom": "Nathalie Di Martino", "email": "secretariat.miage.aix@univ.example.org",
            "telephone": "04 42 00 00 00", "adresse": "Secrétariat MIAGE, site d'Aix-en-Provence"},
    "Marseille": {"nom": "Anissa Salmi", "email": "secretariat.miage.marseille@univ.example.org",
                  "telephone": "04 91 00 00 00", "adresse": "Secrétariat MIAGE, site de Marseille"},
}
LIENS = {
    "formulaire": "https://www.miage-aix-marseille.fr/alternance",
    "page_alternance": "https://www.miage-aix-marseille.fr/alternance",
    "fiche_formation": "https://www.miage-aix-marseille.fr/alternance/fiche-formation",
    "calendrier": "https://www.miage-aix-marseille.fr/alternance/calendrier",
    "cout": "https://www.miage-aix-marseille.fr/alternance/cout",
    "fiche_rncp": "https://www.francecompetences.fr/recherche/rncp/",
    "cactus": "https://cactus.cfa.example.org",
}

REPONSE = {
    "horodateur": "10/06/2026 09:14",
    "email_etudiant": "lea.martin@etu.univ-amu.fr",
    "nom": "Martin",
    "prenom": "Léa",
    "numero_etudiant": "22409071",
    "date_naissance": "14/03/2003",
    "niveau": "M1",
    "site": "Aix",
    "annee_validee": "En attente des résultats",
    "admission": "Oui",
    "type_contrat": "Contrat d'apprentissage",
    "entreprise": "Société Générale de Logiciels Méditerranée",
    "siret": "732 829 320 00074",
    "adresse_entreprise": "12 rue de la République, 13001 Marseille",
    "rh_nom": "Sophie Durand",
    "rh_email": "sophie.durand@sglm.example.com",
    "rh_telephone": "04 91 12 34 56",
    "tuteur_nom": "Karim Benali",
    "tuteur_email": "karim.benali@sglm.example.com",
    "mission": "Développeuse d'applications — refonte du portail client\n"
               "Analyse des besoins, conception et développement (Java, Angular), tests et déploiement.",
    "date_debut": "01/09/2026",
    "date_fin": "31/08/2028",
    "documents_presentes": "Oui",
}

CONSTATS = [
    {"regle": "delai-court", "gravite": "alerte",
     "message": "La validation doit être demandée au moins 15 jours avant le début du contrat "
                "(demande du 20/08/2026, début le 01/09/2026)."},
    {"regle": "annee-non-validee", "gravite": "alerte",
     "message": "L'année en cours n'est pas encore validée (en attente des résultats)."},
]

ERREURS = [
    {"regle": "debut-trop-tard", "gravite": "erreur",
     "message": "Le contrat doit débuter au plus tard le 01/11/2026 (début indiqué : 15/11/2026)."},
    {"regle": "siret-invalide", "gravite": "erreur",
     "message": "Le SIRET « 732 829 320 00075 » n'est pas valide (14 chiffres attendus, clé de contrôle)."},
    {"regle": "documents-non-presentes", "gravite": "alerte",
     "message": "Les documents de la formation n'ont pas été présentés à l'entreprise."},
]

RAPPEL = {
    "date": "22/11/2026",
    "en_attente": [
        {"dossier": "FVMA-2026-0031", "nom": "Nguyen", "prenom": "Thomas", "depuis_jours": 12,
         "depot": "10/11/2026", "debut": "01/12/2026"},
        {"dossier": "FVMA-2026-0042", "nom": "Martin", "prenom": "Léa", "depuis_jours": 1,
         "depot": "21/11/2026", "debut": "15/12/2026"},
    ],
    "cactus": [
        {"dossier": "FVMA-2026-0027", "nom": "Roussel", "prenom": "Inès", "depuis_jours": 4},
    ],
    "debut_proche": [
        {"dossier": "FVMA-2026-0031", "nom": "Nguyen", "prenom": "Thomas", "debut": "01/12/2026",
         "jours_restants": 9},
    ],
    "rejets": [
        {"dossier": "FVMA-2026-0019", "adresse": "rh@entreprise-inexistante.example",
         "motif": "550 5.1.1 User unknown"},
    ],
}

CONTRACTS = {
    "apprentissage": "Contrat d'apprentissage",
    "professionnalisation": "Contrat de professionnalisation",
}


def sample_context(event: Event, role: Role, **changes: Any) -> dict[str, Any]:
    """A full context for `event` and `role`; keyword arguments replace top-level keys.

    `reponse` given as a dict is merged into the sample response rather than
    replacing it, so a test can change one field.
    """
    contract = "professionnalisation" if event is Event.OK_PRO else "apprentissage"
    reponse = dict(REPONSE, type_contrat=CONTRACTS[contract])
    reponse.update(changes.pop("reponse", {}))
    site = reponse["site"]
    recipient = {
        Role.STUDENT: {"nom": f"{reponse['prenom']} {reponse['nom']}", "email": reponse["email_etudiant"]},
        Role.HR: {"nom": reponse["rh_nom"], "email": reponse["rh_email"]},
        Role.FEG: dict(FEG),
        Role.LEAD: dict(RESPONSABLE),
    }[role]
    context: dict[str, Any] = {
        "evenement": event.value,
        "destinataire": {"role": role.value, **recipient},
        "dossier": "" if event is Event.RAPPEL else "FVMA-2026-0042",
        "reponse": reponse,
        "type_contrat": contract,
        "niveau": reponse["niveau"],
        "site": site,
        "annee": "2026-2027",
        "constats": deepcopy(ERREURS if event is Event.KO else CONSTATS),
        "commentaire": _comment(event),
        "personnes": {"responsable": dict(RESPONSABLE), "feg": dict(FEG),
                      "secretariat": deepcopy(SECRETARIATS.get(site))},
        "liens": dict(LIENS),
    }
    if event is Event.RAPPEL:
        context["rappel"] = deepcopy(RAPPEL)
    if event is Event.BOUNCE:
        context["rejet"] = {"dossier": "FVMA-2026-0042", "adresse": reponse["rh_email"],
                            "motif": "550 5.1.1 <sophie.durand@sglm.example.com>: Recipient address rejected: "
                                     "User unknown in virtual mailbox table",
                            "evenement": Event.OK_PRO.value, "role": Role.HR.value}
    context.update(changes)
    return context


def _comment(event: Event) -> str:
    if event is Event.KO:
        return ("La date de début est trop tardive pour la rentrée 2026 : voyez avec l'entreprise "
                "pour un début au plus tard le 1er novembre.\nMerci de vérifier aussi le SIRET.")
    if event is Event.OK_PRO:
        return "Bonne mission ! Pensez à transmettre rapidement le calendrier de la formation à votre tuteur."
    return ""
