"""Email: parse(raw) -> Inbound for what arrives, send(outbox) over SMTP for what we owe.

The only `import smtplib`. Inbound mail is read with the standard library's `email` package
through mime.FORGIVING; every message, however broken, either parses or raises one error that
the caller keeps on the raw row.
"""

import hashlib
import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app

from ticketing.channels import (
    Inbound,
    PermanentFailure,
    Sent,
    TransientFailure,
    bounces,
    mailhtml,
    mime,
    replies,
)
from ticketing.channels.senders import is_automated, our_addresses
from ticketing.models.enums import Channel, OutboxStatus

MAX_TEXT_CHARS = 200_000
MAX_FILES = 50
MAX_REFERENCES = 50
MAX_CC = 50  # read from one message; the ticket keeps at most ccs.MAX_CC


class UnusableMessage(ValueError):
    """A message we keep raw but cannot file (no sender to answer): the text says why."""


def parse(raw: bytes) -> Inbound:
    """One raw RFC 5322 message as an Inbound; raises UnusableMessage when it has no sender."""
    msg = mime.read(raw)
    address, name = mime.sender(msg)
    found = mime.parts(msg)
    whole_html = "\n".join(found.html)
    html = mailhtml.bounded(whole_html)
    clean_html = mailhtml.sanitise(html) if html else ""
    text = _text(msg, found, clean_html)
    report = bounces.bounce(msg, found, address, text)
    if not address and report is None:
        raise UnusableMessage("no sender address in From: nobody to answer")
    new_text, full_text = replies.split(text)
    attachments, notes = _attachments(found)
    return Inbound(
        channel=Channel.EMAIL,
        sender=address,
        sender_name=name,
        external_id=external_id(raw),
        text=new_text[:MAX_TEXT_CHARS],
        full_text=full_text[:MAX_TEXT_CHARS],
        subject=mime.header(msg, "Subject")[:255],
        html=_html(html, clean_html, bool(full_text)),
        thread_refs=_thread_refs(msg),
        cc=_others(msg, address),
        attachments=attachments,
        bounce=report,
        notes=notes + _cuts(found, text, len(whole_html) - len(html)),
        is_automated=report is not None or is_automated(msg, address),
    )


def _cuts(found: mime.Parts, text: str, html_left_out: int) -> tuple[str, ...]:
    """Notes on what was too big or too deep to read whole."""
    notes = []
    if len(text) > MAX_TEXT_CHARS:
        notes.append(f"the text was cut at {MAX_TEXT_CHARS} characters of {len(text)}")
    if html_left_out:
        notes.append(
            f"the last {html_left_out} characters of the HTML were not read: too long "
            "or too deeply nested"
        )
    if found.too_deep:
        notes.append(f"parts nested deeper than {mime.MAX_DEPTH} levels were not read")
    return tuple(notes)


def _others(msg: EmailMessage, sender: str) -> tuple[str, ...]:
    """The people besides the sender and us that the mail went to: the ticket's CC candidates."""
    ours = our_addresses() | {sender}
    others = [a for a in mime.addresses(msg, "To", "Cc") if a not in ours]
    return tuple(others[:MAX_CC])


def _text(msg: EmailMessage, found: mime.Parts, clean_html: str) -> str:
    text = "\n\n".join(part.strip("\n") for part in found.plain if part.strip())
    if not text and clean_html:
        text = mailhtml.to_text(clean_html, sanitised=True)
    if msg.get_unixfrom():  # from an mbox file: undo its ">From " escaping
        text = re.sub(r"(?m)^>(>*From )", r"\1", text)
    return text.strip()


def _html(html: str, clean_html: str, text_was_cut: bool) -> str:
    """Sanitised HTML of the new part; "" when the quoted history can only be cut in the text
    (the agent then sees the text, with the full message one click away)."""
    new = mailhtml.cut_quote(html) if html else None
    if new is not None:
        return mailhtml.sanitise(new)
    return "" if text_was_cut else clean_html


def _thread_refs(msg: EmailMessage) -> tuple[str, ...]:
    """In-Reply-To first, then References newest first: the likeliest matches within the cap."""
    replied = mime.message_ids(msg, "In-Reply-To")
    references = tuple(reversed(mime.message_ids(msg, "References")))
    return tuple(dict.fromkeys(replied + references))[:MAX_REFERENCES]


def _attachments(found: mime.Parts) -> tuple[tuple[dict, ...], tuple[str, ...]]:
    """Files within the per-file and per-message limits; a note for each one left out."""
    per_file = current_app.config["MAX_ATTACHMENT_BYTES"]
    per_message = budget = current_app.config["MAX_MESSAGE_ATTACHMENT_BYTES"]
    kept, notes = [], []
    for number, part in enumerate(found.files, 1):
        item = mime.attachment(part, number)
        label = f"{item['filename']} ({_size(item['size'])})"
        if len(kept) == MAX_FILES:
            notes.append(f"{label} not kept: a message may carry {MAX_FILES} files")
        elif item["size"] > per_file:
            notes.append(f"{label} not kept: over the {_size(per_file)} limit per file")
        elif item["size"] > budget:
            notes.append(
                f"{label} not kept: the files of one message may total {_size(per_message)}"
            )
        else:
            kept.append(item)
            budget -= item["size"]
    return tuple(kept), tuple(notes)


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} MB" if count >= 1_048_576 else f"{count / 1024:.0f} KB"


def external_id(raw: bytes) -> str:
    """The dedupe key of a raw message: its Message-ID, or a hash of the bytes when it has none
    (line endings made alike: IMAP stores CRLF where an MTA may pipe LF).

    Read with a plain byte scan of the header block, so nothing can raise before storage."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(
        rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,250}>|[^<>\s]{1,250})",
        head,
        re.IGNORECASE | re.MULTILINE,
    )
    if match:
        value = match.group(1).decode("ascii", errors="replace")
        return value if value.startswith("<") else f"<{value}>"
    return "sha256:" + hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def variant_key(key: str, raw: bytes) -> str:
    """The key for `raw` when a different message is already stored under `key`, its
    Message-ID reused by a careless mailer: both are kept."""
    return f"{key}~{_fingerprint(raw)[:16]}"


def same_message(stored: bytes, raw: bytes) -> bool:
    """Two copies of one message: relays add trace headers on top and IMAP stores CRLF where
    a pipe has LF, but the body and the author's own headers stay as written."""
    return _fingerprint(stored) == _fingerprint(raw)


def _fingerprint(raw: bytes) -> str:
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    fields = re.findall(rb"(?mi)^(from|to|cc|subject|date):[ \t]*(.*(?:\n[ \t].*)*)", head)
    own = b"\n".join(sorted(name.lower() + b":" + value.strip() for name, value in fields))
    return hashlib.sha256(own + b"\n\n" + body.rstrip()).hexdigest()


def build(outbox) -> EmailMessage:
    """The MIME message for one Outbox row: text and HTML, threaded, marked if automatic, with
    the files of the agent's reply it carries."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = mime.clean(outbox.recipient)
    if outbox.cc:
        message["Cc"] = ", ".join(mime.clean(address) for address in outbox.cc)
    message["Reply-To"] = config["MAIL_FROM"]
    message["Subject"] = mime.clean(outbox.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = outbox.message_id
    references = mime.MESSAGE_ID.findall(outbox.in_reply_to or "")  # not our "sha256:" keys
    if references:
        message["In-Reply-To"] = references[-1]
        message["References"] = " ".join(references)
    if outbox.is_automatic:
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: do not answer this
        message["X-Auto-Response-Suppress"] = "All"  # the same, in Exchange's words
    if outbox.ticket is not None:
        message["X-Fuatilia-Ticket"] = outbox.ticket.reference
    message.set_content(outbox.body)
    if outbox.html:
        message.add_alternative(outbox.html, subtype="html")
    for file in outbox.attachments:
        maintype, _, subtype = file.content_type.partition("/")
        if maintype in ("multipart", "message") or not subtype:  # not a container we built
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(file.data or b"", maintype, subtype, filename=file.filename)
    return message


def send(outbox) -> Sent:
    """Hand one email to the SMTP server; 4xx and network errors are worth retrying."""
    config = current_app.config
    try:
        message = build(outbox)
    except (ValueError, TypeError) as error:
        raise PermanentFailure(f"cannot write this email: {error}") from error
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            refused = smtp.send_message(message)  # only some refused: the rest went out
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        raise _failure(code, text) from error
    except smtplib.SMTPResponseException as error:
        raise _failure(error.smtp_code, error.smtp_error) from error
    except (OSError, smtplib.SMTPException) as error:
        raise TransientFailure(f"SMTP unreachable: {error}") from error
    customer = {k.lower(): v for k, v in refused.items()}.get(outbox.recipient.lower())
    if customer is not None:  # not retried: the copies to the CCs have gone
        code, text = customer
        raise PermanentFailure(
            f"{_failure(code, text)} (for {outbox.recipient}; the copies went out)", str(code)
        )
    return Sent(provider_id=outbox.message_id, status=OutboxStatus.SENT)


def find_sent(outbox, since) -> tuple[Sent, ...]:
    """SMTP cannot be asked what it took, so a doubtful row is sent again; it goes with the
    same Message-ID, by which many mail clients show the two as one."""
    return ()


def _failure(code: int, text) -> Exception:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    kind = PermanentFailure if 500 <= code < 600 else TransientFailure
    return kind(f"SMTP {code}: {text}", str(code))
