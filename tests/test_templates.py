"""The e-mails' templates: every event × recipient renders, says what its reader needs, and treats data as data."""

import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from bot.adapters.template_samples import sample_context
from bot.adapters.templates import RECIPIENTS, TEXT_WIDTH, Renderer, TemplateError, one_line, wrap
from bot.core.events import Event, Role
from bot.errors import BotError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PAIRS = [(event, role) for event, roles in RECIPIENTS.items() for role in roles]
IDS = [f"{e.value}/{r.value}" for e, r in PAIRS]
WITH_LINKS = {(Event.RECEPTION, Role.STUDENT), (Event.KO, Role.STUDENT), (Event.OK_PRO, Role.STUDENT),
              (Event.OK_PRO, Role.HR), (Event.CACTUS, Role.STUDENT), (Event.CACTUS, Role.HR)}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


def flat(text: str) -> str:
    """Whitespace runs as one space: the text part folds long lines, data included."""
    return " ".join(text.split())


def plain(text: str) -> str:
    """Typographic apostrophes and no-break spaces folded, so assertions read simply."""
    return text.replace("’", "'").replace("\u00a0", " ")


def render(renderer, event, role, raw=False, **changes):
    """Subject, text and HTML, read as a person would (text unfolded, HTML entities decoded) unless `raw`."""
    out = renderer.render(event, role, sample_context(event, role, **changes))
    if raw:
        return out.subject, out.text, out.html
    return plain(out.subject), flat(plain(out.text)), plain(unescape(out.html))


# --- every event × recipient -------------------------------------------------------------------

def test_the_recipients_are_those_of_the_spec():
    assert len(PAIRS) == 11
    for event, role in PAIRS:
        for part in ("subject", "txt", "html"):
            assert (TEMPLATES / event.value / f"{role.value}.{part}.j2").is_file()


@pytest.mark.parametrize(("event", "role"), PAIRS, ids=IDS)
def test_each_email_renders_in_french_with_the_dossier_in_its_subject(renderer, event, role):
    subject, text, html = render(renderer, event, role, raw=True)
    assert subject and "\n" not in subject and "\r" not in subject and "\t" not in subject
    assert subject == subject.strip()
    if event is not Event.RAPPEL:
        assert "FVMA-2026-0042" in subject
        assert "FVMA-2026-0042" in text and "FVMA-2026-0042" in html
    assert text.startswith("Bonjour")
    assert "\n-- \n" in text  # the signature separator mail clients recognise
    assert re.search(r"\b(le|la|les|de|du|votre|vous)\b", text)
    assert "\n\n\n" not in text
    assert html.lstrip().startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert "Bonjour" in html and "MIAGE Aix-Marseille" in html


@pytest.mark.parametrize(("event", "role"), PAIRS, ids=IDS)
def test_no_html_loads_a_remote_resource(renderer, event, role):
    _, _, html = render(renderer, event, role, raw=True)
    lowered = html.lower()
    for banned in ("<img", "<link", "<script", "<iframe", "<object", "@import", "url(", "src=", "<style"):
        assert banned not in lowered, banned


@pytest.mark.parametrize(("event", "role"), PAIRS, ids=IDS)
def test_links_that_are_not_configured_are_left_out(renderer, event, role):
    empty = dict.fromkeys(sample_context(event, role)["liens"], "")
    out = renderer.render(event, role, sample_context(event, role, liens=empty))
    assert 'href=""' not in out.html
    assert not re.search(r"(Formulaire|CACTUS|Fiche RNCP|Calendrier|formation\)) :\s*$", plain(out.text), re.M)


def test_check_renders_every_template(renderer):
    checked = renderer.check()
    assert len(checked) == 33
    assert "ok-pro/feg.html.j2" in checked


# --- a template that is missing, broken, or asks for what the context lacks ---------------------

@pytest.fixture
def copy(tmp_path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    return folder


def test_check_names_a_missing_template(copy):
    (copy / "cactus" / "rh.txt.j2").unlink()
    with pytest.raises(TemplateError, match=r"cactus/rh\.txt\.j2: template not found") as caught:
        Renderer(copy).check()
    assert isinstance(caught.value, BotError)


def test_check_names_a_template_that_does_not_compile(copy):
    (copy / "ko" / "etudiant.html.j2").write_text("{% if %}oops", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"ko/etudiant\.html\.j2, line 1"):
        Renderer(copy).check()


def test_check_names_a_template_using_an_unknown_value(copy):
    (copy / "rappel" / "responsable.subject.j2").write_text("{{ rapel.date }}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"rappel/responsable\.subject\.j2: 'rapel' is undefined"):
        Renderer(copy).check()


def test_a_missing_context_key_is_an_error_not_an_empty_string(renderer):
    context = sample_context(Event.KO, Role.STUDENT)
    del context["liens"]
    with pytest.raises(TemplateError, match=r"ko/etudiant\.\w+\.j2: 'liens' is undefined"):
        renderer.render(Event.KO, Role.STUDENT, context)


def test_a_missing_response_field_is_an_error(renderer):
    context = sample_context(Event.OK_PRO, Role.FEG)
    del context["reponse"]["siret"]
    with pytest.raises(TemplateError, match="siret"):
        renderer.render(Event.OK_PRO, Role.FEG, context)


# --- data is data ------------------------------------------------------------------------------

TEMPLATE_SYNTAX = "{{ 7*7 }} {% include '_layout.html.j2' %} {# x #}"


@pytest.mark.parametrize(("event", "role"), PAIRS, ids=IDS)
def test_template_syntax_typed_in_a_response_is_shown_verbatim(renderer, event, role):
    changes = {"reponse": {"entreprise": TEMPLATE_SYNTAX, "prenom": "{{ 7*7 }}", "mission": TEMPLATE_SYNTAX,
                           "rh_nom": "{{ 7*7 }}"},
               "commentaire": TEMPLATE_SYNTAX}
    subject, text, html = render(renderer, event, role, **changes)
    if event not in (Event.RAPPEL, Event.BOUNCE):
        assert "{{ 7*7 }}" in text
        assert "{{ 7*7 }}" in html
    assert "49" not in subject + text + html


def test_the_mission_and_the_comment_are_quoted_as_typed(renderer):
    subject, text, html = render(renderer, Event.KO, Role.STUDENT, raw=True, commentaire=TEMPLATE_SYNTAX,
                                 reponse={"entreprise": "ACME {{ 7*7 }}"})
    assert TEMPLATE_SYNTAX in flat(text)
    assert "{{ 7*7 }} {% include &#39;_layout.html.j2&#39; %} {# x #}" in html
    assert "ACME {{ 7*7 }}" in flat(text)


def everything_set_to(value: str, event: Event, role: Role) -> dict:
    """A context in which every value a person typed (or a server answered) is `value`."""
    context = sample_context(event, role)
    context["reponse"] = dict.fromkeys(context["reponse"], value)
    context["destinataire"]["nom"] = value
    context["commentaire"] = value
    context["site"] = value
    context["constats"] = [{"regle": "x", "gravite": "erreur", "message": value},
                           {"regle": "y", "gravite": "alerte", "message": value}]
    if "rappel" in context:
        for rows in context["rappel"].values():
            if isinstance(rows, list):
                for row in rows:
                    row.update({k: value for k in row if k not in ("depuis_jours", "jours_restants")})
    if "rejet" in context:
        context["rejet"].update(adresse=value, motif=value)
    return context


@pytest.mark.parametrize(("event", "role"), PAIRS, ids=IDS)
def test_html_in_any_value_is_escaped_in_the_html_part_only(renderer, event, role):
    evil = '<script>alert("x")</script><img src="http://evil.example/t.png">'
    out = renderer.render(event, role, everything_set_to(evil, event, role))
    assert "<script" not in out.html and "<img" not in out.html
    assert "&lt;script&gt;" in out.html
    assert evil in flat(out.text)  # text/plain shows exactly what was typed
    assert "<" not in out.subject.replace(evil, "")


@pytest.mark.parametrize(("event", "role"), PAIRS, ids=IDS)
def test_template_syntax_in_any_value_is_never_evaluated(renderer, event, role):
    payload = "{{ 7*7 }}{% if true %}yes{% endif %}"
    out = renderer.render(event, role, everything_set_to(payload, event, role))
    assert flat(payload) in flat(out.text) and payload in out.html
    for part in (out.subject, out.text, out.html):
        rest = flat(part).replace(flat(payload), "")
        assert "49" not in rest and "yes" not in rest


def test_line_breaks_in_data_never_reach_the_subject(renderer):
    subject, _, _ = render(renderer, Event.RECEPTION, Role.LEAD,
                           reponse={"entreprise": "ACME\r\nBcc: victim@example.org\tX", "prenom": "Léa\nMarie"})
    assert "\r" not in subject and "\n" not in subject and "\t" not in subject
    assert "ACME Bcc: victim@example.org X" in subject


@pytest.mark.parametrize(("event", "role"), PAIRS, ids=IDS)
def test_the_text_part_is_folded_at_76_columns_without_cutting_links(renderer, event, role):
    long_url = "https://www.miage-aix-marseille.fr/" + "tres-long-chemin/" * 6
    liens = dict.fromkeys(sample_context(event, role)["liens"], long_url)
    text = renderer.render(event, role, sample_context(event, role, liens=liens)).text
    for line in text.splitlines():
        assert len(line) <= TEXT_WIDTH or " " not in line.strip() or long_url in line, line
    if (event, role) in WITH_LINKS:
        assert long_url in text


def test_wrap_hangs_list_items_and_repeats_quote_marks():
    words = " ".join(["mot"] * 40)
    assert wrap("- Mission : " + words, 30).split("\n")[1].startswith("  mot")
    assert wrap("  ✖ " + words, 30).split("\n")[1].startswith("    mot")
    assert wrap("   2. " + words, 30).split("\n")[1].startswith("      mot")
    assert all(line.startswith("  > ") for line in wrap("  > " + words, 30).split("\n"))
    assert wrap("-- ") == "-- "
    assert wrap("court\n\n  > x") == "court\n\n  > x"


def test_the_subject_and_text_are_not_html_escaped(renderer):
    subject, text, html = render(renderer, Event.RECEPTION, Role.LEAD, raw=True,
                                 reponse={"entreprise": "Dupont & Fils <SARL>"})
    assert "Dupont & Fils <SARL>" in subject and "Dupont & Fils <SARL>" in text
    assert "Dupont &amp; Fils &lt;SARL&gt;" in html


def test_one_line_collapses_every_line_break():
    assert one_line("  a\r\nb\u2028c\x0bd\te  ") == "a b c d e"


def test_multi_line_mission_keeps_its_lines_in_html(renderer):
    _, _, html = render(renderer, Event.RECEPTION, Role.STUDENT, raw=True,
                        reponse={"mission": "Ligne 1\nLigne 2 & <b>"})
    assert "Ligne 1<br>\nLigne 2 &amp; &lt;b&gt;" in html


# --- what each reader is told ------------------------------------------------------------------

def test_reception_tells_the_student_what_was_received_and_what_comes_next(renderer):
    subject, text, html = render(renderer, Event.RECEPTION, Role.STUDENT)
    for part in (text, html):
        for value in ("Société Générale de Logiciels Méditerranée", "refonte du portail client",
                      "Contrat d'apprentissage", "01/09/2026", "31/08/2028",
                      "au moins 15 jours avant le début du contrat", "Jean Caussanel",
                      "https://www.miage-aix-marseille.fr/alternance", "ne pourra plus être modifiée"):
            assert value in part, value
    assert "Vous recevrez un e-mail dès que sa décision sera prise" in text
    assert "remplacera celle-ci" in text


def test_reception_says_when_the_check_found_nothing(renderer):
    _, text, html = render(renderer, Event.RECEPTION, Role.STUDENT, constats=[])
    assert "aucune anomalie" in text and "aucune anomalie" in html
    assert "Points d'attention" not in text


def test_findings_list_errors_then_warnings(renderer):
    _, text, html = render(renderer, Event.KO, Role.STUDENT)
    assert text.index("À corriger") < text.index("✖ Le contrat doit débuter") < text.index("Points d'attention")
    assert text.index("Points d'attention") < text.index("⚠ Les documents de la formation")
    assert html.index("À corriger") < html.index("Points d'attention")


def test_reception_tells_the_lead_who_and_what_to_do(renderer):
    subject, text, html = render(renderer, Event.RECEPTION, Role.LEAD)
    assert subject.startswith("Nouveau dossier FVMA-2026-0042 : Léa Martin")
    assert subject.endswith("— 2 alertes")
    for part in (text, html):
        assert "Société Générale de Logiciels Méditerranée" in part
        assert "Contrat d'apprentissage" in part
        assert "« Décision »" in part and "OK" in part and "KO" in part
        assert "L'année en cours n'est pas encore validée" in part


def test_the_leads_subject_counts_errors_and_warnings(renderer):
    errors = sample_context(Event.KO, Role.STUDENT)["constats"]
    subject, _, _ = render(renderer, Event.RECEPTION, Role.LEAD, constats=errors)
    assert subject.endswith("— 2 erreurs, 1 alerte")
    subject, _, _ = render(renderer, Event.RECEPTION, Role.LEAD, constats=[])
    assert subject.endswith("— conforme")


def test_ko_quotes_the_comment_and_gives_the_form(renderer):
    liens = {**sample_context(Event.KO, Role.STUDENT)["liens"], "formulaire": "https://forms.gle/AbC123"}
    subject, text, html = render(renderer, Event.KO, Role.STUDENT, liens=liens)
    assert "Corrections demandées" in subject
    assert "> La date de début est trop tardive pour la rentrée 2026" in text
    assert "> Merci de vérifier aussi le SIRET." in text
    assert "trop tardive pour la rentrée 2026" in html and "<blockquote" in html
    assert "Formulaire : https://forms.gle/AbC123" in text
    assert 'href="https://forms.gle/AbC123"' in html
    assert "une mission validée ne peut plus être modifiée" in text
    assert "Le contrat doit débuter au plus tard le 01/11/2026" in text


def test_ko_without_comment_has_no_empty_quote(renderer):
    _, text, html = render(renderer, Event.KO, Role.STUDENT, commentaire="")
    assert "Commentaire de" not in text and "<blockquote" not in html


def test_ok_pro_gives_the_student_the_next_steps(renderer):
    subject, text, html = render(renderer, Event.OK_PRO, Role.STUDENT)
    assert "Mission validée" in subject
    for part in (text, html):
        for value in ("Votre site de formation pour le M1 est validé", "Nathalie Di Martino",
                      "secretariat.miage.aix@univ.example.org", "04 42 00 00 00",
                      "Formation Continue de la FEG (Colbert)",
                      "feg-formation-continue@univ.example.org", "« contrat de professionnalisation »",
                      "« convention de formation »", "Bonne mission !",
                      "https://www.francecompetences.fr/recherche/rncp/",
                      "ne peut plus être modifiée"):
            assert value in part, value


def test_ok_pro_for_marseille_names_its_secretariat(renderer):
    context = sample_context(Event.OK_PRO, Role.STUDENT, reponse={"site": "Marseille"})
    assert context["personnes"]["secretariat"]["nom"] == "Anissa Salmi"
    text = plain(renderer.render(Event.OK_PRO, Role.STUDENT, context).text)
    assert "secrétariat MIAGE du site de Marseille" in text and "Anissa Salmi" in text
    assert "validé : Marseille" in text


def test_ok_for_an_m2_states_no_site(renderer):
    for event in (Event.OK_PRO, Event.OK_APPRENTICESHIP):
        _, text, html = render(renderer, event, Role.STUDENT, niveau="M2", reponse={"niveau": "M2"})
        assert "site de formation pour le M1" not in text and "site de formation pour le M1" not in html


def test_ok_pro_without_a_known_secretariat_still_tells_the_student_where_to_go(renderer):
    context = sample_context(Event.OK_PRO, Role.STUDENT, site="", niveau="M2", reponse={"site": "", "niveau": "M2"})
    context["personnes"]["secretariat"] = None
    text = plain(renderer.render(Event.OK_PRO, Role.STUDENT, context).text)
    assert "secrétariat MIAGE de votre site" in text


def test_ok_pro_tells_the_company_its_steps(renderer):
    subject, text, html = render(renderer, Event.OK_PRO, Role.HR)
    assert "Léa Martin" in subject and "avis pédagogique favorable" in subject
    assert text.startswith("Bonjour Sophie Durand,")
    for part in (text, html):
        for value in ("Léa Martin", "refonte du portail client", "01/09/2026", "31/08/2028",
                      "« contrat de professionnalisation »", "« convention de formation »",
                      "Service de la Formation Continue de la FEG", "feg-formation-continue@univ.example.org",
                      "Fiche RNCP"):
            assert value in part, value
    assert "Bonne mission !" not in text  # the lead's comment is for the student


def test_ok_pro_gives_the_feg_what_the_convention_needs(renderer):
    subject, text, html = render(renderer, Event.OK_PRO, Role.FEG)
    assert text.startswith("Bonjour,")
    for part in (text, html):
        for value in ("Martin", "Léa", "22409071", "Société Générale de Logiciels Méditerranée",
                      "732 829 320 00074",
                      "01/09/2026", "31/08/2028", "M1", "Aix", "convention de formation", "2026-2027"):
            assert value in part, value


def test_ok_apprenticeship_announces_cactus(renderer):
    subject, text, html = render(renderer, Event.OK_APPRENTICESHIP, Role.STUDENT)
    assert "CACTUS" in subject
    for part in (text, html):
        assert "avis pédagogique favorable" in part
        assert "initialise votre contrat dans CACTUS" in part
        assert "Vous recevrez un autre e-mail" in part
        assert "Votre site de formation pour le M1 est validé" in part


def test_cactus_tells_the_student_to_log_in(renderer):
    _, text, html = render(renderer, Event.CACTUS, Role.STUDENT)
    for part in (text, html):
        assert "https://cactus.cfa.example.org" in part
        assert "« contrat d'apprentissage »" in part and "« convention d'accompagnement »" in part
        assert "Sophie Durand" in part


def test_cactus_without_its_address_has_no_button(renderer):
    liens = {**sample_context(Event.CACTUS, Role.STUDENT)["liens"], "cactus": ""}
    _, text, html = render(renderer, Event.CACTUS, Role.STUDENT, liens=liens)
    assert "Se connecter à CACTUS" not in html and "CACTUS :" not in text
    assert "Connectez-vous à CACTUS" in text


def test_cactus_tells_the_company_what_comes(renderer):
    subject, text, html = render(renderer, Event.CACTUS, Role.HR)
    assert "Léa Martin" in subject and "CACTUS" in subject
    for part in (text, html):
        assert "CACTUS vous demandera ensuite de compléter la partie de l'entreprise" in part
        assert "« contrat d'apprentissage »" in part and "« convention d'accompagnement »" in part


def test_rappel_lists_each_section_oldest_first_with_ages(renderer):
    subject, text, html = render(renderer, Event.RAPPEL, Role.LEAD)
    assert subject == ("FVMA — point du 22/11/2026 : 2 en attente de décision, 1 début sous 15 jours, "
                       "1 CACTUS à initialiser, 1 adresse rejetée")
    assert "FVMA-2026-0031 — Thomas Nguyen : depuis 12 jours (déposé le 10/11/2026)" in text
    assert "FVMA-2026-0042 — Léa Martin : depuis 1 jour " in text
    assert text.index("FVMA-2026-0031 — Thomas Nguyen : depuis") < text.index("FVMA-2026-0042 — Léa Martin")
    assert "FVMA-2026-0027 — Inès Roussel : validé depuis 4 jours" in text
    assert "début le 01/12/2026, dans 9 jours" in text
    assert "rh@entreprise-inexistante.example : 550 5.1.1 User unknown" in text
    for value in ("12 jours", "9 jours", "Inès Roussel", "550 5.1.1 User unknown"):
        assert value in html


def test_rappel_leaves_out_empty_sections(renderer):
    rappel = {"date": "23/11/2026", "en_attente": [], "cactus": [], "debut_proche": [],
              "rejets": [{"dossier": "FVMA-2026-0019", "adresse": "x@example.org", "motif": "5.1.1"}]}
    subject, text, html = render(renderer, Event.RAPPEL, Role.LEAD, rappel=rappel)
    assert subject == "FVMA — point du 23/11/2026 : 1 adresse rejetée"
    for absent in ("En attente de décision", "CACTUS", "moins de 15 jours"):
        assert absent not in text and absent not in html
    assert "Adresses rejetées (1)" in text


def test_rappel_renders_on_the_context_the_daemon_builds(renderer):
    full = sample_context(Event.RAPPEL, Role.LEAD)
    context = {k: full[k] for k in ("evenement", "destinataire", "dossier", "rappel", "personnes", "liens")}
    context["rappel"]["rejets"][0]["motif"] = ""
    out = renderer.render(Event.RAPPEL, Role.LEAD, context)
    assert "- FVMA-2026-0019 — rh@entreprise-inexistante.example\n" in out.text


def test_rejected_address_renders_without_the_response(renderer):
    full = sample_context(Event.BOUNCE, Role.LEAD)
    context = {k: full[k] for k in ("evenement", "destinataire", "dossier", "rejet", "personnes", "liens")}
    text = flat(plain(renderer.render(Event.BOUNCE, Role.LEAD, context).text))
    assert "Dossier : FVMA-2026-0042 Adresse refusée : sophie.durand@sglm.example.com" in text.replace("- ", "")


def test_rappel_with_nothing_waiting(renderer):
    rappel = {"date": "23/11/2026", "en_attente": [], "cactus": [], "debut_proche": [], "rejets": []}
    subject, text, _ = render(renderer, Event.RAPPEL, Role.LEAD, rappel=rappel)
    assert subject == "FVMA — point du 23/11/2026 : rien en attente"
    assert "Rien n'attend votre action aujourd'hui." in text


def test_rejected_address_tells_the_lead_what_happened_and_what_to_do(renderer):
    subject, text, html = render(renderer, Event.BOUNCE, Role.LEAD)
    assert subject == "Adresse rejetée : sophie.durand@sglm.example.com (contact RH) — FVMA-2026-0042"
    for part in (text, html):
        for value in ("sophie.durand@sglm.example.com", "FVMA-2026-0042", "Léa Martin",
                      "le contact RH de l'entreprise",
                      "validation de la mission (contrat de professionnalisation)", "User unknown",
                      "Le bot ne renvoie pas ce message de lui-même",
                      "fvma-bot preview ok-pro --dossier FVMA-2026-0042",
                      "lea.martin@etu.univ-amu.fr"):
            assert value in part, value


def test_rejected_student_address_asks_for_another_way_to_reach_them(renderer):
    rejet = {"dossier": "FVMA-2026-0042", "adresse": "lea.martin@etu.univ-amu.fr", "motif": "5.1.1",
             "evenement": "ko", "role": "etudiant"}
    subject, text, _ = render(renderer, Event.BOUNCE, Role.LEAD, rejet=rejet)
    assert "(étudiant(e))" in subject
    assert "Contactez l'étudiant(e) par un autre moyen" in text and "22409071" in text


@pytest.mark.parametrize(("event", "role"), PAIRS, ids=IDS)
def test_a_huge_answer_is_shortened_in_the_subject_which_keeps_its_dossier_number(renderer, event, role):
    huge = {k: "N" * 50_000 for k in ("nom", "prenom", "entreprise", "mission")}
    subject, _, _ = render(renderer, event, role, raw=True, reponse=huge)
    assert len(subject) < 400
    if event is not Event.RAPPEL:
        assert "FVMA-2026-0042" in subject
