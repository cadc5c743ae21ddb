"""A reply the provider refused after we handed it over (a permanent send error, a failed or
undelivered status callback, an SMTP 5xx, a bounce): the customer never had it, so it is no
answer, and a ticket waiting for the customer's answer to it waits for nothing. One entry
point, called wherever such news lands (workers/deliver.py, the status webhooks, intake's
bounces), after ticketing/outbox.py has moved the row."""

from sqlalchemy import select

from ticketing import charter, events, hours, live, whatsapp
from ticketing.extensions import db
from ticketing.lifecycle import base, moves
from ticketing.models import Event, Message, Outbox, Ticket
from ticketing.models.enums import Direction, OutboxStatus, Status

KIND = "reply_not_delivered"
REFUSED = (OutboxStatus.FAILED, OutboxStatus.SUPPRESSED)


def is_refused(row: Outbox) -> bool:
    """The row will never reach its recipient (a WhatsApp message carried by SMS instead did)."""
    return row.status in REFUSED and row.last_error != whatsapp.SENT_BY_SMS


def reply_refused(row: Outbox) -> bool:
    """Record once that an agent's reply never reached the customer; when it was the ticket's
    first response, the next agent reply not refused becomes it, or none does and the
    first-response clock (its reminder and breach alert) runs again. A ticket left waiting for
    the customer on this reply, with no later reply that reached them, is open again: nobody
    would otherwise chase an answer to a question the customer never saw. False when `row` is
    no refused reply, or this refusal was already recorded (a callback sent twice)."""
    if row.kind != "reply" or not is_refused(row):
        return False  # (checked first: every delivery asks, and most are neither)
    message = row.thread_message
    if message is None or message.author_id is None:
        return False
    ticket = message.ticket
    live.lock(ticket)  # two callbacks at once: the second waits, then sees the first's event
    if _already_recorded(ticket, row):
        return False
    answer = _first_response_after(ticket, message)
    events.record(
        ticket,
        KIND,
        None,
        outbox=row.id,
        channel=row.channel.value,
        status=row.status.value,
        code=row.error_code,
        first_response=answer,
    )
    if ticket.status == Status.PENDING_CUSTOMER and not _reached_since(ticket, message):
        moves.move(ticket, Status.OPEN, by=None, because=KIND)
    else:
        base.plan(ticket, hours.now())
    return True


def _reached_since(ticket: Ticket, refused: Message) -> bool:
    """An agent reply after `refused` that was not refused: the customer has the later words."""
    return any(
        m.created_at >= refused.created_at and m.id != refused.id for m in _agent_replies(ticket)
    )


def _first_response_after(ticket: Ticket, refused: Message) -> str | None:
    """Move the first response off `refused` when it was the one counted: "moved" (to the next
    reply not refused), "cleared" (there is none), or None (it was not the first response)."""
    counted = ticket.first_response_at
    if counted is None or counted > refused.created_at:
        return None  # unanswered still, or a later reply is the answer (this one never was)
    replies = _agent_replies(ticket)
    if any(m.created_at < refused.created_at for m in replies if m.id != refused.id):
        return None  # an earlier reply that reached them is the answer
    later = [m for m in replies if m.id != refused.id]
    if later:
        charter.measure_first_response(ticket, later[0].created_at)
        return "moved"
    charter.clear_first_response(ticket)
    return "cleared"


def _agent_replies(ticket: Ticket) -> list[Message]:
    """The agents' replies to the customer not refused (delivered, sent or still owed), oldest
    first."""
    found = db.session.scalars(
        select(Message)
        .join(Outbox, Outbox.id == Message.outbox_id)
        .where(
            Message.ticket_id == ticket.id,
            Message.direction == Direction.OUTBOUND,
            Message.is_internal.is_(False),
            Message.author_id.is_not(None),
        )
        .order_by(Message.created_at, Message.id)
    ).all()
    return [message for message in found if not is_refused(message.outbox)]


def _already_recorded(ticket: Ticket, row: Outbox) -> bool:
    kinds = db.session.scalars(
        select(Event.data).where(Event.ticket_id == ticket.id, Event.kind == KIND)
    ).all()
    return any((data or {}).get("outbox") == row.id for data in kinds)
