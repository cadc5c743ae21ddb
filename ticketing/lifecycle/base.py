"""What every part of the lifecycle shares: the next follow-up plan, the assignee, the
ticket's last-change time."""

from datetime import datetime

from ticketing import charter, events, followup, hours
from ticketing.errors import TransitionError
from ticketing.models import Ticket, User


def plan(ticket: Ticket, now: datetime) -> None:
    calendar = charter.calendar_for(ticket.department)
    step, at = followup.plan(ticket, now, calendar, ticket.department.setting)
    ticket.follow_up_step, ticket.next_follow_up_at = step, at
    touch(ticket)


def set_assignee(ticket: Ticket, assignee: User | None, *, by: User | None, now) -> None:
    events.record(
        ticket,
        "assigned",
        by,
        old=ticket.assignee.name if ticket.assignee else None,
        new=assignee.name if assignee else None,
    )
    ticket.assignee = assignee
    ticket.assigned_at = now if assignee else None
    if assignee is not None:
        assignee.last_assigned_at = now
    touch(ticket)


def touch(ticket: Ticket) -> None:
    ticket.updated_at = hours.now()


def require_text(text: str, what: str) -> None:
    if not (text or "").strip():
        raise TransitionError(f"the {what} is empty")
