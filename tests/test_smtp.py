"""The SMTP adapter against a real SMTP server on loopback (tests/support/smtp_server.py)."""

from __future__ import annotations

import logging
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import trustme

from bot.adapters.smtp import SmtpSender, SmtpSettings, check_login
from bot.errors import MailError
from tests.support.smtp_server import SmtpTestServer


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server(ca):
    with SmtpTestServer(security="starttls", ca=ca) as running:
        yield running


def settings_for(server: SmtpTestServer, **changes) -> SmtpSettings:
    values = dict(
        host=server.host, port=server.port, security=server.security,
        user=server.user if server.auth else None, password=server.password if server.auth else None,
        timeout=5,
    )
    values.update(changes)
    return SmtpSettings(**values)


def make_message(number: int, to: str = "lea.martin@etu.example.net") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "MIAGE Aix-Marseille — Alternance <fvma-bot@miage.example.org>"
    msg["To"] = to
    msg["Subject"] = f"[FVMA-2026-{number:04d}] Nous avons bien reçu votre FVMA"
    msg["Message-ID"] = f"<fvma.FVMA-2026-{number:04d}.reception.etudiant@miage.example.org>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content("Bonjour Léa,\n\nNous avons bien reçu votre formulaire de validation.\n.\nUne ligne qui commence par un point.\n")
    return msg


# --- delivery


def test_it_delivers_over_starttls_with_login_and_keeps_the_message_intact(server):
    msg = make_message(42)
    with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
        sender.send(msg)

    [received] = server.messages
    assert received.mail_from == "fvma-bot@miage.example.org"
    assert received.rcpt_tos == ("lea.martin@etu.example.net",)
    assert received.message_id == msg["Message-ID"]
    parsed = message_from_bytes(received.raw, policy=policy.default)
    assert parsed.get_content().replace("\r\n", "\n") == msg.get_content()
    assert str(parsed["Subject"]) == "[FVMA-2026-0042] Nous avons bien reçu votre FVMA"


def test_it_delivers_over_implicit_tls(ca):
    with SmtpTestServer(security="ssl", ca=ca) as server:
        with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
            sender.send(make_message(1))
        assert server.count_by_message_id() == {make_message(1)["Message-ID"]: 1}


def test_it_sends_all_the_messages_of_a_cycle_over_one_connection(server):
    with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
        for number in range(1, 21):
            sender.send(make_message(number))

    assert server.connections == 1
    counts = server.count_by_message_id()
    assert len(counts) == 20 and set(counts.values()) == {1}


def test_it_opens_no_connection_when_nothing_is_sent(server):
    with SmtpSender(settings_for(server), ssl_context=server.client_context):
        pass
    assert server.connections == 0


def test_a_message_with_more_than_one_recipient_is_refused_before_any_connection(server):
    msg = make_message(7, to="lea.martin@etu.example.net, rh@techno-sud.example.com")
    with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
        with pytest.raises(MailError) as raised:
            sender.send(msg)
    assert raised.value.permanent
    assert server.connections == 0


# --- refusals and faults


def test_a_refused_recipient_is_permanent_and_the_next_message_goes_out_on_the_same_connection(server):
    server.refuse_rcpt("inconnu@techno-sud.example.com", code=550)
    with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
        with pytest.raises(MailError) as raised:
            sender.send(make_message(1, to="inconnu@techno-sud.example.com"))
        sender.send(make_message(2))

    assert raised.value.permanent is True
    assert raised.value.code == 550
    assert "inconnu@techno-sud.example.com" in str(raised.value)
    assert server.count_by_message_id() == {make_message(2)["Message-ID"]: 1}
    assert server.connections == 1


def test_a_message_refused_at_data_is_permanent_and_the_connection_carries_the_next_one(server):
    server.fail_next("data", code=554)
    with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
        with pytest.raises(MailError) as raised:
            sender.send(make_message(13))
        sender.send(make_message(14))

    assert (raised.value.permanent, raised.value.code) == (True, 554)
    assert server.count_by_message_id() == {make_message(14)["Message-ID"]: 1}
    assert server.connections == 1


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
def test_a_451_is_transient_and_the_retry_reconnects_and_delivers_once(server, stage):
    server.fail_next(stage, code=451)
    msg = make_message(3)
    with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
        with pytest.raises(MailError) as raised:
            sender.send(msg)
        sender.send(msg)

    assert raised.value.permanent is False
    assert raised.value.code == 451
    assert server.count_by_message_id() == {msg["Message-ID"]: 1}
    assert server.connections == 2


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
def test_a_421_closing_the_connection_is_transient_and_the_retry_reconnects(server, stage):
    server.fail_next(stage, code=421)
    msg = make_message(4)
    with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
        with pytest.raises(MailError) as raised:
            sender.send(msg)
        sender.send(msg)

    assert (raised.value.permanent, raised.value.code) == (False, 421)
    assert server.count_by_message_id() == {msg["Message-ID"]: 1}
    assert server.connections == 2


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
def test_a_dropped_connection_is_transient_and_the_retry_reconnects(server, stage):
    server.drop_next(stage)
    msg = make_message(5)
    with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
        with pytest.raises(MailError) as raised:
            sender.send(msg)
        sender.send(msg)

    assert raised.value.permanent is False
    assert ("may or may not have accepted it" in str(raised.value)) == (stage == "data")
    assert server.count_by_message_id() == {msg["Message-ID"]: 1}
    assert server.connections == 2


def test_a_wrong_password_is_not_the_message_s_fault_and_tells_the_operator_what_to_check(server):
    settings = settings_for(server, password="pas-le-bon")
    with SmtpSender(settings, ssl_context=server.client_context) as sender:
        with pytest.raises(MailError) as raised:
            sender.send(make_message(6))

    assert raised.value.permanent is False
    message = str(raised.value)
    assert "535" in message and "[mail.smtp].user" in message and "password" in message
    assert "pas-le-bon" not in message
    assert server.messages == []


def test_the_certificate_is_verified_by_default_and_an_unknown_ca_is_refused(server):
    with SmtpSender(settings_for(server)) as sender:  # no test CA: the system's trust store
        with pytest.raises(MailError) as raised:
            sender.send(make_message(8))
    assert raised.value.permanent is False
    assert "not trusted" in str(raised.value)
    assert server.messages == []


def test_verify_tls_false_accepts_any_certificate_and_warns(server, caplog):
    caplog.set_level(logging.WARNING, logger="bot.adapters.smtp")
    with SmtpSender(settings_for(server, verify_tls=False)) as sender:
        sender.send(make_message(9))
    assert len(server.messages) == 1
    assert any("not verified" in record.getMessage() for record in caplog.records)


def test_a_server_that_never_answers_is_a_transient_error_after_the_timeout():
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        port = listener.getsockname()[1]
        settings = SmtpSettings("127.0.0.1", port, "starttls", timeout=0.3)
        with SmtpSender(settings) as sender:
            with pytest.raises(MailError) as raised:
                sender.send(make_message(10))
        assert raised.value.permanent is False
        assert f"127.0.0.1:{port}" in str(raised.value)
    finally:
        listener.close()


def test_the_password_never_reaches_the_logs(server, caplog):
    caplog.set_level(logging.DEBUG)
    with SmtpSender(settings_for(server), ssl_context=server.client_context) as sender:
        sender.send(make_message(11))
    assert server.password not in caplog.text
    assert server.password not in repr(settings_for(server))


# --- check_login (doctor)


def test_check_login_succeeds_with_the_right_settings(server):
    check_login(settings_for(server), ssl_context=server.client_context)
    assert server.connections == 1


def test_check_login_names_host_port_and_firewall_when_nothing_listens():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MailError) as raised:
        check_login(SmtpSettings("127.0.0.1", port, "starttls", timeout=2))
    assert f"cannot reach 127.0.0.1:{port}" in str(raised.value)
    assert "check [mail.smtp].host/port and the firewall" in str(raised.value)


def test_check_login_says_the_certificate_is_not_trusted(server):
    with pytest.raises(MailError, match="certificate .* is not trusted"):
        check_login(settings_for(server))


def test_check_login_says_the_login_was_refused(server):
    with pytest.raises(MailError, match=r"refused the login of user 'fvma-bot'.*check \[mail.smtp\].user"):
        check_login(settings_for(server, password="faux"), ssl_context=server.client_context)


def test_check_login_says_when_starttls_is_not_offered(ca):
    with SmtpTestServer(security="none", ca=ca) as plain:
        settings = settings_for(plain, security="starttls")
        with pytest.raises(MailError, match="does not offer STARTTLS"):
            check_login(settings, ssl_context=plain.client_context)


def test_check_login_says_when_tls_is_spoken_to_a_plain_port(ca):
    with SmtpTestServer(security="starttls", ca=ca) as server:
        settings = settings_for(server, security="ssl", timeout=2)
        with pytest.raises(MailError, match="TLS with .* failed|closed the connection"):
            check_login(settings, ssl_context=server.client_context)


def test_a_plain_server_without_auth_works_when_no_user_is_configured(ca):
    with SmtpTestServer(security="none", ca=ca) as plain:
        with SmtpSender(settings_for(plain)) as sender:
            sender.send(make_message(12))
        assert len(plain.messages) == 1



# --- passwords with accents (smtplib sends AUTH in ASCII only)


def test_a_password_with_accents_logs_in_with_auth_plain_in_utf8(ca):
    with SmtpTestServer(security="starttls", ca=ca, password="mot-de-passe-é-ø") as accented:
        check_login(settings_for(accented), ssl_context=accented.client_context)
        with SmtpSender(settings_for(accented), ssl_context=accented.client_context) as sender:
            sender.send(make_message(7))
        assert len(accented.messages) == 1


def test_a_refused_password_with_accents_is_a_refused_login_quoting_no_character_of_it(ca):
    with SmtpTestServer(security="starttls", ca=ca, password="autre") as other:
        with pytest.raises(MailError) as caught:
            check_login(settings_for(other, password="secret-é"), ssl_context=other.client_context)
    assert "refused the login" in str(caught.value)
    assert "é" not in str(caught.value) and "\\xe9" not in str(caught.value)


def test_a_missing_ca_file_is_a_mail_error_that_names_it(server, tmp_path):
    settings = settings_for(server, ca_file=str(tmp_path / "absent.pem"))
    with pytest.raises(MailError, match="cannot use the CA file .*absent.pem"):
        with SmtpSender(settings) as sender:
            sender.send(make_message(1))
