"""Recognising bounces: the corpus in tests/data/bounces, then a few made-up edge cases."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from textwrap import dedent

import pytest

from bot.core.bounces import Bounce, parse_bounce

CORPUS = Path(__file__).parent / "data" / "bounces"
ID = "<fvma.FVMA-{}@miage.example.org>".format

# file -> (original Message-ID, failed recipients, status, permanent, words of the diagnostic); None: not a bounce
EXPECTED: dict[str, tuple | None] = {
    "postfix-dsn-user-unknown.eml": (
        ID("2026-0042.ko.etudiant"), ("lea.martin@etu.example.net",), "5.1.1", True, "User unknown in virtual mailbox",
    ),
    "exim-dsn-headers-only.eml": (
        ID("2026-0043.ok-pro.rh"), ("rh@techno-sud.example.com",), "5.0.0", True, "Recipient address rejected",
    ),
    "exim-text-access-denied.eml": (
        ID("2025-0117.cactus.rh"), ("paul.durand@cabinet-durand.example.com",), "5.7.1", True, "Access denied",
    ),
    "qmail-no-mailbox.eml": (
        ID("2026-0051.ok-pro.rh"), ("recrutement@agence-web.example.com",), "5.1.1", True, "no mailbox here",
    ),
    "gmail-dsn-address-not-found.eml": (
        ID("2026-0047.reception.etudiant"), ("camille.roux@etu.example.net",), "5.1.1", True, "does not exist",
    ),
    "gmail-legacy-text.eml": (
        ID("2026-0058.ok-pro.rh"), ("tuteur.alternance@labo-pixel.example.com",), None, True, "did not accept",
    ),
    "office365-ndr-fr.eml": (
        ID("2026-0060.ok-pro.rh"), ("rh.alternance@groupe-azur.example.com",), "5.1.10", True, "RecipientNotFound",
    ),
    "postfix-delayed.eml": (
        ID("2026-0044.cactus.rh"), ("j.nguyen@startup-calanques.example.com",), "4.4.1", False, "Connection timed out",
    ),
    "sendmail-dsn-without-original.eml": (
        None, ("dsi-stages@mairie-exemple.example.com",), "5.2.2", True, "Mailbox full",
    ),
    "out-of-office-outlook-fr.eml": None,
    "vacation-sieve-fr.eml": None,
    "ordinary-reply.eml": None,
    "read-receipt-mdn.eml": None,
    "postfix-dsn-relayed-success.eml": None,
}


def test_every_corpus_file_has_an_expected_outcome():
    assert sorted(path.name for path in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_corpus_message_is_read_as_expected(name):
    found = parse_bounce((CORPUS / name).read_bytes())
    expected = EXPECTED[name]
    if expected is None:
        assert found is None
        return
    message_id, recipients, status, permanent, diagnostic_words = expected
    assert isinstance(found, Bounce)
    assert found.original_message_id == message_id
    assert found.recipients == recipients
    assert found.status == status
    assert found.permanent is permanent
    assert diagnostic_words in (found.diagnostic or "")


def test_the_address_we_sent_to_is_reported_rather_than_where_it_was_forwarded():
    bounce = parse_bounce((CORPUS / "postfix-dsn-user-unknown.eml").read_bytes())
    assert bounce.recipients == ("lea.martin@etu.example.net",)  # Original-Recipient, not l.martin@mailbox…


def test_a_bounce_is_a_frozen_value():
    bounce = parse_bounce((CORPUS / "qmail-no-mailbox.eml").read_bytes())
    with pytest.raises(dataclasses.FrozenInstanceError):
        bounce.permanent = False


@pytest.mark.parametrize("raw", [b"", b"\x00\xff\xfe not an e-mail at all", b"Subject: hello\r\n\r\nbody\r\n"])
def test_anything_that_is_not_mail_or_not_a_bounce_gives_none(raw):
    assert parse_bounce(raw) is None


def message(text: str) -> bytes:
    return dedent(text).lstrip().encode("utf-8")


def test_a_report_with_several_recipients_lists_only_the_failed_ones():
    raw = message("""
        From: MAILER-DAEMON@smtp.miage.example.org (Mail Delivery System)
        To: fvma-bot@miage.example.org
        Subject: Undelivered Mail Returned to Sender
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="B"

        --B
        Content-Type: text/plain

        Two recipients, one failed.

        --B
        Content-Type: message/delivery-status

        Reporting-MTA: dns; smtp.miage.example.org

        Final-Recipient: rfc822; ok@example.org
        Action: delivered
        Status: 2.0.0

        Final-Recipient: rfc822; Faux@Example.org
        Action: failed
        Status: 5.1.1
        Diagnostic-Code: smtp; 550 5.1.1 no such user

        --B
        Content-Type: text/rfc822-headers

        Message-ID: <fvma.FVMA-2026-0001.reception.etudiant@miage.example.org>

        --B--
        """)
    bounce = parse_bounce(raw)
    assert bounce.recipients == ("faux@example.org",)
    assert bounce.diagnostic == "550 5.1.1 no such user"


def test_a_report_that_has_failed_and_delayed_recipients_is_permanent_for_the_failed_ones():
    raw = message("""
        From: MAILER-DAEMON@smtp.miage.example.org
        Subject: Undelivered Mail Returned to Sender
        Content-Type: multipart/report; report-type=delivery-status; boundary="B"

        --B
        Content-Type: message/delivery-status

        Reporting-MTA: dns; smtp.miage.example.org

        Final-Recipient: rfc822; lent@example.org
        Action: delayed
        Status: 4.4.1

        Final-Recipient: rfc822; faux@example.org
        Action: failed
        Status: 5.1.1

        --B--
        """)
    bounce = parse_bounce(raw)
    assert (bounce.recipients, bounce.permanent, bounce.status) == (("faux@example.org",), True, "5.1.1")


def test_a_plain_text_delay_warning_is_not_permanent():
    raw = message("""
        From: Mail Delivery System <Mailer-Daemon@relais.example.com>
        To: fvma-bot@miage.example.org
        Subject: Warning: message 1qZa9F-0000cF-9f delayed 24 hours
        X-Failed-Recipients: lent@example.com

        This message was created automatically by mail delivery software.
        A message that you sent has not yet been delivered to one or more of its
        recipients after more than 24 hours on the queue on relais.example.com.

          lent@example.com
            host mx.example.com [198.51.100.9]: 451 4.7.1 Greylisted, please try again later

        No action is required on your part. Delivery attempts will continue for
        some time, and this warning may be repeated at intervals if the message
        remains undelivered.

        ------ This is a copy of the message's headers. ------

        Message-ID: <fvma.FVMA-2026-0002.reception.etudiant@miage.example.org>
        To: lent@example.com
        """)
    bounce = parse_bounce(raw)
    assert bounce.permanent is False
    assert bounce.status == "4.7.1"
    assert bounce.original_message_id == "<fvma.FVMA-2026-0002.reception.etudiant@miage.example.org>"


def test_a_text_bounce_that_quotes_no_headers_is_still_a_bounce_without_message_id():
    raw = message("""
        From: postmaster@mairie.example.com
        To: fvma-bot@miage.example.org
        Subject: Undeliverable: [FVMA-2026-0003] Alternance

        Delivery has failed to these recipients or groups:

        <stages@mairie.example.com>:
        The e-mail address you entered couldn't be found. 550 5.1.1 User unknown
        """)
    bounce = parse_bounce(raw)
    assert bounce is not None
    assert bounce.original_message_id is None
    assert bounce.recipients == ("stages@mairie.example.com",)
    assert bounce.permanent is True


def test_an_auto_reply_is_not_a_bounce_even_when_its_words_look_like_one():
    raw = message("""
        From: Sophie Lambert <s.lambert@techno-sud.example.com>
        To: fvma-bot@miage.example.org
        Subject: Re: Undelivered Mail Returned to Sender
        Auto-Submitted: auto-replied
        In-Reply-To: <fvma.FVMA-2026-0043.ok-pro.rh@miage.example.org>

        Je suis absente. Si votre message could not be delivered to one or more
        of my colleagues, écrivez à rh@techno-sud.example.com.
        """)
    assert parse_bounce(raw) is None


def test_auto_submitted_auto_replied_from_a_mailer_daemon_is_still_a_bounce():
    raw = message("""
        From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
        To: fvma-bot@miage.example.org
        Subject: Undelivered Mail Returned to Sender
        Auto-Submitted: auto-replied

        This is the mail system at host mx.example.com.

        <faux@example.com>: host mx2.example.com[198.51.100.3] said: 550 5.1.1
            <faux@example.com>: Recipient address rejected: User unknown

        ----- Original message headers -----

        Message-ID: <fvma.FVMA-2026-0004.reception.etudiant@miage.example.org>
        """)
    bounce = parse_bounce(raw)
    assert bounce.original_message_id == "<fvma.FVMA-2026-0004.reception.etudiant@miage.example.org>"
    assert bounce.recipients == ("faux@example.com",) and bounce.status == "5.1.1"


def test_precedence_auto_reply_marks_an_auto_reply():
    raw = message("""
        From: Mailer-Daemon@vacances.example.com
        To: fvma-bot@miage.example.org
        Subject: Undelivered Mail Returned to Sender
        Precedence: auto_reply

        This is the mail system at host vacances.example.com: I'm on holiday.
        """)
    assert parse_bounce(raw) is None


def test_a_bounce_whose_only_link_is_its_in_reply_to_is_tied_through_it():
    raw = message("""
        From: Microsoft Outlook <postmaster@groupe-azur.example.com>
        To: fvma-bot@miage.example.org
        Subject: Undeliverable: [FVMA-2026-0060] Alternance
        X-MS-Exchange-Message-Is-Ndr:
        In-Reply-To: <fvma.FVMA-2026-0060.ok-pro.rh@miage.example.org>
        Content-Type: text/plain; charset=utf-8

        Your message to rh@groupe-azur.example.com couldn't be delivered.
        Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'
        """)
    bounce = parse_bounce(raw)
    assert bounce.original_message_id == "<fvma.FVMA-2026-0060.ok-pro.rh@miage.example.org>"
    assert bounce.status == "5.1.10" and bounce.permanent is True


def test_a_long_diagnostic_is_shortened():
    raw = message(f"""
        From: MAILER-DAEMON@smtp.miage.example.org
        Subject: Undelivered Mail Returned to Sender
        Content-Type: multipart/report; report-type=delivery-status; boundary="B"

        --B
        Content-Type: message/delivery-status

        Reporting-MTA: dns; smtp.miage.example.org

        Final-Recipient: rfc822; faux@example.org
        Action: failed
        Status: 5.7.1
        Diagnostic-Code: smtp; 550 5.7.1 {"blah " * 200}

        --B--
        """)
    assert len(parse_bounce(raw).diagnostic) <= 300
