"""Call-backs: a customer who could not reach us by phone (a missed, abandoned or
after-hours call, "1" on the call menu, "call me back" on USSD) is owed a call within the
charter's first-response time. One open call-back ticket per customer: asking twice, or
calling three times, adds to it instead of opening more. The customer gets an SMS with the
reference and the time; agents see call-back tickets first in their queue.
"""

from sqlalchemy import select

from ticketing import charter, events, hours, lifecycle, promises
from ticketing.extensions import db
from ticketing.models import Customer, Department, Promise, Ticket
from ticketing.models.enums import OPEN_STATUSES, Channel, Priority

SUBJECT = "Call back requested"
FALLBACK_MINUTES = 120  # a department without a first-response target: two working hours


def request(
    customer: Customer,
    *,
    channel: Channel,
    reason: str,
    line: str | None = None,
    department: Department | None = None,
    body: str = "",
) -> Ticket:
    """The customer's open call-back ticket (opened now if there is none), with the
    department's promise to call. `reason` is a code-like word for people and reports
    ("missed_call", "after_hours", "pressed_1", "ussd"); `body` what they said, if anything."""
    ticket = open_for(customer)
    if ticket is None:
        ticket = lifecycle.open_ticket(
            customer,
            subject=SUBJECT,
            body=body or SUBJECT,
            channel=channel,
            priority=Priority.HIGH,
            department=department,
            line=line,
            acknowledge=False,  # the call-back SMS is the acknowledgment
        )
    events.record(ticket, "callback_requested", reason=reason, channel=channel.value)
    promises.add_callback(ticket, due_at=_due(ticket), description="Call you back")
    return ticket


def open_for(customer: Customer) -> Ticket | None:
    """The customer's open ticket that is about calling them back (a call-back promise,
    made or still owed, is on it), if any: a new request adds a promise there."""
    return db.session.scalar(
        select(Ticket)
        .join(Promise, Promise.ticket_id == Ticket.id)
        .where(
            Ticket.customer_id == customer.id,
            Ticket.status.in_(OPEN_STATUSES),
            Promise.agent_id.is_(None),
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def _due(ticket: Ticket):
    """Within the charter's first-response time, counted in business hours from now."""
    now = hours.now()
    if ticket.first_response_due_at is not None and ticket.first_response_due_at > now:
        return ticket.first_response_due_at
    return charter.calendar_for(ticket.department).add_minutes(now, FALLBACK_MINUTES)
