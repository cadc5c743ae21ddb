"""The only creator of Event rows: the audit trail that every report is computed from."""

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import Customer, Event, Ticket, User


def record(ticket: Ticket, kind: str, by: User | None = None, **data) -> Event:
    """Note on the ticket what happened. None values are left out of the data, and so is what
    the ticket row already says (whose it is, its channel, its department's name): readers
    take those from the ticket (ticketing/event_words.py), which keeps the largest table lean."""
    event = Event(
        ticket=ticket, actor=by, kind=kind, data=_new(ticket, data), created_at=hours.now()
    )
    db.session.add(event)
    return event


def record_by_id(ticket_id: int, kind: str, **data) -> Event:
    """The same, for a job that holds only the ticket's id (its session was rolled back)."""
    event = Event(ticket_id=ticket_id, kind=kind, data=_present(data), created_at=hours.now())
    db.session.add(event)
    return event


def record_for_customer(customer: Customer, kind: str, **data) -> Event:
    """What concerns the person rather than one ticket (SMS consent)."""
    event = Event(customer_id=customer.id, kind=kind, data=_present(data), created_at=hours.now())
    db.session.add(event)
    return event


def _new(ticket: Ticket, data: dict) -> dict:
    kept = _present(data)
    if kept.get("channel") == ticket.channel:
        del kept["channel"]
    # (read only when named: loading the department for every event cost a statement each)
    if "department" in kept and ticket.department and kept["department"] == ticket.department.name:
        del kept["department"]
    return kept


def _present(data: dict) -> dict:
    return {key: value for key, value in data.items() if value is not None}
