"""Email: SMTP out. The only `import smtplib`; MIME parsing of inbound mail lives beside it."""

import hashlib
import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app

from ticketing.channels import PermanentFailure, Sent, TransientFailure


def build(outbox) -> EmailMessage:
    """The MIME message for one Outbox row: text and HTML, threaded, marked if automatic."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = outbox.recipient
    message["Reply-To"] = config["MAIL_FROM"]
    message["Subject"] = outbox.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = outbox.message_id
    references = (outbox.in_reply_to or "").split()
    if references:
        message["In-Reply-To"] = references[-1]
        message["References"] = " ".join(references)
    if outbox.is_automatic:
        message["Auto-Submitted"] = "auto-generated"
    if outbox.ticket is not None:
        message["X-Fuatilia-Ticket"] = outbox.ticket.reference
    message.set_content(outbox.body)
    if outbox.html:
        message.add_alternative(outbox.html, subtype="html")
    return message


def send(outbox) -> Sent:
    """Hand one email to the SMTP server; 4xx and network errors are worth retrying."""
    config = current_app.config
    message = build(outbox)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        raise _failure(code, text) from error
    except smtplib.SMTPResponseException as error:
        raise _failure(error.smtp_code, error.smtp_error) from error
    except (OSError, smtplib.SMTPException) as error:
        raise TransientFailure(f"SMTP unreachable: {error}") from error
    return Sent(provider_id=outbox.message_id, status="sent")


def _failure(code: int, text) -> Exception:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    kind = PermanentFailure if 500 <= code < 600 else TransientFailure
    return kind(f"SMTP {code}: {text}", str(code))


def external_id(raw: bytes) -> str:
    """The dedupe key of a raw message: its Message-ID, or a hash of the bytes when it has none.

    Read with a plain byte scan of the header block, so nothing can raise before storage."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(rb"^message-id:[ \t]*(<[^>\r\n]{1,250}>)", head, re.IGNORECASE | re.MULTILINE)
    if match:
        return match.group(1).decode("ascii", errors="replace")
    return "sha256:" + hashlib.sha256(raw).hexdigest()
