"""Business time, Kenyan holidays and quiet hours: the calendar arithmetic under every deadline."""

from datetime import date, datetime, time

import pytest
from harness import TZ, eat

from ticketing import charter, hours
from ticketing.models import Holiday
from ticketing.models.people import DEFAULT_WEEK

QUIET = (time(21, 0), time(8, 0))


@pytest.fixture
def calendar():
    return hours.Calendar.from_settings(DEFAULT_WEEK, TZ, "KE")


def test_business_minutes_skip_nights_sundays_and_public_holidays(calendar):
    # Friday 29 May 2026 16:00 + 4 business hours: 1 h on Friday, 3 h on Saturday (09-13)...
    assert calendar.add_minutes(eat(2026, 5, 29, 16, 0), 240) == eat(2026, 5, 30, 12, 0)
    # ...+ 6 h: Saturday closes at 13:00, Sunday is closed, Monday 1 June is Madaraka Day.
    assert calendar.add_minutes(eat(2026, 5, 29, 16, 0), 360) == eat(2026, 6, 2, 9, 0)
    assert calendar.minutes_between(eat(2026, 5, 29, 16, 0), eat(2026, 6, 2, 9, 0)) == 360
    assert calendar.holiday_name(date(2026, 6, 1)) == "Madaraka Day"
    assert calendar.holiday_name(date(2026, 10, 20)) == "Mashujaa Day"


def test_minutes_between_is_zero_backwards_and_counts_only_open_hours(calendar):
    assert calendar.minutes_between(eat(2026, 6, 2, 12, 0), eat(2026, 6, 2, 11, 0)) == 0
    assert calendar.minutes_between(eat(2026, 6, 2, 6, 0), eat(2026, 6, 2, 23, 0)) == 540


def test_a_holiday_added_by_an_admin_closes_the_day(db, department):
    general = department("General")
    db.session.add(Holiday(day=date(2026, 6, 3), name="Company retreat"))
    db.session.commit()
    calendar = charter.calendar_for(general)
    assert not calendar.is_working_day(date(2026, 6, 3))
    assert calendar.add_minutes(eat(2026, 6, 2, 16, 0), 120) == eat(2026, 6, 4, 9, 0)


@pytest.mark.parametrize(
    "local, released",
    [
        ((2026, 6, 2, 12, 0), None),  # a working Tuesday at noon: goes now
        ((2026, 6, 2, 7, 59), (2026, 6, 2, 8, 0)),  # before the morning: held until 08:00
        ((2026, 6, 2, 21, 0), (2026, 6, 3, 8, 0)),  # from 21:00: the next morning
        ((2026, 5, 31, 22, 0), (2026, 6, 2, 8, 0)),  # Sunday night, Monday is Madaraka Day
        ((2026, 6, 1, 12, 0), (2026, 6, 2, 8, 0)),  # the holiday itself is quiet all day
        ((2026, 5, 30, 12, 0), None),  # Saturday has working hours
        ((2026, 5, 31, 12, 0), (2026, 6, 2, 8, 0)),  # Sunday has none
    ],
)
def test_quiet_hours_hold_until_the_next_working_morning(calendar, local, released):
    expected = eat(*released) if released else None
    assert calendar.quiet_until(eat(*local), *QUIET) == expected


def test_quiet_hours_may_sit_inside_one_day_or_be_switched_off(calendar):
    assert hours.is_quiet(time(3, 0), time(1, 0), time(6, 0))
    assert not hours.is_quiet(time(7, 0), time(1, 0), time(6, 0))
    assert not hours.is_quiet(time(23, 0), time(0, 0), time(0, 0))
    assert calendar.quiet_until(eat(2026, 6, 2, 23, 0), time(0, 0), time(0, 0)) is None


def test_the_clock_can_be_frozen_and_is_naive_utc():
    with hours.frozen(datetime(2026, 6, 2, 5, 0)):
        assert hours.now() == datetime(2026, 6, 2, 5, 0)
    assert hours.now().tzinfo is None and hours.now() != datetime(2026, 6, 2, 5, 0)
    assert hours.to_local(datetime(2026, 6, 2, 5, 0), TZ).hour == 8


def test_working_hours_typed_by_an_admin_are_checked():
    week = hours.parse_week({0: ("8:00", "17:30"), 5: ("09:00", "13:00"), 6: None})
    assert week == {"0": ["08:00", "17:30"], "5": ["09:00", "13:00"]}
    for spans, message in [
        ({0: ("17:00", "08:00")}, "Monday: the closing time must be after the opening time"),
        ({2: ("8", "17:00")}, "Wednesday: give times as HH:MM"),
        ({4: ("25:00", "26:00")}, "Friday: give times as HH:MM"),
        ({1: ("<script>", "17:00")}, "Tuesday: give times as HH:MM"),
        ({day: None for day in range(7)}, "at least one day needs working hours"),
    ]:
        with pytest.raises(ValueError, match=message):
            hours.parse_week(spans)


def test_a_calendar_without_working_hours_says_so_instead_of_looping():
    closed = hours.Calendar.from_settings({}, TZ, "KE")
    with pytest.raises(ValueError, match="no working hours"):
        closed.add_minutes(eat(2026, 6, 2, 9, 0), 60)
