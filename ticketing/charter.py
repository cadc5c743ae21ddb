"""The service charter applied to a ticket: due times, the paused clock, measured business time."""

from datetime import datetime

from flask import current_app
from sqlalchemy import inspect

from ticketing import hours, settings_cache
from ticketing.models import Department, Ticket

# Used when a department has no target for a priority: (first response, resolution) minutes.
FALLBACK_TARGETS = {
    "urgent": (60, 480),
    "high": (240, 960),
    "normal": (480, 1440),
    "low": (960, 2880),
}


def calendar_for(department: Department) -> hours.Calendar:
    """The department's business calendar, built once per process and settings stamp (see
    ticketing/settings_cache.py): one action asks for it at every step (due times, the
    paused clock, the next follow-up, quiet hours). Keyed by the hours as the row holds
    them, so hours changed in this very transaction count at once."""
    settings = settings_cache.current()
    config = current_app.config
    key = (repr(department.working_hours), config["TIMEZONE"], config["HOLIDAY_COUNTRY"])
    calendar = settings.calendars.get(key)
    if calendar is None:
        calendar = settings.calendars[key] = hours.Calendar.from_settings(
            department.working_hours, key[1], key[2], settings.holidays
        )
    return calendar


def targets(ticket: Ticket) -> tuple[int, int]:
    """(first response, resolution) business minutes: the department's target for the
    ticket's priority, else the fallback. The kept targets (no query), unless the
    department's own are loaded on it: an admin's edit not yet written counts."""
    department = ticket.department
    if "targets" in inspect(department).dict:
        target = department.target_for(ticket.priority)
        if target:
            return target.first_response_minutes, target.resolution_minutes
        return FALLBACK_TARGETS[ticket.priority.value]
    kept = settings_cache.current().targets.get((department.id, ticket.priority))
    return kept or FALLBACK_TARGETS[ticket.priority.value]


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
