"""Business time, Kenyan public holidays and quiet hours, to the minute and at every boundary.

Pure: a real `hours.Calendar` over the default Kenyan week (Monday-Friday 08-17, Saturday
09-13, Sunday closed), no database. The server's own zone must never matter, so these tests run
with the process in a zone far from both UTC and Nairobi. `make mutate` runs them.
"""

import time as process_time
from datetime import UTC, date, datetime, time, timedelta

import pytest

from ticketing import hours
from ticketing.models.people import DEFAULT_WEEK

TZ = "Africa/Nairobi"
QUIET = (time(21, 0), time(8, 0))
KENYA = hours.Calendar.from_settings(DEFAULT_WEEK, TZ, "KE")


@pytest.fixture(autouse=True)
def server_in_another_zone(monkeypatch):
    """The machine's local zone is America/Lima (UTC-5): a naive-as-local slip shows."""
    monkeypatch.setenv("TZ", "America/Lima")
    process_time.tzset()
    yield
    monkeypatch.undo()
    process_time.tzset()


def eat(*fields) -> datetime:
    return hours.local_to_utc(datetime(*fields), TZ)


# -- the clock and zones --------------------------------------------------------------------------


def test_now_is_naive_utc_whatever_the_server_zone():
    before = datetime.now(UTC).replace(tzinfo=None)
    moment = hours.now()
    assert moment.tzinfo is None
    assert before <= moment <= datetime.now(UTC).replace(tzinfo=None)


def test_frozen_clocks_nest_and_unwind():
    outer, inner = datetime(2026, 6, 1, 5, 0), datetime(2026, 6, 2, 5, 0)
    with hours.frozen(outer) as at:
        assert at == outer and hours.now() == outer
        with hours.frozen(inner):
            assert hours.now() == inner
        assert hours.now() == outer
    assert hours.now() != outer
    with pytest.raises(RuntimeError), hours.frozen(inner):
        raise RuntimeError
    assert hours.now() != inner


def test_zone_conversions_are_exact():
    local = hours.to_local(datetime(2026, 6, 2, 5, 0), TZ)
    assert local == datetime(2026, 6, 2, 8, 0, tzinfo=hours.ZoneInfo(TZ))
    assert str(local.tzinfo) == TZ and local.hour == 8
    assert hours.to_utc(local) == datetime(2026, 6, 2, 5, 0)
    assert hours.to_utc(local).tzinfo is None
    assert hours.local_to_utc(datetime(2026, 6, 2, 8, 0), TZ) == datetime(2026, 6, 2, 5, 0)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("2026-06-02T08:00:00+03:00", datetime(2026, 6, 2, 5, 0)),
        ("2026-06-02T05:00:00Z", datetime(2026, 6, 2, 5, 0)),
        (" 2026-06-02T05:00 \n", datetime(2026, 6, 2, 5, 0)),
        ("2026-06-02 05:00:30", datetime(2026, 6, 2, 5, 0, 30)),
        ("2026-06-01T23:30:00-05:00", datetime(2026, 6, 2, 4, 30)),
    ],
)
def test_an_iso_time_is_read_as_naive_utc(typed, expected):
    moment = hours.parse_utc(typed)
    assert moment == expected and moment.tzinfo is None


@pytest.mark.parametrize("typed", ["2 June", "", "2026-06-02T05:00:00z"])
def test_an_unreadable_iso_time_is_refused(typed):
    # A lowercase "z" is refused, as by datetime.fromisoformat; only "Z" means UTC.
    with pytest.raises(ValueError):
        hours.parse_utc(typed)


@pytest.mark.parametrize(
    "typed, expected", [("8:00", time(8, 0)), (" 21:05 ", time(21, 5)), ("00:00", time(0, 0))]
)
def test_hh_mm(typed, expected):
    assert hours.parse_hhmm(typed) == expected


@pytest.mark.parametrize("typed", ["", None, "8", "8:0", "08:000", "24:00", "08:60", "a:bc"])
def test_not_hh_mm(typed):
    with pytest.raises(ValueError):
        hours.parse_hhmm(typed)


def test_a_short_minute_is_named_in_the_error():
    with pytest.raises(ValueError) as refused:
        hours.parse_hhmm("8:5")
    assert str(refused.value) == "not a HH:MM time: '8:5'"


# -- the calendar ---------------------------------------------------------------------------------


def test_kenyan_public_holidays():
    closed = hours.public_holidays("KE", 2026)
    assert closed[date(2026, 6, 1)] == "Madaraka Day"
    assert closed[date(2026, 10, 20)] == "Mashujaa Day"
    assert closed[date(2026, 12, 12)] == "Jamhuri Day"
    assert date(2026, 6, 2) not in closed


def test_a_calendar_from_settings():
    calendar = hours.Calendar.from_settings(
        {"0": ["08:00", "17:00"], "2": None, "3": [], "5": ["9:00", "13:00"]},
        TZ,
        "KE",
        [date(2026, 6, 3)],
    )
    assert calendar.week == {0: (time(8, 0), time(17, 0)), 5: (time(9, 0), time(13, 0))}
    assert calendar.tz == TZ and calendar.country == "KE"
    assert calendar.extra_holidays == frozenset({date(2026, 6, 3)})
    assert hours.Calendar.from_settings(None, TZ, "KE").week == {}
    assert hours.Calendar.from_settings(DEFAULT_WEEK, TZ, "KE").extra_holidays == frozenset()


def test_holiday_names_public_added_and_none():
    calendar = hours.Calendar.from_settings(DEFAULT_WEEK, TZ, "KE", [date(2026, 6, 3)])
    assert calendar.holiday_name(date(2026, 6, 1)) == "Madaraka Day"
    assert calendar.holiday_name(date(2026, 10, 20)) == "Mashujaa Day"
    assert calendar.holiday_name(date(2026, 6, 3)) == "Holiday"
    assert calendar.holiday_name(date(2026, 6, 2)) is None


def test_a_calendar_without_a_country_has_only_the_added_holidays():
    calendar = hours.Calendar.from_settings(DEFAULT_WEEK, TZ, "", [date(2026, 6, 3)])
    assert calendar.country == ""
    assert calendar.holiday_name(date(2026, 6, 1)) is None
    assert calendar.is_working_day(date(2026, 6, 1))
    assert not calendar.is_working_day(date(2026, 6, 3))
    assert calendar.add_minutes(eat(2026, 5, 29, 16, 0), 360) == eat(2026, 6, 1, 9, 0)


def test_working_days():
    assert KENYA.is_working_day(date(2026, 6, 2))  # Tuesday
    assert KENYA.is_working_day(date(2026, 5, 30))  # Saturday
    assert not KENYA.is_working_day(date(2026, 5, 31))  # Sunday
    assert not KENYA.is_working_day(date(2026, 6, 1))  # Madaraka Day
    assert not KENYA.is_working_day(date(2026, 10, 20))  # Mashujaa Day


# -- business minutes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, minutes, expected",
    [
        ((2026, 6, 2, 10, 0), 0, (2026, 6, 2, 10, 0)),  # nothing to add, in working hours
        ((2026, 6, 2, 10, 0), -30, (2026, 6, 2, 10, 0)),  # never backwards
        ((2026, 6, 2, 10, 0), 1, (2026, 6, 2, 10, 1)),
        ((2026, 6, 2, 16, 0), 60, (2026, 6, 2, 17, 0)),  # exactly to the close: that day
        ((2026, 6, 2, 16, 0), 61, (2026, 6, 3, 8, 1)),
        ((2026, 6, 2, 17, 0), 0, (2026, 6, 3, 8, 0)),  # at the close: the next opening
        ((2026, 6, 2, 20, 0), 30, (2026, 6, 3, 8, 30)),  # at night
        ((2026, 6, 2, 6, 0), 30, (2026, 6, 2, 8, 30)),  # before the opening
        ((2026, 6, 2, 8, 0), 540, (2026, 6, 2, 17, 0)),  # a whole day
        ((2026, 6, 2, 8, 0), 541, (2026, 6, 3, 8, 1)),
        ((2026, 5, 30, 12, 0), 60, (2026, 5, 30, 13, 0)),  # Saturday closes at 13:00
        ((2026, 5, 30, 12, 0), 120, (2026, 6, 2, 9, 0)),  # Sunday, Madaraka Day
        ((2026, 5, 31, 10, 0), 10, (2026, 6, 2, 8, 10)),  # from a Sunday
        ((2026, 10, 19, 15, 0), 480, (2026, 10, 21, 14, 0)),  # across Mashujaa Day
        ((2026, 12, 11, 16, 0), 120, (2026, 12, 14, 9, 0)),  # Jamhuri Day is a Saturday
    ],
)
def test_add_business_minutes(start, minutes, expected):
    assert KENYA.add_minutes(eat(*start), minutes) == eat(*expected)


@pytest.mark.parametrize(
    "start, end, expected",
    [
        ((2026, 6, 2, 10, 0), (2026, 6, 2, 10, 0), 0),
        ((2026, 6, 2, 10, 0), (2026, 6, 2, 9, 0), 0),
        ((2026, 6, 2, 10, 0), (2026, 6, 2, 10, 1), 1),
        ((2026, 6, 2, 10, 0, 30), (2026, 6, 2, 10, 2), 1),  # whole minutes, rounded down
        ((2026, 6, 2, 6, 0), (2026, 6, 2, 23, 0), 540),
        ((2026, 6, 2, 16, 0), (2026, 6, 3, 8, 0), 60),  # ends at an opening
        ((2026, 6, 2, 16, 0), (2026, 6, 3, 9, 0), 120),
        ((2026, 6, 2, 18, 0), (2026, 6, 2, 20, 0), 0),  # all night
        ((2026, 5, 29, 16, 0), (2026, 6, 2, 9, 0), 360),  # Saturday, Sunday, Madaraka Day
        ((2026, 10, 19, 15, 0), (2026, 10, 21, 14, 0), 480),  # Mashujaa Day
    ],
)
def test_business_minutes_between(start, end, expected):
    assert KENYA.minutes_between(eat(*start), eat(*end)) == expected


def test_business_time_looks_400_days_ahead_and_no_further():
    """400 closed days in a row is the end of the search: an error, not an endless loop."""
    start = date(2026, 6, 2)
    closed = [start + timedelta(days=n) for n in range(400)]
    calendar = hours.Calendar.from_settings(DEFAULT_WEEK, TZ, "", closed)
    with pytest.raises(ValueError):
        calendar.add_minutes(eat(2026, 6, 2, 10, 0), 1)
    with pytest.raises(ValueError):
        calendar.next_working_morning(eat(2026, 6, 2, 7, 0), time(8, 0))
    almost = hours.Calendar.from_settings(DEFAULT_WEEK, TZ, "", closed[:-1])
    assert almost.add_minutes(eat(2026, 6, 2, 10, 0), 1) == eat(2027, 7, 6, 8, 1)
    assert almost.next_working_morning(eat(2026, 6, 2, 7, 0), time(8, 0)) == eat(2027, 7, 6, 8, 0)


def test_a_calendar_without_working_hours_says_so():
    closed = hours.Calendar.from_settings({}, TZ, "KE")
    with pytest.raises(ValueError) as refused:
        closed.add_minutes(eat(2026, 6, 2, 9, 0), 60)
    assert str(refused.value) == "no working hours in the calendar"
    with pytest.raises(ValueError) as refused:
        closed.next_working_morning(eat(2026, 6, 2, 9, 0), time(8, 0))
    assert str(refused.value) == "no working day in the calendar"


# -- quiet hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "after, expected",
    [
        ((2026, 6, 2, 7, 59), (2026, 6, 2, 8, 0)),  # strictly after: the same morning
        ((2026, 6, 2, 8, 0), (2026, 6, 3, 8, 0)),  # at 08:00 itself: the next one
        ((2026, 5, 30, 22, 0), (2026, 6, 2, 8, 0)),  # Saturday night, Sunday, Madaraka Day
        ((2026, 10, 19, 21, 0), (2026, 10, 21, 8, 0)),  # Mashujaa Day
    ],
)
def test_the_next_working_morning(after, expected):
    assert KENYA.next_working_morning(eat(*after), time(8, 0)) == eat(*expected)


@pytest.mark.parametrize(
    "local, released",
    [
        ((2026, 6, 2, 8, 0), None),  # the quiet hours end at 08:00 sharp
        ((2026, 6, 2, 20, 59), None),
        ((2026, 6, 2, 21, 0), (2026, 6, 3, 8, 0)),  # they start at 21:00 sharp
        ((2026, 6, 2, 7, 59), (2026, 6, 2, 8, 0)),
        ((2026, 6, 2, 0, 0), (2026, 6, 2, 8, 0)),
        ((2026, 5, 30, 12, 59), None),  # Saturday is a working day
        ((2026, 5, 30, 17, 0), None),  # even after its 13:00 close: not a quiet hour
        ((2026, 5, 30, 21, 30), (2026, 6, 2, 8, 0)),  # Sunday and Madaraka Day are closed
        ((2026, 5, 31, 12, 0), (2026, 6, 2, 8, 0)),
        ((2026, 6, 1, 9, 0), (2026, 6, 2, 8, 0)),
        ((2026, 10, 20, 10, 0), (2026, 10, 21, 8, 0)),  # Mashujaa Day
        ((2026, 10, 19, 23, 0), (2026, 10, 21, 8, 0)),  # the night before it
        ((2026, 12, 12, 10, 0), (2026, 12, 14, 8, 0)),  # Jamhuri Day, then Sunday
    ],
)
def test_a_message_is_held_until_the_quiet_hours_end(local, released):
    expected = eat(*released) if released else None
    assert KENYA.quiet_until(eat(*local), *QUIET) == expected


def test_quiet_hours_switched_off_still_hold_a_closed_day():
    off = (time(0, 0), time(0, 0))
    assert KENYA.quiet_until(eat(2026, 6, 2, 23, 0), *off) is None
    assert KENYA.quiet_until(eat(2026, 6, 1, 12, 0), *off) == eat(2026, 6, 2, 0, 0)


@pytest.mark.parametrize(
    "clock, start, end, quiet",
    [
        ((21, 0), (21, 0), (8, 0), True),
        ((20, 59), (21, 0), (8, 0), False),
        ((0, 0), (21, 0), (8, 0), True),
        ((7, 59), (21, 0), (8, 0), True),
        ((8, 0), (21, 0), (8, 0), False),
        ((12, 0), (21, 0), (8, 0), False),
        ((1, 0), (1, 0), (6, 0), True),
        ((5, 59), (1, 0), (6, 0), True),
        ((6, 0), (1, 0), (6, 0), False),
        ((0, 59), (1, 0), (6, 0), False),
        ((7, 0), (1, 0), (6, 0), False),
        ((8, 0), (8, 0), (8, 0), False),
        ((23, 0), (0, 0), (0, 0), False),
    ],
)
def test_is_quiet(clock, start, end, quiet):
    assert hours.is_quiet(time(*clock), time(*start), time(*end)) is quiet


# -- working hours typed by an admin --------------------------------------------------------------


def test_closed_days_may_come_first():
    week = hours.parse_week({0: None, 1: ("08:00", "17:00"), 2: None, 3: ("8:30", "12:00")})
    assert week == {"1": ["08:00", "17:00"], "3": ["08:30", "12:00"]}


def test_a_day_may_not_close_when_it_opens():
    with pytest.raises(ValueError) as refused:
        hours.parse_week({2: ("08:00", "08:00")})
    assert str(refused.value) == "Wednesday: the closing time must be after the opening time"
    assert hours.parse_week({2: ("08:00", "08:01")}) == {"2": ["08:00", "08:01"]}


def test_a_week_without_working_hours_is_refused():
    with pytest.raises(ValueError) as refused:
        hours.parse_week({0: None, 6: ()})
    assert str(refused.value) == (
        "at least one day needs working hours, or no deadline could be set"
    )
    with pytest.raises(ValueError) as refused:
        hours.parse_week({4: ("08:00",)})
    assert str(refused.value) == "Friday: give times as HH:MM, e.g. 08:00"
