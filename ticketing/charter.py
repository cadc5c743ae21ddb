"""The service charter applied to a ticket: due times, the paused clock, measured business time."""

from datetime import datetime

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import Department, Holiday, Ticket

# Used when a department has no target for a priority: (first response, resolution) minutes.
FALLBACK_TARGETS = {
    "urgent": (60, 480),
    "high": (240, 960),
    "normal": (480, 1440),
    "low": (960, 2880),
}


def calendar_for(department: Department) -> hours.Calendar:
    """The department's business calendar, built once per transaction: one action asks for it
    at every step (due times, the paused clock, the next follow-up, quiet hours)."""
    cache = db.session.info.setdefault(CALENDARS, {})
    key = (department.id, repr(department.working_hours))
    if key not in cache:
        if HOLIDAYS not in db.session.info:
            db.session.info[HOLIDAYS] = db.session.scalars(select(Holiday.day)).all()
        cache[key] = hours.Calendar.from_settings(
            department.working_hours,
            current_app.config["TIMEZONE"],
            current_app.config["HOLIDAY_COUNTRY"],
            db.session.info[HOLIDAYS],
        )
    return cache[key]


CALENDARS, HOLIDAYS = "charter.calendars", "charter.holidays"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_calendars(session: Session, *args) -> None:
    """A new transaction may see another admin's holidays or hours."""
    session.info.pop(CALENDARS, None)
    session.info.pop(HOLIDAYS, None)


@event.listens_for(Session, "after_flush")
def _forget_changed_holidays(session: Session, context) -> None:
    """Holidays changed in this very transaction count at once."""
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(item, Holiday | Department) for item in touched):
        _forget_calendars(session)


def targets(ticket: Ticket) -> tuple[int, int]:
    target = ticket.department.target_for(ticket.priority)
    if target:
        return target.first_response_minutes, target.resolution_minutes
    return FALLBACK_TARGETS[ticket.priority.value]


def start_clock(ticket: Ticket, now: datetime) -> None:
    """Set due times from the ticket's creation, as the charter promises."""
    calendar = calendar_for(ticket.department)
    first_response, resolution = targets(ticket)
    if ticket.first_response_at is None:
        ticket.first_response_due_at = calendar.add_minutes(ticket.created_at, first_response)
    ticket.resolution_due_at = calendar.add_minutes(ticket.created_at, resolution)
    ticket.resolution_minutes_left = None
    refresh_due(ticket)


def retarget(ticket: Ticket, now: datetime, previous: tuple[int, int]) -> None:
    """New targets after a priority change: the first answer is still due from creation, but
    the resolution counts only the business time already spent on it (pauses excluded), so
    a ticket that waited for its customer is not suddenly overdue; a paused clock keeps what
    the new target leaves."""
    calendar = calendar_for(ticket.department)
    first_response, resolution = targets(ticket)
    if ticket.first_response_at is None:
        ticket.first_response_due_at = calendar.add_minutes(ticket.created_at, first_response)
    if ticket.resolution_minutes_left is not None:
        spent = previous[1] - ticket.resolution_minutes_left
        ticket.resolution_minutes_left = max(resolution - spent, 0)
    elif ticket.resolution_due_at is not None:
        left = calendar.minutes_between(now, ticket.resolution_due_at)
        overdue = calendar.minutes_between(ticket.resolution_due_at, now)
        spent = previous[1] - left + overdue
        ticket.resolution_due_at = calendar.add_minutes(now, resolution - spent)
    refresh_due(ticket)


def pause_clock(ticket: Ticket, now: datetime) -> None:
    """Stop the resolution clock while we wait for the customer; keep what is left."""
    if ticket.resolution_due_at is None or ticket.resolution_minutes_left is not None:
        return
    calendar = calendar_for(ticket.department)
    ticket.resolution_minutes_left = calendar.minutes_between(now, ticket.resolution_due_at)
    ticket.due_at = None


def resume_clock(ticket: Ticket, now: datetime) -> None:
    """Restart the resolution clock with the business minutes left when it was paused."""
    if ticket.resolution_minutes_left is None:
        return
    calendar = calendar_for(ticket.department)
    ticket.resolution_due_at = calendar.add_minutes(now, ticket.resolution_minutes_left)
    ticket.resolution_minutes_left = None
    refresh_due(ticket)


def refresh_due(ticket: Ticket) -> None:
    """The queue's sort key: the next charter deadline that still matters."""
    if not ticket.is_open or ticket.resolution_minutes_left is not None:
        ticket.due_at = None
    elif ticket.first_response_at is None:
        ticket.due_at = ticket.first_response_due_at
    else:
        ticket.due_at = ticket.resolution_due_at


def measure_first_response(ticket: Ticket, now: datetime) -> None:
    ticket.first_response_at = now
    calendar = calendar_for(ticket.department)
    ticket.first_response_business_minutes = calendar.minutes_between(ticket.created_at, now)
    refresh_due(ticket)


def clear_first_response(ticket: Ticket) -> None:
    """The reply counted as the answer never reached the customer: unanswered again."""
    ticket.first_response_at = None
    ticket.first_response_business_minutes = None
    refresh_due(ticket)


def measure_resolution(ticket: Ticket, now: datetime) -> None:
    calendar = calendar_for(ticket.department)
    ticket.resolution_business_minutes = calendar.minutes_between(ticket.created_at, now)
