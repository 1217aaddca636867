"""Delivery-status reports about a message we sent, shaped as real mail servers write them."""

import email
import email.policy
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def dsn_for(original: bytes, address: str, status: str = "5.1.1",
            diagnostic: str = "550 5.1.1 User unknown in virtual mailbox table",
            reporter: str = "mx.entreprise.example") -> bytes:
    """An RFC 3464 report (Postfix's layout) saying `original` could not be delivered to `address`."""
    headers = email.message_from_bytes(original, policy=email.policy.compat32)
    original_headers = original.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii", "replace")
    sender = " ".join(str(headers["From"]).split())
    text = f"""From: MAILER-DAEMON@{reporter} (Mail Delivery System)
To: {sender}
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(datetime(2026, 10, 7, 8, 0, tzinfo=timezone.utc))}
Message-ID: {make_msgid(domain=reporter)}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="=_dsn_"

--=_dsn_
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

<{address}>: {diagnostic}

--=_dsn_
Content-Type: message/delivery-status

Reporting-MTA: dns; {reporter}

Final-Recipient: rfc822; {address}
Original-Recipient: rfc822;{address}
Action: failed
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--=_dsn_
Content-Type: text/rfc822-headers

{original_headers}

--=_dsn_--
"""
    return text.replace("\n", "\r\n").encode("ascii")


def out_of_office_for(original: bytes, sender: str) -> bytes:
    """An automatic reply to `original` (not a bounce)."""
    headers = email.message_from_bytes(original, policy=email.policy.compat32)
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = headers["Reply-To"] or headers["From"]
    reply["Subject"] = f"Réponse automatique : {email.message_from_bytes(original, policy=email.policy.default)['Subject']}"
    reply["Auto-Submitted"] = "auto-replied"
    reply["In-Reply-To"] = headers["Message-ID"]
    reply["Message-ID"] = make_msgid(domain="entreprise.example")
    reply.set_content("Je suis absent(e) jusqu'au 15 octobre. En cas d'urgence, contactez le standard.\n")
    return reply.as_bytes(policy=email.policy.SMTP)
