"""What the customer's status page shows besides the ticket, kept apart from its routes.

The thread merged with every message we sent the customer, the open promises and the next
step in plain words: the page and the reply form's error page render the same context.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from ticketing import hours, languages
from ticketing.extensions import db
from ticketing.models import Outbox, Ticket
from ticketing.models.enums import Category, OutboxStatus, PromiseStatus, Status

SHOWN_OUTBOX = (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.DELIVERED)


def status_context(ticket: Ticket) -> dict:
    """What the status page shows besides the ticket: the thread merged with every message we
    sent the customer (automatic ones too), the open promises and the next step in words."""
    return {
        "timeline": _timeline(ticket),
        "open_promises": [p for p in ticket.promises if p.status == PromiseStatus.OPEN],
        "next_step": _next_step(ticket),
    }


def _timeline(ticket: Ticket) -> list[dict]:
    messages = ticket.public_messages
    in_thread = {m.outbox_id for m in messages if m.outbox_id}  # agents' replies, already there
    sent = db.session.scalars(
        select(Outbox)
        .where(
            Outbox.ticket_id == ticket.id,
            Outbox.customer_id == ticket.customer_id,
            Outbox.user_id.is_(None),
            Outbox.status.in_(SHOWN_OUTBOX),
        )
        .order_by(Outbox.id)
    ).all()
    entries = [{"at": m.created_at, "message": m, "sent": None} for m in messages] + [
        {"at": row.sent_at or row.created_at, "message": None, "sent": row}
        for row in sent
        if row.id not in in_thread
    ]
    return sorted(entries, key=lambda entry: entry["at"])


def _next_step(ticket: Ticket) -> str:
    if ticket.merged_into:
        return _("Continued in %(reference)s", reference=ticket.merged_into.reference)
    if ticket.status == Status.CLOSED:
        return _("Closed")
    if ticket.status == Status.RESOLVED:
        if ticket.category == Category.AFTER_SALE:
            return _("Solved: tell us if it is fixed")
        return _("Solved: write to us below if anything is still wrong")
    if ticket.status == Status.PENDING_CUSTOMER:
        return _("We are waiting for your answer")
    now = hours.now()
    promised = [p.due_at for p in ticket.promises if p.status == PromiseStatus.OPEN]
    if promised and min(promised) > now:
        return _("We will get back to you by %(when)s", when=languages.short_time(min(promised)))
    if ticket.first_response_at is None:
        if ticket.due_at and ticket.due_at > now:
            return _("We will answer by %(when)s", when=languages.short_time(ticket.due_at))
        return _("We will answer you as soon as we can")
    if ticket.resolution_due_at and ticket.resolution_due_at > now:
        return _(
            "We are working on it and aim to solve it by %(when)s",
            when=languages.short_time(ticket.resolution_due_at),
        )
    return _("We are working on it")
