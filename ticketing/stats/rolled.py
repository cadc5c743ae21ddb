"""The answer, resolution and volume figures from daily rollups where they are exact, and
live for the rest of the period (today, days marked changed, days not built). A scope with
a priority or category filter is counted live: rollups are kept by department, assignee and
channel only, which keeps them a few rows a day.

Without a usable rollup day the figures are the live queries of stats/tickets.py as they
are. Otherwise the rollup rows of the usable days and the live rows of the other days are
put together: counts add up, and durations are merged sorted lists, from which median, p90
and mean are computed as PostgreSQL's percentile_cont and avg compute them (stats/sql.py).
"""

import json
import math
from datetime import date, timedelta

from sqlalchemy import false, func, or_, select

from ticketing.extensions import db
from ticketing.models import ReportDay, Ticket
from ticketing.stats import rollup, sql, tickets
from ticketing.stats.scope import Scope

FILTERS = {
    "department_id": "department_id",
    "agent_id": "assignee_id",
    "channel": "channel",
}


def figures(scope: Scope, silenced: dict) -> tuple[dict, dict]:
    """(tickets.times(scope), tickets.volume(scope, silenced)), the same figures."""
    tz = rollup.timezone()
    today = rollup.local_date(scope.now, tz)
    coarse = scope.priority is None and scope.category is None  # what rollups are kept by
    usable = rollup.usable_days(scope.days, tz, today) if coarse else set()
    if not usable:
        return tickets.times(scope), tickets.volume(scope, silenced)
    timed = {"answered": {}, "resolved": {}}
    created, resolved, reopened = {}, {}, 0
    conditions = _rollup_conditions(scope, sorted(usable))
    for row in db.session.execute(_counts(conditions)):
        day, channel = row.day.isoformat(), row.channel
        created[(day, channel)] = created.get((day, channel), 0) + row.created
        resolved[(day, channel)] = resolved.get((day, channel), 0) + row.resolved
        reopened += row.reopened
    for row in db.session.execute(_durations(conditions)):
        for kind in timed:
            _take(
                timed[kind],
                row.assignee_id,
                getattr(row, f"{kind}_in_time"),
                _numbers(getattr(row, f"{kind}_business")),
                _numbers(getattr(row, f"{kind}_calendar")),
            )
    window = _live_window(scope, [d for d in scope.days if d not in usable], tz)
    for row in db.session.execute(_live(scope, "created", window)):
        key = (str(row.day), str(row.channel))
        created[key] = created.get(key, 0) + 1
        reopened += row.reopened
    for kind in timed:
        for row in db.session.execute(_live(scope, kind, window)):
            if kind == "resolved":
                key = (str(row.day), str(row.channel))
                resolved[key] = resolved.get(key, 0) + 1
            if row.business is not None:
                _take(timed[kind], row.assignee_id, row.in_time, [row.business], [row.calendar])
    times = {
        "first_response": _timings(timed["answered"]),
        "resolution": _timings(timed["resolved"]),
    }
    return times, tickets.volume_from(scope, created, reopened, resolved, silenced)


def _rollup_conditions(scope: Scope, days: list[date]) -> list:
    conditions = [ReportDay.day.in_(days)]
    for name, column in FILTERS.items():
        value = getattr(scope, name)
        if value is not None:
            conditions.append(getattr(ReportDay, column) == value)
    return conditions


def _counts(conditions: list):
    """The volume figures by day and channel, summed in the database."""
    return (
        select(
            ReportDay.day,
            ReportDay.channel,
            *[
                func.sum(c).label(c.key)
                for c in (ReportDay.created, ReportDay.resolved, ReportDay.reopened)
            ],
        )
        .where(*conditions)
        .group_by(ReportDay.day, ReportDay.channel)
    )


def _durations(conditions: list):
    """The timing figures by assignee: in-time counts summed, duration lists joined. A
    quarter is some 13,000 rollup rows at 100k tickets; parsing each row's four lists in
    Python took 200 ms, one text per assignee and list takes a few (issue 14)."""
    lists = ("answered_business", "answered_calendar", "resolved_business", "resolved_calendar")
    return (
        select(
            ReportDay.assignee_id,
            func.sum(ReportDay.answered_in_time).label("answered_in_time"),
            func.sum(ReportDay.resolved_in_time).label("resolved_in_time"),
            *[sql.joined_lists(getattr(ReportDay, name)).label(name) for name in lists],
        )
        .where(*conditions)
        .group_by(ReportDay.assignee_id)
    )


def _numbers(joined: str | None) -> list:
    """Sorted here, so that the total's list is a few sorted runs (one an assignee) for the
    sort in spread() to merge, not thousands of short ones (at 1M tickets: 62 -> 50 ms)."""
    return sorted(json.loads(f"[{joined}]")) if joined else []


def _live_window(scope: Scope, days: list[date], tz: str):
    """A where-clause maker for the given days: one range per run of consecutive days."""
    runs, start = [], None
    for n, day in enumerate(days):
        if start is None:
            start = day
        if n + 1 == len(days) or days[n + 1] != day + timedelta(days=1):
            runs.append((rollup.bounds(start, tz)[0], rollup.bounds(day, tz)[1]))
            start = None

    def window(column):
        if not runs:
            return false()
        return or_(*[(column >= low) & (column < high) for low, high in runs])

    return window


def _live(scope: Scope, kind: str, window):
    """The rows of `kind` on the days the rollup does not cover, with their local day as
    stats/tickets.py groups them."""
    column = {"created": "created_at", "answered": "first_response_at", "resolved": "resolved_at"}
    day = sql.local_day(getattr(Ticket, column[kind]), scope.utc_offset_minutes)
    return rollup.facts(kind, window, scope.ticket_conditions()).add_columns(day.label("day"))


def _take(groups: dict, assignee, in_time: int, business: list, calendar: list) -> None:
    for key in (assignee, sql.TOTAL):
        group = groups.setdefault(key, {"in_time": 0, "business": [], "calendar": []})
        group["in_time"] += in_time
        group["business"] += business
        group["calendar"] += calendar


def _timings(groups: dict) -> dict:
    return {
        key: tickets.timing(
            {
                "count": len(group["business"]),
                "in_time": group["in_time"],
                "business": spread(group["business"]),
                "calendar": spread(group["calendar"]),
            }
        )
        for key, group in groups.items()
        if group["business"]
    }


def spread(values: list) -> dict:
    """Median, p90 and mean of whole numbers, as percentile_cont and avg give them."""
    values.sort()
    n = len(values)
    result = {}
    for label, p in sql.PERCENTILES.items():
        position = p * (n - 1)
        below = math.floor(position)
        low = float(values[below])
        high = float(values[below + 1]) if below + 1 < n else low
        result[label] = low + (high - low) * (position - below)
    result["mean"] = sum(values) / n
    return result
