"""Daily report rollups: per organisation-local day and report dimensions, the counts and
the durations the dashboard's ticket figures need. Written only by ticketing/stats/rollup.py;
the tickets stay the source of truth and any day can be rebuilt from them."""

from datetime import date, datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.extensions import db


class ReportDay(db.Model):
    """One local day's tickets of one department, assignee and channel (the filters the
    dashboard is read with most; a priority or category filter is counted live). The duration
    lists are sorted whole numbers (business minutes, calendar seconds), so medians and
    percentiles come out exactly as the live query's."""

    __tablename__ = "report_days"
    __table_args__ = (Index("ix_report_days_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    department_id: Mapped[int | None]
    assignee_id: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(32))
    created: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)  # of the created, those reopened since
    resolved: Mapped[int] = mapped_column(default=0)  # really resolved (figures.really_resolved)
    answered_in_time: Mapped[int] = mapped_column(default=0)
    resolved_in_time: Mapped[int] = mapped_column(default=0)
    answered_business: Mapped[list] = mapped_column(JSON, default=list)
    answered_calendar: Mapped[list] = mapped_column(JSON, default=list)
    resolved_business: Mapped[list] = mapped_column(JSON, default=list)
    resolved_calendar: Mapped[list] = mapped_column(JSON, default=list)


class ReportDayBuilt(db.Model):
    """A local day whose rollup rows are complete, and the time zone its bounds were in."""

    __tablename__ = "report_days_built"

    day: Mapped[date] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime]


class ReportDirtyDay(db.Model):
    """A local day whose tickets changed since its rollup was built. The token changes with
    every mark, so a rebuild clears only the mark it saw (never one written meanwhile)."""

    __tablename__ = "report_dirty_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
