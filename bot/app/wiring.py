"""Building the adapters a configuration names (the only place that chooses between backends)."""

from pathlib import Path

from bot.adapters.outbox import OutboxFolder
from bot.adapters.rules_dir import load_years
from bot.adapters.state import StateStore
from bot.adapters.templates import Renderer
from bot.app.cycle import Cycle
from bot.config import Config, secret


def make_sheet(config: Config):
    backend = config.sheet.backend
    if backend == "local":
        from bot.adapters.sheet_local import LocalSheet

        return LocalSheet(config.path(config.sheet.local.path), config.sheet.local.worksheet)
    if backend == "google":
        from bot.adapters.sheet_google import GoogleSheet, google_credentials

        g = config.sheet.google
        return GoogleSheet(google_credentials(config), g.spreadsheet_id, g.worksheet, g.api_endpoint)
    from bot.adapters.sheet_forms import FormsSheet

    return FormsSheet.from_config(config)


def make_mailer(config: Config):
    if config.mail.backend == "outbox":
        return OutboxFolder(config.path(config.mail.outbox.path))
    from bot.adapters.smtp import SmtpSender

    return SmtpSender(smtp_settings(config))


def smtp_settings(config: Config):
    from bot.adapters.smtp import SmtpSettings

    s = config.mail.smtp
    return SmtpSettings(host=s.host, port=s.port, security=s.security, user=s.user or None,
                        password=secret(s, "mail.smtp"), verify_tls=s.verify_tls,
                        ca_file=str(config.path(s.ca_file)) if s.ca_file else None, timeout=s.timeout)


def imap_settings(config: Config):
    from bot.adapters.imap import ImapSettings

    i = config.mail.imap
    return ImapSettings(host=i.host, port=i.port, security=i.security, user=i.user,
                        password=secret(i, "mail.imap"), verify_tls=i.verify_tls,
                        ca_file=str(config.path(i.ca_file)) if i.ca_file else None, sent_folder=i.sent_folder,
                        bounce_folder=i.bounce_folder, timeout=i.timeout)


def make_cycle(config: Config, store: StateStore | None = None) -> Cycle:
    return Cycle(config=config, sheet=make_sheet(config), store=store or open_store(config),
                 mailer=make_mailer(config), renderer=Renderer(config.path(config.paths.templates)),
                 years=load_years(config.path(config.paths.rules)), copier=make_copier(config))


def make_copier(config: Config):
    if not config.mail.imap.enabled:
        return None
    from bot.app.imap_copy import SentCopier

    return SentCopier(imap_settings(config))


def open_store(config: Config) -> StateStore:
    return StateStore(Path(config.path(config.paths.state)))


def make_bounce_source(config: Config):
    """A factory of IMAP connections to the bounce folder, or None when IMAP is off."""
    if not config.mail.imap.enabled:
        return None
    from bot.adapters.imap import ImapMailbox

    settings = imap_settings(config)
    return lambda: ImapMailbox(settings)
