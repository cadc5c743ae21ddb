"""Time: the injectable clock, business-time arithmetic, public holidays and quiet hours.

The only module that knows about time zones. Datetimes elsewhere are naive UTC.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

_frozen: datetime | None = None


def now() -> datetime:
    """The current time as naive UTC, or the moment a test or operator froze it at."""
    return _frozen or datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def frozen(at: datetime):
    """Make now() return `at` (naive UTC) inside the block."""
    global _frozen
    previous, _frozen = _frozen, at
    try:
        yield at
    finally:
        _frozen = previous


def to_local(moment: datetime, tz: str) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def to_utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def parse_utc(value: str) -> datetime:
    """An ISO time as naive UTC; one with an offset is converted, one without is taken as UTC."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return to_utc(moment) if moment.tzinfo else moment


def local_to_utc(local_naive: datetime, tz: str) -> datetime:
    """A wall-clock time typed by a person in zone `tz`, as naive UTC."""
    return to_utc(local_naive.replace(tzinfo=ZoneInfo(tz)))


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_hhmm(value: str) -> time:
    """ "08:00" as a time; ValueError for anything else."""
    hour, minute = (value or "").strip().split(":")
    if len(minute) != 2:
        raise ValueError(f"not a HH:MM time: {value!r}")
    return time(int(hour), int(minute))


@lru_cache(maxsize=64)
def public_holidays(country: str, year: int) -> dict[date, str]:
    return dict(holiday_calendars.country_holidays(country, years=year))


@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday (0 = Monday) in a time zone, minus closed days."""

    tz: str
    week: dict[int, tuple[time, time]]
    country: str = "KE"
    extra_holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, working_hours: dict, tz: str, country: str, extra=()) -> "Calendar":
        week = {
            int(day): (parse_hhmm(span[0]), parse_hhmm(span[1]))
            for day, span in (working_hours or {}).items()
            if span
        }
        return cls(tz=tz, week=week, country=country, extra_holidays=frozenset(extra))

    def holiday_name(self, day: date) -> str | None:
        if day in self.extra_holidays:
            return "Holiday"
        return public_holidays(self.country, day.year).get(day) if self.country else None

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.week and self.holiday_name(day) is None

    def _windows(self, start_local: datetime, days: int = 400):
        """Yield (open, close) local datetimes of working windows from start_local on."""
        zone = ZoneInfo(self.tz)
        for offset in range(days):
            day = start_local.date() + timedelta(days=offset)
            if not self.is_working_day(day):
                continue
            opens, closes = self.week[day.weekday()]
            window_open = datetime.combine(day, opens, zone)
            window_close = datetime.combine(day, closes, zone)
            if window_close > start_local:
                yield max(window_open, start_local), window_close

    def add_minutes(self, start: datetime, minutes: int) -> datetime:
        """The UTC moment `minutes` business minutes after `start` (UTC)."""
        left = timedelta(minutes=max(minutes, 0))
        cursor = to_local(start, self.tz)
        for window_open, window_close in self._windows(cursor):
            span = window_close - window_open
            if left <= span:
                return to_utc(window_open + left)
            left -= span
        raise ValueError("no working hours in the calendar")

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Business minutes from `start` to `end` (both UTC); 0 when end is not after start."""
        if end <= start:
            return 0
        total = timedelta()
        end_local = to_local(end, self.tz)
        for window_open, window_close in self._windows(to_local(start, self.tz)):
            if window_open >= end_local:
                break
            total += min(window_close, end_local) - window_open
        return int(total.total_seconds() // 60)

    def next_working_morning(self, after: datetime, morning: time) -> datetime:
        """The first `morning` local time strictly after `after` on a day that is not closed."""
        local = to_local(after, self.tz)
        zone = ZoneInfo(self.tz)
        for offset in range(0, 400):
            day = local.date() + timedelta(days=offset)
            candidate = datetime.combine(day, morning, zone)
            if candidate > local and self.is_working_day(day):
                return to_utc(candidate)
        raise ValueError("no working day in the calendar")

    def quiet_until(self, moment: datetime, quiet_start: time, quiet_end: time) -> datetime | None:
        """When a proactive message written at `moment` may go out, or None if it may go now.

        Quiet are the nightly hours and the whole of a closed day (a public holiday, a day
        without working hours): what is held goes at `quiet_end` on the next working day.
        """
        local = to_local(moment, self.tz)
        if self.is_working_day(local.date()) and not is_quiet(local.time(), quiet_start, quiet_end):
            return None
        return self.next_working_morning(moment, quiet_end)


def is_quiet(clock: time, quiet_start: time, quiet_end: time) -> bool:
    """Whether a wall-clock time falls in the quiet hours; they may span midnight."""
    if quiet_start == quiet_end:
        return False
    if quiet_start > quiet_end:
        return clock >= quiet_start or clock < quiet_end
    return quiet_start <= clock < quiet_end


class WeekError(ValueError):
    """Working hours that cannot be stored; `day` is the weekday at fault (None: the week)."""

    def __init__(self, message: str, day: int | None = None):
        super().__init__(message)
        self.day = day


def parse_week(spans: dict[int, tuple[str, str] | None]) -> dict[str, list[str]]:
    """Working hours as typed by an admin, checked, in Department.working_hours form.

    `spans` maps a weekday (0 = Monday) to (opens, closes) as "HH:MM", or None when closed.
    """
    week = {}
    for day, span in sorted(spans.items()):
        if not span:
            continue
        try:
            opens, closes = parse_hhmm(span[0]), parse_hhmm(span[1])
        except (ValueError, IndexError):
            raise WeekError(f"{DAY_NAMES[day]}: give times as HH:MM, e.g. 08:00", day) from None
        if opens >= closes:
            raise WeekError(
                f"{DAY_NAMES[day]}: the closing time must be after the opening time", day
            )
        week[str(day)] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
    if not week:
        raise WeekError("at least one day needs working hours, or no deadline could be set")
    return week
