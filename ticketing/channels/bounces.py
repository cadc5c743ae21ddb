"""Delivery status notifications: which of our messages bounced, and why.

RFC 3464 reports (multipart/report; report-type=delivery-status) carry the original message
or its headers; old MTAs (qmail) send plain text with a copy of the message below a line.
"""

import re
from email.message import EmailMessage

from ticketing.channels import Bounce
from ticketing.channels.mime import (
    MESSAGE_ID,
    Parts,
    clean,
    content_type,
    param,
    payload_bytes,
    raw_values,
    text_of,
)

COPY_BELOW = re.compile(
    r"^-+ ?(Below this line is a copy of the message|Original message follows"
    r"|The original message was)",
    re.IGNORECASE | re.MULTILINE,
)
HEADER_ID = re.compile(
    r"^Message-ID:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,250}>)", re.IGNORECASE | re.MULTILINE
)
FAILED_ADDRESS = re.compile(r"^<[^>\s]+>:[ \t]*\n?.*", re.MULTILINE)


def bounce(msg: EmailMessage, found: Parts, sender: str, text: str) -> Bounce | None:
    """The Bounce this message reports, or None when it is not a delivery report."""
    report = found.report
    if report is not None and param(report, "report-type") == "delivery-status":
        return _from_report(report, msg)
    if sender.split("@")[0] in ("mailer-daemon", "postmaster") and COPY_BELOW.search(text):
        return _from_text(text)
    return None


def _from_report(report: EmailMessage, msg: EmailMessage) -> Bounce:
    fields: dict[str, str] = {}
    message_id = ""
    for part in report.get_payload()[1:]:
        kind = content_type(part)
        if kind == "message/delivery-status":
            fields = _status_fields(part) | fields
        elif kind in ("message/rfc822", "text/rfc822-headers") and not message_id:
            message_id = _original_id(part)
    message_id = (
        message_id
        or _first_id(fields.get("x-original-message-id", ""))
        or _first_id(" ".join(raw_values(msg, "In-Reply-To")))
    )
    status = fields.get("status", "")
    action = fields.get("action", "failed").lower()
    permanent = action == "failed" or status.startswith("5")
    details = [
        fields.get("final-recipient", "").partition(";")[2].strip(),
        status,
        fields.get("diagnostic-code", "").partition(";")[2].strip(),
    ]
    reason = clean(" ".join(item for item in details if item)) or f"delivery {action}"
    return Bounce(
        message_id=message_id, reason=reason[:500], status=status[:32], is_permanent=permanent
    )


def _status_fields(part: EmailMessage) -> dict[str, str]:
    """The per-message and first per-recipient fields of a message/delivery-status part."""
    fields: dict[str, str] = {}
    blocks = part.get_payload()
    for block in blocks if isinstance(blocks, list) else ():
        for name, value in block.raw_items():
            fields.setdefault(name.lower(), clean(value))
    if not fields:  # a report the parser left as text
        for line in text_of(part).splitlines():
            name, colon, value = line.partition(":")
            if colon and name.strip():
                fields.setdefault(name.strip().lower(), clean(value))
    return fields


def _original_id(part: EmailMessage) -> str:
    inner = part.get_payload()
    if isinstance(inner, list) and inner:
        return _first_id(" ".join(raw_values(inner[0], "Message-ID")))
    found = HEADER_ID.search(payload_bytes(part).decode("utf-8", "replace"))
    return found.group(1) if found else ""


def _from_text(text: str) -> Bounce:
    below = COPY_BELOW.search(text)
    notice, copy = text[: below.start()], text[below.end() :]
    found = HEADER_ID.search(copy)
    failed = FAILED_ADDRESS.search(notice)
    reason = clean(failed.group(0)) if failed else clean(notice)[:300]
    status = re.search(r"\b([245]\.\d{1,3}\.\d{1,3})\b", reason)
    return Bounce(
        message_id=found.group(1) if found else "",
        reason=reason[:500],
        status=status.group(1) if status else "",
        is_permanent=not (status and status.group(1).startswith("4")),
    )


def _first_id(value: str) -> str:
    found = MESSAGE_ID.search(value)
    return found.group(0) if found else ""
