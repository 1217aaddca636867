"""The IMAP adapter against a real IMAP server: Dovecot when installed, else pymap.

`FVMA_IMAP_SERVER=pymap` (or `=dovecot`) forces the backend; see tests/support/imap_server.py.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest
import trustme

from bot.adapters.imap import FetchResult, ImapMailbox, ImapSettings, check_login
from bot.errors import MailError
from tests.support.imap_server import make_imap_server

PARIS_SUMMER = timezone(timedelta(hours=2))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def running(ca):
    with make_imap_server(tls=True, ca=ca) as server:
        yield server


@pytest.fixture
def server(running):
    running.reset()
    return running


def settings_for(server, **changes) -> ImapSettings:
    values = dict(
        host=server.host, port=server.port, security="starttls" if server.tls else "none",
        user=server.user, password=server.password, timeout=5,
    )
    values.update(changes)
    return ImapSettings(**values)


def mailbox_for(server, **changes) -> ImapMailbox:
    return ImapMailbox(settings_for(server, **changes), ssl_context=server.client_context)


def sent_message(number: int) -> bytes:
    return (
        "From: =?utf-8?q?MIAGE_Aix-Marseille_=E2=80=94_Alternance?= <fvma-bot@miage.example.org>\r\n"
        "To: Lea Martin <lea.martin@etu.example.net>\r\n"
        f"Subject: [FVMA-2026-{number:04d}] Nous avons bien =?utf-8?q?re=C3=A7u?= votre FVMA\r\n"
        f"Message-ID: <fvma.FVMA-2026-{number:04d}.reception.etudiant@miage.example.org>\r\n"
        "Date: Mon, 14 Sep 2026 10:02:10 +0200\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Bonjour Léa,\r\n\r\nNous avons bien reçu votre formulaire.\r\n"
    ).encode("utf-8")


def bounce(number: int) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.etu.example.net (Mail Delivery System)\r\n"
        "To: fvma-bot@miage.example.org\r\n"
        f"Subject: Undelivered Mail Returned to Sender #{number}\r\n"
        f"Message-ID: <bounce.{number}@mx.etu.example.net>\r\n"
        "\r\n"
        "This is the mail system at host mx.etu.example.net.\r\n"
    ).encode("ascii")


# --- the Sent folder


def test_append_sent_creates_the_missing_sent_folder_and_files_the_copy_as_seen(server):
    assert "Sent" not in server.folders()
    when = datetime(2026, 9, 14, 10, 2, 10, tzinfo=PARIS_SUMMER)
    with mailbox_for(server) as mailbox:
        mailbox.append_sent(sent_message(42), when)

    assert "Sent" in server.folders()
    assert server.messages("Sent") == [sent_message(42)]
    assert server.flags("Sent") == [{b"\\Seen"}]
    assert server.internal_dates("Sent") == [when]


def test_append_sent_adds_to_an_existing_sent_folder_over_one_connection(server):
    server.deliver("Sent", sent_message(1), flags=(b"\\Seen",))
    when = datetime(2026, 9, 14, 10, 5, tzinfo=timezone.utc)
    with mailbox_for(server) as mailbox:
        mailbox.append_sent(sent_message(2), when)
        mailbox.append_sent(sent_message(3), when)

    assert server.messages("Sent") == [sent_message(1), sent_message(2), sent_message(3)]


def test_append_sent_uses_the_configured_folder_name_even_with_accents(server):
    with mailbox_for(server, sent_folder="Éléments envoyés") as mailbox:
        mailbox.append_sent(sent_message(4), datetime(2026, 9, 14, tzinfo=timezone.utc))
    assert "Éléments envoyés" in server.folders()
    assert server.messages("Éléments envoyés") == [sent_message(4)]


# --- reading bounces


def test_fetch_since_returns_the_messages_above_last_uid_and_then_nothing(server):
    for number in (1, 2, 3):
        server.deliver("Bounces", bounce(number))
    with mailbox_for(server) as mailbox:
        first = mailbox.fetch_since("Bounces", None, 0)
        again = mailbox.fetch_since("Bounces", first.uidvalidity, first.last_uid(0))

    assert [raw for _, raw in first.messages] == [bounce(1), bounce(2), bounce(3)]
    uids = [uid for uid, _ in first.messages]
    assert uids == sorted(uids) and first.reset is False
    # "UID n:*" matches the last message even when n is past it: it must not come back
    assert again.messages == [] and again.reset is False
    assert again.last_uid(first.last_uid(0)) == first.last_uid(0)


def test_fetch_since_returns_only_what_arrived_after_the_last_call(server):
    server.deliver("Bounces", bounce(1))
    with mailbox_for(server) as mailbox:
        first = mailbox.fetch_since("Bounces", None, 0)
        server.deliver("Bounces", bounce(2))
        second = mailbox.fetch_since("Bounces", first.uidvalidity, first.last_uid(0))

    assert [raw for _, raw in second.messages] == [bounce(2)]
    assert second.messages[0][0] > first.last_uid(0)


def test_fetch_since_on_an_empty_folder_finds_nothing(server):
    with mailbox_for(server) as mailbox:
        result = mailbox.fetch_since("INBOX", None, 0)
    assert result.messages == [] and result.uidvalidity > 0


def test_fetch_since_leaves_the_messages_unread(server):
    server.deliver("INBOX", bounce(1))
    with mailbox_for(server) as mailbox:
        mailbox.fetch_since("INBOX", None, 0)
    assert server.flags("INBOX") == [set()]


def test_fetch_since_reads_at_most_limit_messages_and_the_rest_on_the_next_calls(server):
    for number in range(1, 6):
        server.deliver("Bounces", bounce(number))
    seen: list[bytes] = []
    last_uid, uidvalidity = 0, None
    with mailbox_for(server) as mailbox:
        for _ in range(3):
            result = mailbox.fetch_since("Bounces", uidvalidity, last_uid, limit=2)
            assert len(result.messages) <= 2
            seen += [raw for _, raw in result.messages]
            last_uid, uidvalidity = result.last_uid(last_uid), result.uidvalidity
    assert seen == [bounce(n) for n in range(1, 6)]


def test_a_new_uidvalidity_makes_fetch_since_start_again_from_the_beginning(server):
    server.deliver("Bounces", bounce(1))
    server.deliver("Bounces", bounce(2))
    with mailbox_for(server) as mailbox:
        before = mailbox.fetch_since("Bounces", None, 0)
    renewed = server.renew_uidvalidity("Bounces")

    with mailbox_for(server) as mailbox:
        after = mailbox.fetch_since("Bounces", before.uidvalidity, before.last_uid(0))

    assert renewed != before.uidvalidity
    assert after.reset is True
    assert after.uidvalidity == renewed
    assert [raw for _, raw in after.messages] == [bounce(1), bounce(2)]


def test_a_reset_on_an_emptied_folder_restarts_the_count_at_zero():
    result = FetchResult(uidvalidity=7, messages=[], reset=True)
    assert result.last_uid(previous=120) == 0


def test_fetch_since_a_missing_folder_names_it_and_the_setting(server):
    with mailbox_for(server) as mailbox:
        with pytest.raises(MailError) as raised:
            mailbox.fetch_since("Retours", None, 0)
    assert "'Retours' does not exist" in str(raised.value)
    assert "[mail.imap].bounce_folder" in str(raised.value)
    assert raised.value.permanent is False


def test_a_broken_connection_is_transient_and_the_next_call_reconnects(server):
    server.deliver("INBOX", bounce(1))
    with mailbox_for(server) as mailbox:
        mailbox.fetch_since("INBOX", None, 0)
        mailbox._client.socket().shutdown(socket.SHUT_RDWR)  # as if the server had gone away
        with pytest.raises(MailError) as raised:
            mailbox.fetch_since("INBOX", None, 0)
        result = mailbox.fetch_since("INBOX", None, 0)
    assert raised.value.permanent is False
    assert [raw for _, raw in result.messages] == [bounce(1)]


# --- security and login


def test_the_certificate_is_verified_by_default_and_an_unknown_ca_is_refused(server):
    with ImapMailbox(settings_for(server)) as mailbox:  # the system's trust store, not the test CA
        with pytest.raises(MailError, match="certificate .* is not trusted"):
            mailbox.fetch_since("INBOX", None, 0)


def test_a_wrong_password_says_which_settings_to_check(ca):
    # a server of its own: after a failed login Dovecot delays the next logins from the same address
    with make_imap_server(tls=True, ca=ca) as server, mailbox_for(server, password="pas-le-bon") as mailbox:
        with pytest.raises(MailError) as raised:
            mailbox.append_sent(sent_message(1), datetime(2026, 9, 14, tzinfo=timezone.utc))
    message = str(raised.value)
    assert "refused the login of user 'fvma-bot'" in message
    assert "[mail.imap].user" in message and "password_env" in message
    assert "pas-le-bon" not in message and raised.value.permanent is False


# --- check_login (doctor)


def test_check_login_passes_and_says_the_bot_will_create_the_missing_sent_folder(server):
    remarks = check_login(settings_for(server), ssl_context=server.client_context)
    assert len(remarks) == 1
    assert "'Sent'" in remarks[0] and "the bot creates it" in remarks[0]


def test_check_login_has_nothing_to_say_once_the_sent_folder_exists(server):
    server.deliver("Sent", sent_message(1))
    assert check_login(settings_for(server), ssl_context=server.client_context) == ()


def test_check_login_names_a_missing_bounce_folder(server):
    with pytest.raises(MailError, match="'Retours' watched for bounces does not exist.*'INBOX'"):
        check_login(settings_for(server, bounce_folder="Retours"), ssl_context=server.client_context)


def test_check_login_names_host_port_and_firewall_when_nothing_listens():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MailError, match=rf"cannot reach 127.0.0.1:{port} .*check \[mail.imap\].host/port and the firewall"):
        check_login(ImapSettings("127.0.0.1", port, "ssl", "fvma-bot", "x", timeout=2))


def test_check_login_says_when_starttls_is_not_offered(ca):
    with make_imap_server(tls=False, ca=ca) as plain:
        with pytest.raises(MailError, match="does not offer STARTTLS"):
            check_login(settings_for(plain, security="starttls"), ssl_context=plain.client_context)
        assert check_login(settings_for(plain, security="none")) != ()  # plain text works when asked for


# --- passwords with accents (imaplib sends LOGIN in ASCII only)


def test_a_password_with_accents_logs_in_with_authenticate_plain(ca):
    accented = make_imap_server(tls=True, ca=ca)
    accented.password = "mot-de-passe-é-ø"
    with accented:
        assert check_login(settings_for(accented), ssl_context=accented.client_context) is not None


def test_a_refused_password_with_accents_is_a_refused_login_quoting_no_character_of_it(running):
    with pytest.raises(MailError) as caught:
        check_login(settings_for(running, password="secret-é"), ssl_context=running.client_context)
    assert "refused the login" in str(caught.value)
    assert "é" not in str(caught.value) and "\\xe9" not in str(caught.value)
