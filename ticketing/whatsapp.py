"""WhatsApp's rule for what a business may send, and when: the 24-hour customer-service window.

WhatsApp takes free-form messages from a business only within 24 hours of the customer's last
message to it. Outside the window only a template Meta has approved may go:
WHATSAPP_CONTENT_SIDS ("received=HX...,reply=HX...") names the Twilio Content template of each
kind of message, and VARIABLES says what fills each template's numbered placeholders. A kind
without a template goes by SMS instead (outbox.fall_back_from_whatsapp: an agent's reply is
then carried by the SMS row, whose delivery is the reply's); when SMS cannot reach the customer
either, the WhatsApp row stays suppressed with the reason, and the agent's ticket page shows it.

Decided at send time, not when owed (a message held through quiet hours may leave the window
while it waits): twilio_rest.send asks `content`, which refuses a free-form message outside the
window with Twilio's own code, 63016. Twilio's refusal (at once, or in a status callback) and
ours then take the same way out: outbox.fall_back_from_whatsapp.
"""

import json
import logging
import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select, true

from ticketing import hours, notify
from ticketing.channels import PermanentFailure
from ticketing.extensions import db
from ticketing.models import Message, Outbox, Ticket
from ticketing.models.enums import Channel, Direction
from ticketing.templating import localtime

log = logging.getLogger(__name__)
WINDOW = timedelta(hours=24)
WINDOW_CODE = "63016"  # Twilio: "outside the allowed window" for a free-form WhatsApp message
CLOSED = "outside WhatsApp's 24-hour window"
SENT_BY_SMS = f"{CLOSED}, sent by SMS"
NOT_BY_SMS = f"{CLOSED}, and SMS cannot reach them (opted out of it, or no SMS line)"
CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
# The numbered variables of each kind's template, in order: {{1}} is the first name. A kind
# not listed here gets DEFAULT_VARIABLES. Register the templates with the same placeholders.
VARIABLES = {
    "received": ("reference", "first_response_due", "link"),
    "reply": ("reference", "words"),
    "resolved": ("reference", "link"),
    "confirm_fix": ("reference",),
    "satisfaction": ("reference",),
}
DEFAULT_VARIABLES = ("reference", "link")
MAX_VARIABLE = 1000  # WhatsApp refuses long variables; the agent's words are cut to this


def templates() -> dict[str, str]:
    """WHATSAPP_CONTENT_SIDS as {kind: content SID}; an entry that is not "kind=HX<32 hex>"
    is left out (and logged), so that Twilio is never handed a SID it would refuse."""
    found = {}
    for entry in current_app.config["WHATSAPP_CONTENT_SIDS"].split(","):
        kind, _, sid = (part.strip() for part in entry.partition("="))
        if not kind and not sid:
            continue
        if kind and CONTENT_SID.fullmatch(sid):
            found[kind] = sid
        else:
            log.warning("WHATSAPP_CONTENT_SIDS entry %r ignored: not kind=HX<32 hex>", entry)
    return found


def last_wrote_at(row: Outbox):
    """When the customer last wrote to us on WhatsApp, as far as `row` knows (None: never).

    Her filed messages count; so does the moment a ticketless answer (HELP, STATUS, START)
    was owed, since it was owed the moment her keyword, which is filed nowhere, arrived."""
    latest = None
    if row.customer_id is not None:
        latest = db.session.scalar(
            select(func.max(Message.created_at))
            .join(Ticket, Message.ticket_id == Ticket.id)
            .where(
                Ticket.customer_id == row.customer_id,
                Message.channel == Channel.WHATSAPP,
                Message.direction == Direction.INBOUND,
                Message.sender.is_(None),  # a CC's message opens no window for the customer
                # the window is per sender: a message to another WhatsApp line of ours opens
                # nothing here (messages filed before lines were recorded count everywhere)
                or_(Message.line == row.line, Message.line.is_(None)) if row.line else true(),
            )
        )
    if row.ticket_id is None:
        latest = max(latest or row.created_at, row.created_at)
    return latest


def is_open(row: Outbox) -> bool:
    """True while free-form WhatsApp messages may go to `row`'s customer."""
    wrote_at = last_wrote_at(row)
    return wrote_at is not None and hours.now() - wrote_at < WINDOW


def may_go(row: Outbox) -> bool:
    """True when `row` may go on WhatsApp now: inside the window, or with a template."""
    return is_open(row) or row.kind in templates()


def content(row: Outbox) -> dict:
    """What Twilio needs besides the addresses: {} for the row's own words (inside the
    window), or a template's content_sid and content_variables. Raises PermanentFailure with
    code 63016 when the window is closed and the kind has no template."""
    if is_open(row):
        return {}
    sid = templates().get(row.kind)
    if sid is None:
        raise PermanentFailure(f"{CLOSED}, and no template for {row.kind!r}", WINDOW_CODE)
    return {"content_sid": sid, "content_variables": json.dumps(variables(row))}


def variables(row: Outbox) -> dict[str, str]:
    """The template's numbered variables for `row` ({"1": "FT-ABCDE", ...}), each on one line
    (WhatsApp refuses newlines, tabs and runs of spaces) and never empty."""
    names = VARIABLES.get(row.kind, DEFAULT_VARIABLES)
    return {str(number): _one_line(VALUES[name](row)) for number, name in enumerate(names, 1)}


def _one_line(value: str) -> str:
    return re.sub(r"\s+", " ", value or "").strip()[:MAX_VARIABLE] or "-"


def _words(row: Outbox) -> str:
    """The agent's own words of a reply (its Message), else the row's."""
    said = db.session.scalar(select(Message.body).where(Message.outbox_id == row.id).limit(1))
    return said or row.body


VALUES = {
    "reference": lambda row: row.ticket.reference if row.ticket is not None else "",
    "link": lambda row: notify.status_link(row.ticket),
    "first_response_due": lambda row: localtime(
        row.ticket.first_response_due_at if row.ticket is not None else None, "%a %d %b %H:%M"
    ),
    "words": _words,
}


def is_window_refusal(row: Outbox, code: str | None) -> bool:
    """Twilio's (or our) refusal of a free-form WhatsApp message outside the window."""
    return row.channel == Channel.WHATSAPP and code == WINDOW_CODE
