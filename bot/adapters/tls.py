"""TLS contexts for the mail adapters: certificates verified unless the configuration says otherwise."""

import logging
import ssl

from bot.errors import MailError

log = logging.getLogger(__name__)


def tls_context(verify: bool, where: str, ssl_context: ssl.SSLContext | None = None,
                ca_file: str | None = None) -> ssl.SSLContext:
    """The given context, else one verifying against the system's CAs (or `ca_file`, a PEM bundle, e.g. an
    internal CA); an unverified one only when configured, with a warning."""
    if ssl_context is not None:
        return ssl_context
    if verify:
        try:
            return ssl.create_default_context(cafile=ca_file or None)
        except (OSError, ssl.SSLError) as exc:
            raise MailError(f"TLS for {where}: cannot use the CA file {ca_file} ({exc.strerror or exc}) — "
                            f"check ca_file in [mail.smtp] / [mail.imap]") from None
    log.warning("TLS certificate of %s is not verified (verify_tls = false)", where)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
