"""Department figures: backlog, silent tickets, and the public charter record."""

import math
from datetime import datetime, time, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import and_, case, func, not_, or_, select, true

from ticketing import charter, followup, hours
from ticketing.extensions import db
from ticketing.models import Department, Event, Ticket, User
from ticketing.models.enums import ACTIVE_STATUSES, OPEN_STATUSES, Priority, Status
from ticketing.stats.figures import (
    ANSWERED_IN_TIME,
    RESOLVED_IN_TIME,
    really_resolved,
    silenced_between,
)


def backlog_by_department() -> list:
    """Per department: open tickets by status, and how many are past their charter deadline."""
    now = hours.now()
    query = (
        select(
            Department.id,
            Department.name,
            func.count(Ticket.id).label("open"),
            func.sum(case((Ticket.status == Status.NEW, 1), else_=0)).label("new"),
            func.sum(case((Ticket.status == Status.PENDING_CUSTOMER, 1), else_=0)).label("pending"),
            func.sum(case((Ticket.due_at < now, 1), else_=0)).label("breached"),
        )
        .join(
            Ticket,
            (Ticket.department_id == Department.id) & Ticket.status.in_(OPEN_STATUSES),
            isouter=True,
        )
        .group_by(Department.id, Department.name)
        .order_by(Department.name)
    )
    return db.session.execute(query).all()


def silent_tickets(limit: int = 50) -> list["Silent"]:
    """Tickets still in progress with no next step planned, each with why: every one is a
    defect, and the reason tells the supervisor which. Their last failed steps are read in
    one query (one per ticket cost the dashboard 40 ms at 50 tickets)."""
    found = db.session.scalars(
        select(Ticket)
        .where(Ticket.status.in_(ACTIVE_STATUSES), Ticket.next_follow_up_at.is_(None))
        .order_by(Ticket.id)
        .limit(limit)
    ).all()
    failures = _last_failures([ticket.id for ticket in found])
    return [Silent(ticket, why_silent(ticket, failures.get(ticket.id))) for ticket in found]


class Silent(NamedTuple):
    ticket: Ticket
    reason: str


def _last_failures(ticket_ids: list[int]) -> dict[int, dict]:
    """Each ticket's last follow_up_failed event data, by ticket id."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        select(Event.ticket_id, Event.data)
        .where(Event.ticket_id.in_(ticket_ids), Event.kind == "follow_up_failed")
        .order_by(Event.id)
    )
    return {ticket_id: data for ticket_id, data in rows}  # the last one wins


def why_silent(ticket: Ticket, failure: dict | None) -> str:
    """What the policy would plan for the ticket now, and what went wrong instead
    (`failure`: the data of its last failed follow-up step, if any)."""
    calendar = charter.calendar_for(ticket.department)
    step, at = followup.plan(ticket, hours.now(), calendar, ticket.department.setting)
    if step is None:
        planned = "the follow-up policy plans nothing more for it"
    else:
        planned = (
            f"{step.value.replace('_', ' ')} was due {at:%d %b %Y %H:%M} UTC but is not "
            "scheduled: it was changed outside the lifecycle"
        )
    if failure:
        return (
            f"its last follow-up step failed ({failure.get('error', 'no error kept')}); {planned}"
        )
    return planned


def charter_record(now: datetime | None = None) -> list[dict]:
    """Per department and priority, this local month (config TIMEZONE): first answers and
    resolutions within the charter target and late, and the open tickets past their target
    now, counted as missed. Only real resolutions count (figures.really_resolved); tickets
    closed because the customer never answered are counted apart."""
    now = now or hours.now()
    start, end = _this_month(now)
    merged = Ticket.merged_into_id.is_(None)
    answered = and_(Ticket.first_response_at >= start, Ticket.first_response_at < end)
    resolved = and_(Ticket.resolved_at >= start, Ticket.resolved_at < end)
    is_open = Ticket.status.in_(OPEN_STATUSES)
    counts: dict = {}
    for where, sums in (
        (
            [answered, merged],
            {"fr_in_time": ANSWERED_IN_TIME, "fr_late": not_(ANSWERED_IN_TIME)},
        ),
        (
            [resolved, really_resolved(), merged],
            {"res_in_time": RESOLVED_IN_TIME, "res_late": not_(RESOLVED_IN_TIME)},
        ),
        (
            [is_open, merged],
            {
                "fr_missed": and_(
                    Ticket.first_response_at.is_(None), Ticket.first_response_due_at < now
                ),
                "res_missed": or_(  # a paused clock is past the target when nothing was left
                    and_(Ticket.resolution_minutes_left.is_(None), Ticket.resolution_due_at < now),
                    Ticket.resolution_minutes_left <= 0,
                ),
            },
        ),
        ([silenced_between(start, end), merged], {"silenced": true()}),
    ):
        query = (
            select(
                Ticket.department_id,
                Ticket.priority,
                *(func.sum(case((flag, 1), else_=0)).label(name) for name, flag in sums.items()),
            )
            .where(*where)
            .group_by(Ticket.department_id, Ticket.priority)
        )
        for row in db.session.execute(query):
            found = counts.setdefault((row.department_id, Priority(row.priority)), {})
            found |= {name: int(row._mapping[name] or 0) for name in sums}
    rows = []
    for department in db.session.scalars(select(Department).order_by(Department.name)):
        day = _working_day_minutes(department.working_hours or {})
        targeted = {t.priority for t in department.targets}
        priorities = []
        for priority in PRIORITY_ORDER:
            found = counts.get((department.id, priority), {})
            if priority not in targeted and not any(found.values()):
                continue
            target = department.target_for(priority)
            first, resolution = (
                (target.first_response_minutes, target.resolution_minutes)
                if target
                else charter.FALLBACK_TARGETS[priority.value]
            )
            priorities.append(
                {
                    "priority": priority,
                    "first_response_target": target_in_words(first, day),
                    "resolution_target": target_in_words(resolution, day),
                    "first_response": _record(found, "fr"),
                    "resolution": _record(found, "res"),
                    "closed_for_silence": found.get("silenced", 0),
                }
            )
        rows.append(
            {
                "department": department,
                "month": hours.to_local(start, current_app.config["TIMEZONE"]),
                "priorities": priorities,
                "first_response": _sum_records([p["first_response"] for p in priorities]),
                "resolution": _sum_records([p["resolution"] for p in priorities]),
                "closed_for_silence": sum(p["closed_for_silence"] for p in priorities),
                # as before: first answers given this month, and how many in time
                "answered": sum(
                    p["first_response"]["in_time"] + p["first_response"]["late"] for p in priorities
                ),
                "answered_in_time": sum(p["first_response"]["in_time"] for p in priorities),
            }
        )
    return rows


PRIORITY_ORDER = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)


def _this_month(now: datetime) -> tuple[datetime, datetime]:
    """This local calendar month as a half-open naive UTC range."""
    tz = current_app.config["TIMEZONE"]
    first = hours.to_local(now, tz).date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        hours.local_to_utc(datetime.combine(first, time()), tz),
        hours.local_to_utc(datetime.combine(following, time()), tz),
    )


def _record(found: dict, prefix: str) -> dict:
    """Within target, late and missed, with their shares of all three. The share within
    target is rounded down, so 199 of 200 never reads 100%."""
    in_time, late, missed = (found.get(f"{prefix}_{k}", 0) for k in ("in_time", "late", "missed"))
    whole = in_time + late + missed
    return {
        "in_time": in_time,
        "late": late,
        "missed": missed,
        "total": whole,
        "in_time_percent": math.floor(1000 * in_time / whole) / 10 if whole else None,
        "late_percent": round(100 * late / whole, 1) if whole else None,
        "missed_percent": round(100 * missed / whole, 1) if whole else None,
    }


def _sum_records(records: list[dict]) -> dict:
    return _record(
        {f"x_{k}": sum(r[k] for r in records) for k in ("in_time", "late", "missed")}, "x"
    )


def _working_day_minutes(week: dict) -> int | None:
    """The length of the department's usual working day (the most common one), in minutes."""
    lengths = []
    for span in week.values():
        try:
            opens, closes = (datetime.strptime(value, "%H:%M") for value in span[:2])
        except (TypeError, ValueError):
            continue
        if closes > opens:
            lengths.append((closes - opens) // timedelta(minutes=1))
    if not lengths:
        return None
    return max(sorted(set(lengths)), key=lengths.count)


def target_in_words(minutes: int, working_day: int | None = None) -> str:
    """A charter target as people say it: working days when it is a whole number of the
    department's usual working day, else working hours (and minutes)."""
    if working_day and minutes >= working_day and minutes % working_day == 0:
        days = minutes // working_day
        return f"{days} working day{'' if days == 1 else 's'}"
    whole_hours, rest = divmod(minutes, 60)
    if not rest:
        return f"{whole_hours} working hour{'' if whole_hours == 1 else 's'}"
    if not whole_hours:
        return f"{rest} working minutes"
    return f"{whole_hours} h {rest:02d} min of working time"


def filter_choices() -> tuple[list[Department], list[User]]:
    """The departments and the staff a report can be narrowed to."""
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    people = db.session.scalars(select(User).where(User.is_enabled).order_by(User.name)).all()
    return list(departments), list(people)
