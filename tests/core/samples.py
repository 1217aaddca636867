"""The core tests' shared data: where the shipped rules are, a fixed `today`, and a valid response.

`VALID` is an M2 apprenticeship for 2025-2026 that has no finding at all (see
test_rules.py::test_the_baseline_response_has_no_finding): each test overrides
the one field it is about, so the finding it sees can only come from that field.
"""

from datetime import date
from pathlib import Path

from bot.core.fields import FIELDS

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"

# Any date works for the rules that select their year by the contract's start;
# it only picks the rules run when no year applies.
TODAY = date(2025, 6, 20)

VALID: dict[str, object] = {
    "horodateur": "10/06/2025 09:14:22",
    "email_etudiant": "lea.martin@etu.univ-amu.fr",
    "nom": "Martin",
    "prenom": "Léa",
    "numero_etudiant": "22409071",
    "date_naissance": "14/03/2002",
    "niveau": "M2",
    "site": "Aix",
    "annee_validee": "Oui",
    "admission": "Oui",
    "type_contrat": "Contrat d'apprentissage",
    "entreprise": "Sopra Steria",
    "siret": "326 820 065 00083",
    "adresse_entreprise": "6 avenue Kléber, 75116 Paris",
    "rh_nom": "Claire Fontaine",
    "rh_email": "claire.fontaine@soprasteria.example",
    "rh_telephone": "04 91 00 00 01",
    "tuteur_nom": "Marc Lenoir",
    "tuteur_email": "marc.lenoir@soprasteria.example",
    "mission": "Développeuse full-stack : évolution d'une application de gestion des stocks.",
    "date_debut": "01/09/2025",
    "date_fin": "30/09/2026",
    "documents_presentes": "Oui",
}

assert set(VALID) == {f.key for f in FIELDS}
