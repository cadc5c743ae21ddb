"""Tickets logged at the desk (ticketing/views/agent_new.py), per department: how many from
phone calls and from walk-ins, and how long a call took to become a ticket, from the call's
start (typed by the agent, kept on the "call_logged" event) to the ticket.

A desk ticket is a phone or walk-in ticket whose "created" event has an actor: a ticket a
call opens by itself (a missed call's call back) has none. Tickets count by when they were
logged (ix_events_desk_created). The report's filters apply to the ticket, except that its
agent filter means the agent who logged it, not the assignee.
"""

from sqlalchemy import DateTime, Float, cast, func, select

from ticketing.extensions import db
from ticketing.models import Department, Event, Ticket
from ticketing.models.enums import Channel
from ticketing.stats.scope import Scope
from ticketing.stats.sql import (
    TOTAL,
    dialect,
    distribution,
    empty,
    micros_of_text,
    seconds_between,
)

DESK_CHANNELS = (Channel.PHONE, Channel.WALK_IN)


def desk(scope: Scope) -> dict:
    """{"total": figures, "departments": [figures with id and name]}: tickets logged in the
    period per channel, and the call-to-ticket time in calendar minutes (median, p90)."""
    counts = _counts(scope)
    waits = distribution(
        [*_logged(scope, "call_logged"), Ticket.channel == Channel.PHONE],
        {"minutes": cast(seconds_between(_call_started_at(), Event.created_at), Float) / 60},
        group=Ticket.department_id,
        with_total=True,
    )
    departments = db.session.execute(
        select(Department.id, Department.name).order_by(Department.name)
    ).all()
    rows = [
        {"id": department_id, "name": name, **_figures(department_id, counts, waits)}
        for department_id, name in departments
        if department_id in counts
    ]
    return {"total": _figures(TOTAL, counts, waits), "departments": rows}


def _logged(scope: Scope, kind: str) -> list:
    """Events of `kind` by a member of staff, in the period, on tickets in scope."""
    return [
        Event.kind == kind,
        scope.during(Event.created_at),
        Event.actor_id.is_not(None),
        Event.ticket_id == Ticket.id,
        *scope.ticket_conditions(agent_column=Event.actor_id),
    ]


def _counts(scope: Scope) -> dict:
    """{department id or TOTAL: {channel value: tickets logged}}."""
    rows = db.session.execute(
        select(Ticket.department_id, Ticket.channel, func.count())
        .where(*_logged(scope, "created"), Ticket.channel.in_(DESK_CHANNELS))
        .group_by(Ticket.department_id, Ticket.channel)
    ).all()
    found = {}
    for department_id, channel, n in rows:
        for key in (department_id, TOTAL):
            mine = found.setdefault(key, {})
            mine[Channel(channel).value] = mine.get(Channel(channel).value, 0) + n
    return found


def _call_started_at():
    """The call's start kept in the event's data (ISO naive UTC), as a time SQL can subtract."""
    text = Event.data["call_started_at"].as_string()
    return cast(text, DateTime) if dialect() == "postgresql" else micros_of_text(text)


def _figures(key, counts: dict, waits: dict) -> dict:
    mine = counts.get(key, {})
    timed = waits.get(key) or empty(["minutes"])
    return {
        **{channel.value: mine.get(channel.value, 0) for channel in DESK_CHANNELS},
        "logged": sum(mine.values()),
        "calls_timed": timed["count"],
        "call_to_ticket_minutes": {
            stat: None if timed["minutes"][stat] is None else round(timed["minutes"][stat], 1)
            for stat in ("median", "p90")
        },
    }
