"""Turning a rendered e-mail into MIME: headers, threading, encoding, and no header injection."""

from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from bot.adapters.compose import build_message, clean_text
from bot.adapters.template_samples import sample_context
from bot.adapters.templates import Rendered, Renderer
from bot.core.events import Event, Outgoing, Recipient, Role
from bot.errors import MailError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DOMAIN = "miage.example.org"
SENDER = ("MIAGE Aix-Marseille — alternance", "fvma-bot@miage.example.org")
LEAD = ("Jean Caussanel", "responsable.alternance@miage.example.org")
WHEN = datetime(2026, 11, 22, 14, 5, tzinfo=timezone.utc)
HEADERS = ["From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Auto-Submitted", "X-Auto-Response-Suppress",
           "MIME-Version", "Content-Type", "Content-Language"]
THREADED = HEADERS[:6] + ["In-Reply-To", "References"] + HEADERS[6:]


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    return Renderer(TEMPLATES).render(Event.KO, Role.STUDENT, sample_context(Event.KO, Role.STUDENT))


def outgoing(name="Léa Martin", email="lea.martin@etu.univ-amu.fr", event=Event.KO, role=Role.STUDENT, variant=""):
    return Outgoing("FVMA-2026-0042", event, Recipient(role, email, name), variant)


def build(out=None, rend=None, *, sender=SENDER, reply_to=LEAD, domain=DOMAIN, thread=(), when=WHEN):
    return build_message(out or outgoing(), rend, sender=sender, reply_to=reply_to, domain=domain,
                         thread=list(thread), when=when)


def wire(msg):
    """What a receiving server parses: the bytes, read back."""
    raw = msg.as_bytes()
    return raw, message_from_bytes(raw, policy=default)


def test_it_carries_every_header_the_spec_asks_for(rendered):
    raw, parsed = wire(build(rend=rendered))
    assert list(parsed.keys()) == HEADERS
    assert parsed["From"] == "MIAGE Aix-Marseille — alternance <fvma-bot@miage.example.org>"
    assert parsed["To"] == "Léa Martin <lea.martin@etu.univ-amu.fr>"
    assert parsed["Reply-To"] == "Jean Caussanel <responsable.alternance@miage.example.org>"
    assert parsed["Subject"] == rendered.subject
    assert parsed["Date"] == "Sun, 22 Nov 2026 14:05:00 +0000"
    assert parsed["Message-ID"] == "<fvma.FVMA-2026-0042.ko.etudiant@miage.example.org>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["Content-Language"] == "fr"


def test_the_body_is_text_and_html_alternatives_in_utf8(rendered):
    _, parsed = wire(build(rend=rendered))
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.get_payload()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == rendered.text
    assert html.get_content().replace("\r\n", "\n") == rendered.html


def test_the_wire_form_is_seven_bit_with_short_lines(rendered):
    raw, _ = wire(build(rend=rendered))
    raw.decode("ascii")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_non_ascii_names_and_subject_are_encoded_and_round_trip(rendered):
    rend = Rendered("Réception — Été « dossier » FVMA-2026-0042 ✓", rendered.text, rendered.html)
    raw, parsed = wire(build(outgoing(name="Zoé Éloïse N’Diaye-Müller"), rend))
    assert b"=?utf-8?" in raw
    assert parsed["To"].addresses[0].display_name == "Zoé Éloïse N’Diaye-Müller"
    assert parsed["From"].addresses[0].display_name == "MIAGE Aix-Marseille — alternance"
    assert parsed["Subject"] == "Réception — Été « dossier » FVMA-2026-0042 ✓"


def test_names_with_punctuation_are_quoted_not_split(rendered):
    _, parsed = wire(build(outgoing(name='Martin, Léa "Lou" <lou@evil.example>'), rendered))
    to = parsed["To"].addresses
    assert len(to) == 1
    assert to[0].addr_spec == "lea.martin@etu.univ-amu.fr"
    assert to[0].display_name == 'Martin, Léa "Lou" <lou@evil.example>'


def test_an_internationalised_domain_is_sent_in_its_ascii_form(rendered):
    raw, parsed = wire(build(outgoing(email="rh@société.example"), rendered))
    assert parsed["To"].addresses[0].domain == "xn--socit-esab.example"


# --- threading and identity --------------------------------------------------------------------

def test_the_first_message_of_a_thread_has_no_reply_headers(rendered):
    _, parsed = wire(build(rend=rendered, thread=[]))
    assert "In-Reply-To" not in parsed and "References" not in parsed


def test_later_messages_reply_to_the_last_and_reference_all(rendered):
    thread = ["<fvma.FVMA-2026-0042.reception.etudiant@miage.example.org>",
              "<fvma.FVMA-2026-0042.ok-apprentissage.etudiant@miage.example.org>"]
    _, parsed = wire(build(outgoing(event=Event.CACTUS), rendered, thread=thread))
    assert list(parsed.keys()) == THREADED
    assert parsed["In-Reply-To"] == thread[-1]
    assert parsed["References"].split() == thread
    assert parsed["Message-ID"] == "<fvma.FVMA-2026-0042.cactus.etudiant@miage.example.org>"


def test_the_message_id_is_deterministic(rendered):
    first = build(rend=rendered, when=WHEN)
    again = build(rend=rendered, when=datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert first["Message-ID"] == again["Message-ID"] == outgoing().message_id(DOMAIN)
    other = build(outgoing(role=Role.HR, email="rh@example.org", event=Event.OK_PRO), rendered)
    assert other["Message-ID"] != first["Message-ID"]


def test_a_naive_date_is_paris_time(rendered):
    winter = build(rend=rendered, when=datetime(2026, 11, 22, 14, 5))
    summer = build(rend=rendered, when=datetime(2026, 6, 10, 9, 14))
    assert winter["Date"] == "Sun, 22 Nov 2026 14:05:00 +0100"
    assert summer["Date"] == "Wed, 10 Jun 2026 09:14:00 +0200"


# --- nothing a person typed can add a header ---------------------------------------------------

@pytest.mark.parametrize("name", [
    "Léa\r\nBcc: victim@example.org",
    "Léa\nBcc: victim@example.org",
    "Léa\rBcc: victim@example.org",
    "Léa\u2028Bcc: victim@example.org",
    "Léa\x85Bcc: victim@example.org",
    "Léa\x00\x1b[31m\r\n\r\nbody",
    "=?utf-8?q?L=C3=A9a?=\r\n X-Injected: yes",
])
def test_a_line_break_in_a_name_adds_no_header(rendered, name):
    raw, parsed = wire(build(outgoing(name=name), rendered, sender=(name, SENDER[1]), reply_to=(name, LEAD[1])))
    assert list(parsed.keys()) == HEADERS
    assert parsed["To"].addresses[0].addr_spec == "lea.martin@etu.univ-amu.fr"
    assert len(parsed["To"].addresses) == 1
    assert b"\r\nBcc:" not in raw and b"\r\nX-Injected" not in raw


@pytest.mark.parametrize("subject", [
    "Dossier FVMA-2026-0042\r\nBcc: victim@example.org",
    "Dossier\nX-Injected: yes",
    "Dossier\r\n\r\n<html>body</html>",
    "Dossier\u2028Bcc: victim@example.org",
])
def test_a_line_break_in_the_subject_adds_no_header(rendered, subject):
    raw, parsed = wire(build(rend=Rendered(subject, rendered.text, rendered.html)))
    assert list(parsed.keys()) == HEADERS
    assert "\n" not in parsed["Subject"] and "\r" not in parsed["Subject"]
    assert parsed["Subject"].startswith("Dossier")


def test_data_in_the_subject_comes_through_the_renderer_on_one_line():
    context = sample_context(Event.RECEPTION, Role.LEAD, reponse={"entreprise": "ACME\r\nBcc: victim@example.org"})
    rend = Renderer(TEMPLATES).render(Event.RECEPTION, Role.LEAD, context)
    _, parsed = wire(build(outgoing(name="Jean Caussanel", email=LEAD[1], event=Event.RECEPTION, role=Role.LEAD), rend))
    assert list(parsed.keys()) == HEADERS
    assert "ACME Bcc: victim@example.org" in parsed["Subject"]


@pytest.mark.parametrize("address", [
    "lea.martin@etu.univ-amu.fr\r\nBcc: victim@example.org",
    "lea.martin@etu.univ-amu.fr\nBcc: victim@example.org",
    "lea.martin@etu.univ-amu.fr, victim@example.org",
    "lea.martin@etu.univ-amu.fr victim@example.org",
    "Léa <lea.martin@etu.univ-amu.fr>",
    "not an address",
    "",
    "lea@",
    "léa@etu.univ-amu.fr",
])
def test_an_address_that_is_not_exactly_one_valid_address_is_refused_for_good(rendered, address):
    for kwargs in ({"out": outgoing(email=address)}, {"sender": ("Bot", address)}, {"reply_to": ("Lead", address)}):
        with pytest.raises(MailError) as caught:
            build(rend=rendered, **kwargs)
        assert caught.value.permanent


@pytest.mark.parametrize("bad", ["<a@b.c>\r\nBcc: victim@example.org", "not-an-id", "<a b@c.d>", "<a@b@c.d>"])
def test_a_thread_entry_that_is_not_a_message_id_is_refused(rendered, bad):
    with pytest.raises(MailError) as caught:
        build(rend=rendered, thread=["<fvma.FVMA-2026-0042.reception.etudiant@miage.example.org>", bad])
    assert caught.value.permanent


@pytest.mark.parametrize("domain", ["miage.example.org\r\nBcc: x@y.z", "", "localhost", "a b.org",
                                    "miage.example.org>"])
def test_a_bad_message_id_domain_is_refused(rendered, domain):
    with pytest.raises(MailError, match="domain") as caught:
        build(rend=rendered, domain=domain)
    assert caught.value.permanent


def test_a_variant_that_would_break_the_message_id_is_refused(rendered):
    with pytest.raises(MailError, match="Message-ID") as caught:
        build(outgoing(event=Event.BOUNCE, role=Role.LEAD, email=LEAD[1], variant="rh@example.org"), rendered)
    assert caught.value.permanent


def test_clean_text_keeps_words_and_drops_control_characters():
    assert clean_text("  Léa\r\n\tMartin\x00\x07 ") == "Léa Martin"


def test_a_display_name_is_cut_to_a_hundred_characters():
    rend = Renderer(TEMPLATES).render(Event.KO, Role.STUDENT, sample_context(Event.KO, Role.STUDENT))
    _, parsed = wire(build(outgoing(name="N" * 50_000), rend))
    assert parsed["To"].addresses[0].display_name.replace(" ", "") == "N" * 99 + "…"  # folding adds spaces
    assert len(parsed.as_bytes().split(b"\n\n")[0]) < 4000


def test_an_address_the_core_accepts_can_be_written():
    # the reserved .test domain passes the core's check (test and staging setups): compose must agree
    rend = Renderer(TEMPLATES).render(Event.KO, Role.STUDENT, sample_context(Event.KO, Role.STUDENT))
    _, parsed = wire(build(outgoing(email="lea@etu.example.test"), rend))
    assert parsed["To"].addresses[0].addr_spec == "lea@etu.example.test"
