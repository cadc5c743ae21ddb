"""What the ticket page shows of a conversation: every message filed on the ticket and every
automatic message the customer was sent without one (acknowledgments, status updates,
follow-ups, reminders), in time order; and the timeline of its events in words. Reads only."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from ticketing import event_words, whatsapp
from ticketing.extensions import db
from ticketing.models import Event, Message, Outbox, Ticket
from ticketing.models.enums import OutboxStatus

NOTHING_NEW = "nothing new"  # a held update that had nothing to tell: it was never meant to go


@dataclass(frozen=True)
class Entry:
    at: datetime
    message: Message | None = None
    automatic: Outbox | None = None


def entries(ticket: Ticket) -> list[Entry]:
    """The thread, oldest first: a message and an automatic message at the same moment keep
    the order they were written in (the acknowledgment follows what it acknowledges)."""
    filed = select(Message.outbox_id).where(
        Message.ticket_id == ticket.id, Message.outbox_id.is_not(None)
    )
    rows = db.session.scalars(
        select(Outbox)
        .where(
            Outbox.ticket_id == ticket.id,
            Outbox.user_id.is_(None),  # staff alerts are not part of the conversation
            Outbox.id.not_in(filed),
            # a WhatsApp row whose words went by SMS is shown once: an automatic message by
            # its SMS row, a reply as the reply (carried by SMS)
            or_(
                Outbox.last_error.is_(None),
                and_(
                    Outbox.last_error.not_like(f"{NOTHING_NEW}%"),
                    Outbox.last_error != whatsapp.SENT_BY_SMS,
                ),
            ),
        )
        .order_by(Outbox.id)
    ).all()
    found = [Entry(m.created_at, message=m) for m in ticket.messages]
    found += [Entry(row.created_at, automatic=row) for row in rows]
    return sorted(found, key=lambda entry: (entry.at, entry.automatic is not None))


def undelivered(ticket: Ticket, limit: int = 5) -> list[Outbox]:
    """The newest messages owed on the ticket that never reached their recipient."""
    return db.session.scalars(
        select(Outbox)
        .where(
            Outbox.ticket_id == ticket.id,
            Outbox.status.in_([OutboxStatus.FAILED, OutboxStatus.SUPPRESSED]),
            # a WhatsApp message that went by SMS instead did reach the customer
            or_(Outbox.last_error.is_(None), Outbox.last_error != whatsapp.SENT_BY_SMS),
        )
        .order_by(Outbox.id.desc())
        .limit(limit)
    ).all()


def timeline(ticket: Ticket) -> list[tuple[Event, str]]:
    """The ticket's events, newest first, each with its sentence."""
    return [(event, event_words.sentence(event)) for event in reversed(ticket.events)]
