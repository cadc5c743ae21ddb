"""The service charter applied to a ticket: due times, the paused clock, measured business time."""

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import Department, Holiday, Ticket

# Used when a department has no target for a priority: (first response, resolution) minutes.
FALLBACK_TARGETS = {"urgent": (60, 480), "high": (240, 960), "normal": (480, 1440),
                    "low": (960, 2880)}


def calendar_for(department: Department) -> hours.Calendar:
    extra = db.session.scalars(select(Holiday.day)).all()
    return hours.Calendar.from_settings(department.working_hours, current_app.config["TIMEZONE"],
                                        current_app.config["HOLIDAY_COUNTRY"], extra)


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


def measure_resolution(ticket: Ticket, now: datetime) -> None:
    calendar = calendar_for(ticket.department)
    ticket.resolution_business_minutes = calendar.minutes_between(ticket.created_at, now)

