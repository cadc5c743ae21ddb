"""Ticket figures: answer and resolution times with charter compliance, volume, backlog."""

from sqlalchemy import case, func, select

from ticketing.extensions import db
from ticketing.models import Ticket
from ticketing.models.enums import OPEN_STATUSES, Channel
from ticketing.stats import sql
from ticketing.stats.figures import (
    AGE_BUCKETS,
    ANSWERED_IN_TIME,
    RESOLVED_IN_TIME,
    SOON,
    age_bucket,
    really_resolved,
    silenced_during,
)
from ticketing.stats.scope import Scope

TIMES = {
    "first_response": (
        Ticket.first_response_at,
        Ticket.first_response_business_minutes,
        ANSWERED_IN_TIME,
        (),
    ),
    "resolution": (
        Ticket.resolved_at,
        Ticket.resolution_business_minutes,
        RESOLVED_IN_TIME,
        (really_resolved,),  # closed for silence, for no reply or merged: not resolved
    ),
}
VALUES = ("business", "calendar")


def times(scope: Scope) -> dict:
    """For first response and resolution: {sql.TOTAL or an assignee's id: figures}."""
    result = {}
    for kind, (at, business, in_time, extra) in TIMES.items():
        values = {"business": business, "calendar": sql.seconds_between(Ticket.created_at, at)}
        conditions = [scope.during(at), business.is_not(None), *(make() for make in extra)]
        stats = sql.distribution(
            [*conditions, *scope.ticket_conditions()],
            values,
            group=Ticket.assignee_id,
            flags={"in_time": in_time},
            with_total=True,
        )
        result[kind] = {key: timing(stat) for key, stat in stats.items()}
    return result


def timing(stat: dict | None) -> dict:
    """Counts, compliance and durations (minutes, one decimal) from a distribution."""
    stat = stat or sql.empty(VALUES, ("in_time",))
    count, in_time = stat["count"], stat["in_time"]
    return {
        "count": count,
        "in_time": in_time,
        "late": count - in_time,
        "in_time_percent": percent(in_time, count),
        "business_minutes": _minutes(stat["business"], 1),
        "calendar_minutes": _minutes(stat["calendar"], 60),
    }


def breaches(scope: Scope) -> dict:
    """Open tickets past their charter deadline now, and those due within SOON."""
    now, soon = scope.now, scope.now + SOON
    row = db.session.execute(
        select(
            func.sum(case((Ticket.due_at < now, 1), else_=0)),
            func.sum(case((Ticket.due_at >= now, 1), else_=0)),
        ).where(Ticket.status.in_(OPEN_STATUSES), Ticket.due_at < soon, *scope.ticket_conditions())
    ).one()
    return {"breached_now": int(row[0] or 0), "due_soon": int(row[1] or 0)}


def volume(scope: Scope, silenced: dict | None = None) -> dict:
    """Created and resolved per local day and per channel, with the tickets closed for
    silence per channel; reopened share of the created. `silenced`: silence(scope)."""
    silenced = silence(scope) if silenced is None else silenced
    created, reopened = _per_day(scope, Ticket.created_at)
    resolved, _ = _per_day(scope, Ticket.resolved_at, really_resolved())
    return volume_from(scope, created, reopened, resolved, silenced)


def volume_from(scope: Scope, created: dict, reopened: int, resolved: dict, silenced: dict):
    """volume() from counts per (local day, channel) of the created and the resolved, and
    how many of the created were reopened (stats/rolled.py counts them from rollups)."""
    created_on, resolved_on = _totals(created, 0), _totals(resolved, 0)
    created_by, resolved_by = _totals(created, 1), _totals(resolved, 1)
    total_created = sum(created.values())
    return {
        "created": total_created,
        "resolved": sum(resolved.values()),
        "closed_for_silence": sum(silenced.values()),
        "daily": [
            {
                "day": day.isoformat(),
                "created": created_on.get(day.isoformat(), 0),
                "resolved": resolved_on.get(day.isoformat(), 0),
            }
            for day in scope.days
        ],
        "reopened": {
            "created": total_created,
            "reopened": reopened,
            "percent": percent(reopened, total_created),
        },
        "channels": {
            c.value: {
                "created": created_by.get(c.value, 0),
                "resolved": resolved_by.get(c.value, 0),
                "closed_for_silence": _sum(silenced, channel=c.value),
            }
            for c in Channel
        },
    }


def silence(scope: Scope) -> dict:
    """Tickets closed for silence in the period: {(channel, assignee id): count}."""
    return {
        (str(channel), assignee): n
        for channel, assignee, n in db.session.execute(
            select(Ticket.channel, Ticket.assignee_id, func.count())
            .where(*silenced_during(scope))
            .group_by(Ticket.channel, Ticket.assignee_id)
        )
    }


def _sum(silenced: dict, *, channel=None, agent=None) -> int:
    return sum(n for (c, a), n in silenced.items() if channel in (None, c) and agent in (None, a))


def _totals(counts: dict, position: int) -> dict:
    """Sum (day, channel) counts over one of the two keys."""
    totals = {}
    for key, count in counts.items():
        totals[key[position]] = totals.get(key[position], 0) + count
    return totals


def _per_day(scope: Scope, column, *extra) -> tuple[dict, int]:
    day = sql.local_day(column, scope.utc_offset_minutes)
    rows = (
        select(
            day.label("day"),
            Ticket.channel.label("channel"),
            case((Ticket.reopened_count > 0, 1), else_=0).label("reopened"),
        )
        .where(scope.during(column), *extra, *scope.ticket_conditions())
        .subquery()
    )
    counts, reopened = {}, 0
    for row in db.session.execute(
        select(rows.c.day, rows.c.channel, func.count(), func.sum(rows.c.reopened)).group_by(
            rows.c.day, rows.c.channel
        )
    ):
        counts[(str(row[0]), str(row[1]))] = row[2]
        reopened += int(row[3] or 0)
    return counts, reopened


def backlog(scope: Scope) -> dict:
    """Open tickets now by status and age bucket, and by channel (the period does not apply)."""
    rows = (
        select(
            Ticket.status.label("status"),
            age_bucket(scope.now).label("age"),
            Ticket.channel.label("channel"),
        )
        .where(Ticket.status.in_(OPEN_STATUSES), *scope.ticket_conditions())
        .subquery()
    )
    counts = {
        (str(s), a, str(c)): n
        for s, a, c, n in db.session.execute(
            select(rows.c.status, rows.c.age, rows.c.channel, func.count()).group_by(
                rows.c.status, rows.c.age, rows.c.channel
            )
        )
    }

    def total(status=None, age=None, channel=None) -> int:
        return sum(
            n
            for (s, a, c), n in counts.items()
            if status in (None, s) and age in (None, a) and channel in (None, c)
        )

    return {
        "total": total(),
        "by_status": {status.value: total(status=status.value) for status in OPEN_STATUSES},
        "by_age": [
            {
                "bucket": key,
                "label": label,
                "total": total(age=key),
                **{status.value: total(status.value, key) for status in OPEN_STATUSES},
            }
            for key, (label, _, _) in AGE_BUCKETS.items()
        ],
        "by_channel": {channel.value: total(channel=channel.value) for channel in Channel},
    }


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _minutes(figures: dict, divisor: int) -> dict:
    return {k: None if v is None else round(v / divisor, 1) for k, v in figures.items()}
