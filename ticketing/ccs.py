"""Who is copied on a ticket's email replies: the ticket's CC list has this one writer."""

from sqlalchemy import func, select

from ticketing import events
from ticketing.channels.senders import our_addresses
from ticketing.errors import TransitionError
from ticketing.extensions import db
from ticketing.models import Ticket, User

MAX_CC = 20  # people copied on one ticket's email replies


def add_ccs(ticket: Ticket, addresses, *, by: User | None = None) -> list[str]:
    """Copy more people on the ticket's email replies: never the customer, staff, us (a copy
    to our own mailbox would loop) or a repeat; beyond MAX_CC the rest are left out, and the
    event says so. Returns those added."""
    current = list(ticket.cc_emails or [])
    fresh = [
        a
        for a in dict.fromkeys(a.strip().lower() for a in addresses if a and a.strip())
        if a not in current and a != (ticket.customer.email or "").lower()
    ]
    if fresh:
        refused = _staff_or_us(fresh)
        fresh = [a for a in fresh if a not in refused]
    added = fresh[: max(MAX_CC - len(current), 0)]
    if fresh:
        ticket.cc_emails = current + added
        events.record(
            ticket,
            "cc_added",
            by,
            added=", ".join(added) or None,
            left_out=", ".join(fresh[len(added) :]) or None,
        )
    return added


def set_ccs(ticket: Ticket, addresses, *, by: User) -> None:
    """An agent's own list of who is copied; the customer is always the one addressed."""
    wanted = list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))
    if len(wanted) > MAX_CC:
        raise TransitionError(f"a ticket can copy at most {MAX_CC} people")
    if (ticket.customer.email or "").lower() in wanted:
        raise TransitionError(f"{ticket.customer.email} is the customer: they get every reply")
    if refused := sorted(_staff_or_us(wanted)):
        raise TransitionError(
            f"{', '.join(refused)}: staff and our own addresses are never "
            "copied; assign the ticket or add a note instead"
        )
    removed = [a for a in ticket.cc_emails or [] if a not in wanted]
    if removed:
        ticket.cc_emails = [a for a in ticket.cc_emails if a in wanted]
        events.record(ticket, "cc_removed", by, removed=", ".join(removed))
    add_ccs(ticket, wanted, by=by)


def _staff_or_us(addresses: list[str]) -> set[str]:
    staff = db.session.scalars(
        select(func.lower(User.email)).where(func.lower(User.email).in_(addresses))
    )
    return set(staff) | (our_addresses() & set(addresses))
