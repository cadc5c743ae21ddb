"""Daily rollups of the dashboard's ticket figures, and how they are kept equal to the tickets.

A day's rollup (models/rollups.py) holds, per department, assignee and channel, what the
answer, resolution and volume figures count, with the durations as sorted lists so medians
and percentiles are exact. The reader (stats/rolled.py) takes a day from the rollup only when
it is built, in the configured TIMEZONE, over, and not marked changed since; every other day
is counted live. So the page always shows the live figures, and a rollup only saves work.

A flush that changes a ticket's reportable facts marks the past local days it touches (its
creation, first answer and resolution days, before and after the change) in the same
transaction. Today is never marked: it is always counted live, and marking it would make
every ticket write wait on one row. refresh() (every minute, workers/report_rollups.py)
rebuilds marked days and builds days not built yet; rebuild() is the operators' command.
"""

import secrets
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, event, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import ReportDay, ReportDayBuilt, ReportDirtyDay, Ticket
from ticketing.stats import sql
from ticketing.stats.figures import ANSWERED_IN_TIME, RESOLVED_IN_TIME, really_resolved

MOMENTS = ("created_at", "first_response_at", "resolved_at")
REPORTABLE = (
    *MOMENTS,
    "department_id",
    "assignee_id",
    "channel",
    "status",
    "reopened_count",
    "merged_into_id",
    "department",  # set through the relationship, the column follows only at the flush
    "assignee",
    "merged_into",
    "first_response_due_at",
    "resolution_due_at",
    "first_response_business_minutes",
    "resolution_business_minutes",
)
DIMENSIONS = ("department_id", "assignee_id", "channel")
GRACE = timedelta(minutes=10)  # a day is built once it has been over this long
HISTORY_DAYS = 120  # refresh() builds missing days this far back (a quarter and a month)
DAYS_PER_PASS = 40  # and at most this many per pass, newest first


def timezone() -> str:
    return current_app.config["TIMEZONE"]


def local_date(moment: datetime, tz: str) -> date:
    return hours.to_local(moment, tz).date()


def bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The local day as a half-open naive UTC range, as stats/scope.py turns periods."""
    start = hours.local_to_utc(datetime.combine(day, time()), tz)
    return start, hours.local_to_utc(datetime.combine(day + timedelta(days=1), time()), tz)


def facts(kind: str, window, conditions: list):
    """The rows one figure counts, with the report dimensions: "created" (reopened flag),
    "answered" and "resolved" (business minutes, calendar seconds, within target)."""
    dims = [getattr(Ticket, name).label(name) for name in DIMENSIONS]
    if kind == "created":
        return select(*dims, case((Ticket.reopened_count > 0, 1), else_=0).label("reopened")).where(
            window(Ticket.created_at), *conditions
        )
    at, business, in_time, extra = {
        "answered": (
            Ticket.first_response_at,
            Ticket.first_response_business_minutes,
            ANSWERED_IN_TIME,
            [],
        ),
        "resolved": (
            Ticket.resolved_at,
            Ticket.resolution_business_minutes,
            RESOLVED_IN_TIME,
            [really_resolved()],
        ),
    }[kind]
    return select(
        *dims,
        business.label("business"),
        sql.seconds_between(Ticket.created_at, at).label("calendar"),
        case((in_time, 1), else_=0).label("in_time"),
    ).where(window(at), *extra, *conditions)


def build_day(day: date, tz: str) -> int:
    """Rebuild one day's rollup from the tickets and clear the mark it saw; rows written."""
    if sql.dialect() == "postgresql":  # two builders of one day would both insert
        db.session.execute(text("SELECT pg_advisory_xact_lock(7301, :d)"), {"d": day.toordinal()})
    seen = db.session.scalar(select(ReportDirtyDay.token).where(ReportDirtyDay.day == day))
    start, end = bounds(day, tz)

    def window(column):
        return and_(column >= start, column < end)

    merged = [Ticket.merged_into_id.is_(None)]
    groups: dict[tuple, dict] = {}
    for kind in ("created", "answered", "resolved"):
        for row in db.session.execute(facts(kind, window, merged)):
            _add(groups, kind, row)
    db.session.execute(delete(ReportDay).where(ReportDay.day == day))
    db.session.add_all(_rows(day, groups))
    db.session.merge(ReportDayBuilt(day=day, timezone=tz, built_at=hours.now()))
    if seen is not None:
        db.session.execute(
            delete(ReportDirtyDay).where(ReportDirtyDay.day == day, ReportDirtyDay.token == seen)
        )
    db.session.flush()
    return len(groups)


def _add(groups: dict, kind: str, row) -> None:
    key = (row.department_id, row.assignee_id, str(row.channel))
    group = groups.setdefault(
        key,
        {
            "created": 0,
            "reopened": 0,
            "resolved": 0,
            "answered_in_time": 0,
            "resolved_in_time": 0,
            "answered_business": [],
            "answered_calendar": [],
            "resolved_business": [],
            "resolved_calendar": [],
        },
    )
    if kind == "created":
        group["created"] += 1
        group["reopened"] += row.reopened
        return
    if kind == "resolved":
        group["resolved"] += 1
    if row.business is None:  # counted as resolved, but has no time to report
        return
    group[f"{kind}_in_time"] += row.in_time
    group[f"{kind}_business"].append(row.business)
    group[f"{kind}_calendar"].append(row.calendar)


def _rows(day: date, groups: dict) -> list[ReportDay]:
    rows = []
    for key, figures in groups.items():
        for value in figures.values():
            if isinstance(value, list):
                value.sort()
        rows.append(ReportDay(day=day, **dict(zip(DIMENSIONS, key, strict=True)), **figures))
    return rows


def refresh(now: datetime | None = None) -> int:
    """Rebuild the marked days and build the recent days not built yet (each over for
    GRACE at least), committing day by day; returns how many days were built."""
    tz, now = timezone(), now or hours.now()
    last = local_date(now - GRACE, tz) - timedelta(days=1)
    first = last - timedelta(days=HISTORY_DAYS - 1)
    marked = set(db.session.scalars(select(ReportDirtyDay.day).where(ReportDirtyDay.day <= last)))
    built = set(
        db.session.scalars(
            select(ReportDayBuilt.day).where(
                ReportDayBuilt.day >= first, ReportDayBuilt.timezone == tz
            )
        )
    )
    missing = {first + timedelta(days=n) for n in range(HISTORY_DAYS)} - built
    days = (sorted(marked, reverse=True) + sorted(missing - marked, reverse=True))[:DAYS_PER_PASS]
    db.session.rollback()  # end the reading transaction before the day-by-day writes
    for day in days:
        build_day(day, tz)
        db.session.commit()
    return len(days)


def rebuild(first: date, last: date) -> int:
    """Build every day from `first` to `last` again (after an upgrade or a time zone
    change), committing day by day; returns the rollup rows written."""
    tz, rows = timezone(), 0
    for n in range((last - first).days + 1):
        rows += build_day(first + timedelta(days=n), tz)
        db.session.commit()
    return rows


@event.listens_for(Session, "before_flush")
def _mark_changed_days(session: Session, context, instances) -> None:
    """Mark the past days whose figures the flush changes, in the same transaction."""
    tickets = [t for t in (*session.new, *session.deleted) if isinstance(t, Ticket)]
    tickets += [t for t in session.dirty if isinstance(t, Ticket) and _reportable(t)]
    if tickets:
        with session.no_autoflush:
            _mark_days_of(session, tickets)


def _mark_days_of(session: Session, tickets: list[Ticket]) -> None:
    tz = timezone()
    today = local_date(hours.now(), tz)
    moments, unknown = [], []
    for ticket in tickets:
        state = inspect(ticket)
        for name in MOMENTS:
            history = state.attrs[name].history
            moments += [*history.deleted, getattr(ticket, name)]
            if history.added and not history.deleted and state.persistent:
                unknown.append(ticket.id)  # changed before its old value was loaded
    if unknown:
        columns = [getattr(Ticket, name) for name in MOMENTS]
        for row in session.execute(select(*columns).where(Ticket.id.in_(unknown))):
            moments += list(row)
    days = {day for m in moments if m is not None and (day := local_date(m, tz)) < today}
    if days:
        _mark(session, days)


def _reportable(ticket: Ticket) -> bool:
    attrs = inspect(ticket).attrs
    return any(attrs[name].history.has_changes() for name in REPORTABLE)


def _mark(session: Session, days: set[date]) -> None:
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = ReportDirtyDay.__table__
    token = secrets.token_hex(16)
    statement = dialect.insert(table).values([{"day": d, "token": token} for d in sorted(days)])
    connection.execute(
        statement.on_conflict_do_update(index_elements=[table.c.day], set_={"token": token})
    )


def usable_days(days: list[date], tz: str, today: date) -> set[date]:
    """Of `days`, those whose rollup equals the live figures: built in `tz`, over, unmarked."""
    if not days:
        return set()
    built = db.session.scalars(
        select(ReportDayBuilt.day).where(
            ReportDayBuilt.day.between(days[0], days[-1]),
            ReportDayBuilt.timezone == tz,
            ReportDayBuilt.day < today,
        )
    )
    dirty = db.session.scalars(
        select(ReportDirtyDay.day).where(ReportDirtyDay.day.between(days[0], days[-1]))
    )
    return set(built) - set(dirty)
