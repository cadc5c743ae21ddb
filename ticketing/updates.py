"""What a held status update says when it finally goes, decided at send time.

A status update waits a few minutes (notify folds changes in a row into one held row); by the
time a worker claims it the ticket may have moved again, so the words are rendered from the
ticket as it is now, or the row is dropped when the customer already knows that state. Kept
apart from notify.py because it runs in the deliver worker, after the row was created.
"""

from sqlalchemy import select, update

from ticketing import notify, wording
from ticketing.extensions import db
from ticketing.models import Event, Outbox, Ticket
from ticketing.models.enums import Category, OutboxStatus, Status

# What each notice told the customer about her ticket's state: "nothing new" is judged by it.
HEARD = {
    "received": Status.OPEN,
    "assigned": Status.OPEN,
    "reopened": Status.OPEN,
    "waiting": Status.PENDING_CUSTOMER,
    "pending_reminder": Status.PENDING_CUSTOMER,
    "resolved": Status.RESOLVED,
    "confirm_fix": Status.RESOLVED,
    "confirm_reminder": Status.RESOLVED,
    "closed": Status.CLOSED,
    "closed_auto": Status.CLOSED,
    "closed_no_reply": Status.CLOSED,
    "closed_silence": Status.CLOSED,
    "confirmed_fixed": Status.CLOSED,
}
HANDED_OVER = (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.DELIVERED)


def refresh_held_update(row: Outbox) -> str | None:
    """Just before a claimed status update goes: rewrite it to tell the ticket's state now, in
    the customer's language now. Returns why it should not go at all ("nothing new": the
    ticket is back where the customer last heard it), None when it is ready to send.

    Only rows owed as status updates (`combines` set) are touched; the caller holds the claim,
    so nobody else writes the row meanwhile.
    """
    ticket = row.ticket
    if not row.combines or ticket is None:
        return None
    kind = update_kind(ticket, row.combines)
    heard = last_heard(ticket, exclude_id=row.id)
    now = Status.OPEN if ticket.status == Status.NEW else ticket.status
    if kind is None or (kind != "assigned" and heard == now):
        return f"nothing new: the customer last heard the ticket was {now.label}"
    person = ticket.customer
    extra = {"reason": _close_reason(ticket)} if kind == "closed" else {}
    subject, body, html = wording.render(
        kind, person.language.value, row.channel, notify._context(ticket, person, extra)
    )
    db.session.execute(
        update(Outbox)
        .where(Outbox.id == row.id)
        .values(kind=kind, subject=subject, body=body, html=html)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(row)
    return None


def update_kind(ticket: Ticket, kinds: list[str]) -> str | None:
    """The one status update that tells the ticket's state now; None when an open ticket has
    nothing to tell (say "waiting" was held, then the customer wrote and it opened again)."""
    if ticket.status == Status.CLOSED:
        return "closed"
    if ticket.status == Status.RESOLVED:
        return "confirm_fix" if ticket.category == Category.AFTER_SALE else "resolved"
    if ticket.status == Status.PENDING_CUSTOMER:
        return "waiting"
    if "assigned" in kinds and ticket.assignee is not None:
        return "assigned"
    return "reopened" if "reopened" in kinds else None


def last_heard(ticket: Ticket, *, exclude_id: int | None = None) -> Status | None:
    """The ticket's state as the last notice handed to the provider told the customer."""
    kind = db.session.scalar(
        select(Outbox.kind)
        .where(
            Outbox.ticket_id == ticket.id,
            Outbox.user_id.is_(None),
            Outbox.id != (exclude_id or 0),
            Outbox.kind.in_(list(HEARD)),
            Outbox.status.in_(HANDED_OVER),
        )
        .order_by(Outbox.id.desc())
        .limit(1)
    )
    return HEARD.get(kind)


def _close_reason(ticket: Ticket) -> str:
    """The words a person gave when closing the ticket (its latest close event)."""
    event = db.session.scalar(
        select(Event)
        .where(Event.ticket_id == ticket.id, Event.kind == "status")
        .order_by(Event.id.desc())
        .limit(1)
    )
    data = (event.data or {}) if event is not None else {}
    return data.get("reason", "") if data.get("new") == Status.CLOSED.value else ""
