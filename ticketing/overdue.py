"""Which of a ticket's deadlines have passed unmet: the charter's first answer and resolution,
and the promises its agents made. Pure: the page marks each in words, not colour only."""

from dataclasses import dataclass, field
from datetime import datetime

from ticketing.models import Ticket
from ticketing.models.enums import PromiseStatus


@dataclass(frozen=True)
class Late:
    first_response: bool = False  # unanswered past its due time
    answered_late: bool = False
    resolution: bool = False  # open, clock running, past its due time
    promises: frozenset[int] = field(default_factory=frozenset)  # ids of open promises past due


def flags(ticket: Ticket, now: datetime) -> Late:
    """What is late on `ticket` at `now`."""
    first_due = ticket.first_response_due_at
    answered = ticket.first_response_at
    running = ticket.is_open and ticket.resolution_minutes_left is None
    return Late(
        first_response=ticket.is_open and answered is None and _past(first_due, now),
        answered_late=answered is not None and _past(first_due, answered),
        resolution=running and _past(ticket.resolution_due_at, now),
        promises=frozenset(
            promise.id
            for promise in ticket.promises
            if promise.status == PromiseStatus.OPEN and promise.due_at < now
        ),
    )


def _past(due: datetime | None, moment: datetime) -> bool:
    return due is not None and due < moment
