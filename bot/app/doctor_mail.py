"""`fvma-bot doctor`, the mail: the outbox folder, or an SMTP login; an IMAP login and its folders."""

import os
from pathlib import Path

from bot.app.doctor_report import Report, Trouble
from bot.app.wiring import imap_settings, smtp_settings
from bot.config import Config, SecretRef
from bot.errors import ConfigError, MailError

LOOPBACK = ("localhost", "127.0.0.1", "::1")


def check_mail(config: Config, report: Report) -> None:
    mail = config.mail
    if mail.backend == "outbox":
        folder = config.path(mail.outbox.path)
        report.step("mail", lambda: _outbox(folder), "")
    else:
        report.step("SMTP", lambda: _smtp(config), "check [mail.smtp]: host, port, security and user")
        _transport_warnings("smtp", mail.smtp.host, mail.smtp.security, mail.smtp.verify_tls, report)
    if mail.imap.enabled:
        report.step("IMAP", lambda: _imap(config), "check [mail.imap]: host, port, security and user")
        _transport_warnings("imap", mail.imap.host, mail.imap.security, mail.imap.verify_tls, report)
    elif mail.backend == "smtp":
        report.out.write("  IMAP: off — no copy in a Sent folder, bounces not reported ([mail.imap].enabled)\n")


def _outbox(folder: Path) -> str:
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise Trouble(f"{folder} is not writable by this user", "set [mail.outbox].path to a folder the bot owns")
    return f"outbox folder {folder} (e-mails are written as .eml files; none leaves the machine)"


def _smtp(config: Config) -> str:
    from bot.adapters.smtp import check_login

    s = config.mail.smtp
    settings = _settings(smtp_settings, config, s, "mail.smtp")
    try:
        check_login(settings)
    except MailError as exc:
        raise Trouble(str(exc), _mail_fix(exc, "mail.smtp", s, ("587 with security = \"starttls\"",
                                                                "465 with security = \"ssl\""))) from None
    who = f" as {s.user}" if s.user else " (no login: [mail.smtp].user is empty)"
    return f"connected to {s.host}:{s.port} ({s.security}){who}"


def _imap(config: Config) -> str:
    from bot.adapters.imap import check_login

    i = config.mail.imap
    settings = _settings(imap_settings, config, i, "mail.imap")
    try:
        notes = check_login(settings)
    except MailError as exc:
        raise Trouble(str(exc), _mail_fix(exc, "mail.imap", i, ("993 with security = \"ssl\"",
                                                                "143 with security = \"starttls\""))) from None
    when = f"every {i.poll_every} s" if i.poll_every else "with every cycle"
    where = f"logged in to {i.host}:{i.port} as {i.user}; bounces read from {i.bounce_folder!r} {when}"
    return "; ".join((where, *notes))


def _settings(build, config: Config, section: SecretRef, name: str):
    ca_file = getattr(section, "ca_file", "")
    if ca_file and not config.path(ca_file).is_file():
        raise Trouble(f"[{name}].ca_file = \"{ca_file}\": no such file",
                      "give the path of the CA's certificate (PEM), or \"\" to trust the system's CAs")
    try:
        return build(config)
    except ConfigError as exc:
        raise Trouble(str(exc), _password_fix(section, name)) from None


def _password_fix(section: SecretRef, name: str) -> str:
    if section.password_file:
        return f"write the password alone in {section.password_file}, readable by the bot's user only"
    return (f"set {section.password_env}=… in the service's environment file, /etc/fvma-bot/fvma-bot.env "
            f"(deploy/README.md); by hand, export {section.password_env} before running the command")


def _mail_fix(exc: MailError, name: str, section, ports: tuple[str, str]) -> str:
    import smtplib
    import ssl

    from imapclient.exceptions import LoginError

    cause = exc.__cause__
    if isinstance(cause, (smtplib.SMTPAuthenticationError, LoginError)):
        source = f"${section.password_env}" if section.password_env else section.password_file
        return (f"check [{name}].user = \"{section.user}\" and the password in {source}; if the account uses "
                f"two-factor authentication, create an application password for the bot")
    if isinstance(cause, ssl.SSLCertVerificationError):
        return (f"set [{name}].host to the name the certificate is issued for; if the server's CA is an internal "
                f"one, set [{name}].ca_file to its PEM file (or install it: /usr/local/share/ca-certificates, "
                f"then update-ca-certificates)")
    if isinstance(cause, (ssl.SSLError, smtplib.SMTPServerDisconnected, TimeoutError)) or "STARTTLS" in str(exc):
        # a plain client on a TLS port (or the reverse) sees a timeout, a closed connection or a TLS error
        return (f"use port {ports[0]}, or port {ports[1]}; if these are right, check that this machine may "
                f"connect there (try: nc -vz {section.host} {section.port})")
    if isinstance(cause, OSError):
        return (f"check [{name}].host and port, and that this machine may connect there "
                f"(try: nc -vz {section.host} {section.port})")
    if "does not exist" in str(exc):
        return f"set [{name}].bounce_folder to one of the folders listed above (usually \"INBOX\")"
    return f"check [{name}]: host, port, security and user"


def _transport_warnings(name: str, host: str, security: str, verify: bool, report: Report) -> None:
    label = name.upper()
    if not verify:
        report.warn(label, "verify_tls = false: the server's certificate is not checked",
                    f"set [mail.{name}].verify_tls = true in production")
    if security == "none" and host not in LOOPBACK:
        report.warn(label, f"security = \"none\" to {host}: the password and the e-mails cross the network in clear",
                    f"set [mail.{name}].security = \"starttls\" or \"ssl\"")
