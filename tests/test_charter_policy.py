"""The service charter on a ticket, to the minute: due times from the targets in business time,
the clock paused while we wait for the customer, measured business minutes, the queue's due
time, and `calendar_for`, which keeps one business calendar per process until the settings
change (ticketing/settings_cache.py).

No project conftest (`make mutate` runs these with --noconftest): a ticket is a SimpleNamespace
with the fields ticketing/charter.py reads, a department is a transient `Department` (never
saved) with its `CharterTarget`s. `calendar_for` reads the app config and the admins' holidays,
so the module builds its own app on a throwaway SQLite file holding only the settings tables.
The week is the default Kenyan one: Monday-Friday 08-17, Saturday 09-13, Sunday closed; Monday
1 June 2026 is Madaraka Day. The machine's own zone must never matter: the process runs in
America/Lima (UTC-5).
"""

import time as process_time
from datetime import date, datetime, time
from types import SimpleNamespace

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ticketing import charter, create_app, hours, settings_cache
from ticketing.extensions import db
from ticketing.models import (
    CharterTarget,
    Department,
    Holiday,
    SettingsVersion,
    User,
    user_departments,
)
from ticketing.models.enums import Priority
from ticketing.models.people import DEFAULT_WEEK

TZ = "Africa/Nairobi"


def eat(*fields) -> datetime:
    """A Nairobi wall-clock time as the naive UTC the models store."""
    return hours.local_to_utc(datetime(*fields), TZ)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("charter") / "charter.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "charter-policy",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "TIMEZONE": TZ,
            "HOLIDAY_COUNTRY": "KE",
        }
    )
    with app.app_context():
        models = (User, *settings_cache.SETTINGS_MODELS, SettingsVersion)  # users: supervisors
        tables = [model.__table__ for model in models] + [user_departments]
        db.metadata.create_all(db.engine, tables=tables)
    return app


@pytest.fixture(autouse=True)
def context(app, monkeypatch):
    """An app context per test (so a fresh session), the server in Lima, no holidays left."""
    monkeypatch.setenv("TZ", "America/Lima")
    process_time.tzset()
    with app.app_context():
        yield
        db.session.rollback()
        for row in db.session.scalars(select(Department)).all() + holidays():
            db.session.delete(row)  # through the ORM: the settings stamp changes too
        db.session.commit()
    monkeypatch.undo()
    process_time.tzset()


def billing(**hours_override) -> Department:
    """Billing promises a first answer in 60 business minutes and a fix in 600 (NORMAL)."""
    return Department(
        id=7,
        name="Billing",
        working_hours=hours_override.get("week", DEFAULT_WEEK),
        targets=[
            CharterTarget(
                priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=600
            ),
            CharterTarget(
                priority=Priority.URGENT, first_response_minutes=30, resolution_minutes=120
            ),
        ],
    )


UNSET = datetime(1999, 1, 1)  # a value no charter function would compute


def ticket(**fields) -> SimpleNamespace:
    defaults = {
        "department": billing(),
        "priority": Priority.NORMAL,
        "is_open": True,
        "created_at": eat(2026, 5, 29, 15, 0),  # Friday 15:00, before the long weekend
        "first_response_at": None,
        "first_response_due_at": None,
        "resolution_due_at": None,
        "resolution_minutes_left": None,
        "due_at": UNSET,
        "first_response_business_minutes": None,
        "resolution_business_minutes": None,
    }
    return SimpleNamespace(**(defaults | fields))


def add_holiday(day: date, name: str = "Office closed") -> None:
    db.session.add(Holiday(day=day, name=name))
    db.session.commit()


def holidays() -> list[Holiday]:
    return list(db.session.scalars(select(Holiday)))


def as_another_process(*rows) -> None:
    """Rows added and committed by another session, as an admin's request in another worker."""
    with Session(db.engine) as other:
        other.add_all(rows)
        other.commit()


# -- targets ------------------------------------------------------------------------------------


def test_the_department_target_for_the_priority_wins():
    assert charter.targets(ticket()) == (60, 600)
    assert charter.targets(ticket(priority=Priority.URGENT)) == (30, 120)


@pytest.mark.parametrize(
    "priority, expected",
    [
        (Priority.LOW, (960, 2880)),
        (Priority.HIGH, (240, 960)),
    ],
)
def test_a_priority_without_a_target_uses_the_fallback(priority, expected):
    assert charter.targets(ticket(priority=priority)) == expected


def test_a_saved_department_s_targets_are_the_kept_ones_without_loading_its_own():
    db.session.add(billing())
    db.session.commit()
    saved = db.session.get(Department, 7)
    assert charter.targets(ticket(department=saved)) == (60, 600)
    assert charter.targets(ticket(department=saved, priority=Priority.LOW)) == (960, 2880)
    assert "targets" not in inspect(saved).dict  # the kept values answered: no query


def test_a_department_without_targets_uses_the_fallback_for_every_priority():
    bare = Department(id=8, name="Bare", working_hours=DEFAULT_WEEK, targets=[])
    assert charter.targets(ticket(department=bare)) == (480, 1440)
    assert charter.targets(ticket(department=bare, priority=Priority.URGENT)) == (60, 480)


# -- start_clock --------------------------------------------------------------------------------


def test_start_clock_sets_due_times_in_business_time_over_a_holiday_weekend():
    t = ticket(resolution_minutes_left=45)
    charter.start_clock(t, now=eat(2026, 6, 10, 9, 0))  # `now` does not matter: created_at does
    # 60 minutes from Friday 15:00 is Friday 16:00.
    assert t.first_response_due_at == eat(2026, 5, 29, 16, 0)
    # 600: 120 on Friday, 240 on Saturday, Sunday shut, Madaraka Day shut, 240 from Tuesday 08:00.
    assert t.resolution_due_at == eat(2026, 6, 2, 12, 0)
    assert t.resolution_minutes_left is None
    assert t.due_at == eat(2026, 5, 29, 16, 0)  # the queue sorts on the first answer


def test_start_clock_on_the_fallback_targets():
    bare = Department(id=8, name="Bare", working_hours=DEFAULT_WEEK, targets=[])
    t = ticket(department=bare)
    charter.start_clock(t, now=eat(2026, 5, 29, 15, 0))
    # 480: 120 Friday + 240 Saturday + 120 from Tuesday 08:00.
    assert t.first_response_due_at == eat(2026, 6, 2, 10, 0)
    # 1440: 360 to Saturday, 540 Tuesday, 540 Wednesday: exactly at Wednesday's close.
    assert t.resolution_due_at == eat(2026, 6, 3, 17, 0)


def test_start_clock_keeps_the_first_answer_due_time_once_answered():
    answered = eat(2026, 5, 29, 15, 20)
    t = ticket(first_response_at=answered, first_response_due_at=UNSET)
    charter.start_clock(t, now=eat(2026, 5, 29, 15, 30))
    assert t.first_response_due_at == UNSET
    assert t.resolution_due_at == eat(2026, 6, 2, 12, 0)
    assert t.due_at == eat(2026, 6, 2, 12, 0)  # answered: the resolution is what is due


def test_start_clock_skips_an_admin_holiday():
    add_holiday(date(2026, 6, 2))  # Tuesday closed as well
    t = ticket()
    charter.start_clock(t, now=eat(2026, 5, 29, 15, 0))
    assert t.first_response_due_at == eat(2026, 5, 29, 16, 0)
    assert t.resolution_due_at == eat(2026, 6, 3, 12, 0)  # Wednesday, not Tuesday


def test_start_clock_on_a_closed_ticket_sets_due_times_but_no_queue_time():
    t = ticket(is_open=False)
    charter.start_clock(t, now=eat(2026, 5, 29, 15, 0))
    assert t.resolution_due_at == eat(2026, 6, 2, 12, 0)
    assert t.due_at is None


# -- pause_clock and resume_clock -------------------------------------------------------------


def test_the_clock_pauses_over_a_weekend_and_resumes_with_what_was_left():
    t = ticket()
    charter.start_clock(t, now=eat(2026, 5, 29, 15, 0))
    charter.pause_clock(t, now=eat(2026, 5, 29, 16, 0))  # Friday 16:00: we ask the customer
    # Left until Tuesday 12:00: 60 Friday + 240 Saturday + 240 Tuesday (Monday is a holiday).
    assert t.resolution_minutes_left == 540
    assert t.due_at is None
    assert t.resolution_due_at == eat(2026, 6, 2, 12, 0)  # kept until the clock resumes

    charter.resume_clock(t, now=eat(2026, 6, 6, 12, 0))  # a week later, Saturday 12:00
    # 540 from Saturday 12:00: 60 on Saturday, Sunday shut, 480 from Monday 8 June 08:00.
    assert t.resolution_due_at == eat(2026, 6, 8, 16, 0)
    assert t.resolution_minutes_left is None
    assert t.due_at == eat(2026, 5, 29, 16, 0)  # still unanswered: the first answer is due


def test_resuming_an_answered_ticket_makes_the_resolution_due():
    t = ticket(
        first_response_at=eat(2026, 5, 29, 15, 10),
        first_response_due_at=eat(2026, 5, 29, 16, 0),
        resolution_due_at=UNSET,
        resolution_minutes_left=90,
        due_at=None,
    )
    charter.resume_clock(t, now=eat(2026, 6, 1, 10, 0))  # Madaraka Day: counts from Tuesday
    assert t.resolution_due_at == eat(2026, 6, 2, 9, 30)
    assert t.resolution_minutes_left is None
    assert t.due_at == eat(2026, 6, 2, 9, 30)


def test_a_paused_clock_does_not_pause_again():
    t = ticket(resolution_due_at=eat(2026, 6, 2, 12, 0), resolution_minutes_left=100, due_at=None)
    charter.pause_clock(t, now=eat(2026, 5, 29, 16, 0))
    assert t.resolution_minutes_left == 100
    assert t.due_at is None and t.resolution_due_at == eat(2026, 6, 2, 12, 0)


def test_a_clock_never_started_does_not_pause():
    t = ticket(due_at=UNSET)
    charter.pause_clock(t, now=eat(2026, 5, 29, 16, 0))
    assert t.resolution_minutes_left is None
    assert t.due_at == UNSET


def test_a_clock_past_its_deadline_pauses_with_nothing_left():
    t = ticket(resolution_due_at=eat(2026, 6, 2, 12, 0), due_at=eat(2026, 6, 2, 12, 0))
    charter.pause_clock(t, now=eat(2026, 6, 3, 9, 0))
    assert t.resolution_minutes_left == 0
    assert t.due_at is None


def test_a_running_clock_does_not_resume():
    t = ticket(resolution_due_at=eat(2026, 6, 2, 12, 0), due_at=UNSET)
    charter.resume_clock(t, now=eat(2026, 6, 6, 12, 0))
    assert t.resolution_due_at == eat(2026, 6, 2, 12, 0)
    assert t.resolution_minutes_left is None
    assert t.due_at == UNSET


# -- refresh_due --------------------------------------------------------------------------------

FIRST, FIX = eat(2026, 5, 29, 16, 0), eat(2026, 6, 2, 12, 0)


@pytest.mark.parametrize(
    "is_open, answered, left, expected",
    [
        (True, False, None, FIRST),
        (True, True, None, FIX),
        (True, False, 30, None),  # paused: nothing is due while we wait
        (True, True, 30, None),
        (False, False, None, None),  # closed: nothing is due
        (False, True, None, None),
        (False, True, 30, None),
    ],
)
def test_refresh_due_is_the_next_deadline_that_still_matters(is_open, answered, left, expected):
    t = ticket(
        is_open=is_open,
        first_response_at=eat(2026, 5, 29, 15, 30) if answered else None,
        first_response_due_at=FIRST,
        resolution_due_at=FIX,
        resolution_minutes_left=left,
    )
    charter.refresh_due(t)
    assert t.due_at == expected
    assert (t.due_at is None) is (expected is None)


# -- measured business minutes ----------------------------------------------------------------


def test_the_first_answer_is_measured_in_business_minutes():
    t = ticket(first_response_due_at=FIRST, resolution_due_at=FIX)
    answered = eat(2026, 6, 2, 9, 30)  # Tuesday 09:30
    charter.measure_first_response(t, answered)
    assert t.first_response_at == answered
    assert t.first_response_business_minutes == 120 + 240 + 90  # Fri, Sat, Tue
    assert t.due_at == FIX  # answered: the resolution is what is due now


def test_the_resolution_is_measured_in_business_minutes():
    t = ticket(due_at=UNSET)
    charter.measure_resolution(t, eat(2026, 6, 3, 10, 15))  # Wednesday 10:15
    assert t.resolution_business_minutes == 120 + 240 + 540 + 135
    assert t.due_at == UNSET  # measuring alone leaves the queue to the caller


def test_measured_minutes_skip_an_admin_holiday():
    add_holiday(date(2026, 6, 2))
    t = ticket()
    charter.measure_resolution(t, eat(2026, 6, 3, 10, 15))
    assert t.resolution_business_minutes == 120 + 240 + 135
    charter.measure_first_response(t, eat(2026, 6, 3, 8, 1))
    assert t.first_response_business_minutes == 120 + 240 + 1


def test_an_answer_outside_hours_measures_only_business_minutes():
    t = ticket(created_at=eat(2026, 5, 30, 14, 0))  # Saturday after closing
    charter.measure_first_response(t, eat(2026, 6, 1, 11, 0))  # on Madaraka Day
    assert t.first_response_business_minutes == 0
    assert t.first_response_at == eat(2026, 6, 1, 11, 0)


# -- calendar_for -------------------------------------------------------------------------------


def test_the_calendar_comes_from_the_department_the_config_and_the_holidays():
    add_holiday(date(2026, 12, 24), "Christmas Eve")
    calendar = charter.calendar_for(billing())
    assert calendar.tz == TZ
    assert calendar.country == "KE"
    assert calendar.extra_holidays == frozenset({date(2026, 12, 24)})
    assert calendar == hours.Calendar.from_settings(DEFAULT_WEEK, TZ, "KE", [date(2026, 12, 24)])
    assert calendar.holiday_name(date(2026, 6, 1)) is not None  # Madaraka Day, from the country


def test_one_calendar_while_the_settings_stand():
    desk = billing()
    first = charter.calendar_for(desk)
    assert charter.calendar_for(desk) is first
    assert charter.calendar_for(billing()) is first  # same department, same hours
    db.session.commit()
    assert charter.calendar_for(billing()) is first  # the next transaction too: nothing changed


def test_another_department_or_other_hours_get_their_own_calendar():
    desk = billing()
    first = charter.calendar_for(desk)
    short = {"0": ["09:00", "12:00"]}
    other = Department(id=9, name="Field", working_hours=short, targets=[])
    assert charter.calendar_for(other) is not first
    assert charter.calendar_for(other).week == {0: (time(9), time(12))}
    desk.working_hours = short  # changed in this transaction, not yet saved
    changed = charter.calendar_for(desk)
    assert changed is not first
    assert changed.week == {0: (time(9), time(12))}
    assert charter.calendar_for(billing()) is first


def test_a_holiday_added_in_the_transaction_counts_at_once():
    desk = billing()
    before = charter.calendar_for(desk)
    assert before.extra_holidays == frozenset()
    db.session.add(Holiday(day=date(2026, 6, 2), name="Office move"))
    db.session.flush()
    after = charter.calendar_for(desk)
    assert after is not before
    assert after.extra_holidays == frozenset({date(2026, 6, 2)})


def test_a_new_transaction_reads_another_process_s_holidays():
    desk = billing()
    before = charter.calendar_for(desk)
    db.session.commit()
    as_another_process(Holiday(day=date(2026, 6, 2), name="Move"))
    after = charter.calendar_for(desk)
    assert after is not before
    assert after.extra_holidays == frozenset({date(2026, 6, 2)})


def test_the_holidays_are_read_once_per_transaction():
    desk = billing()
    charter.calendar_for(desk)
    as_another_process(Holiday(day=date(2026, 6, 2), name="Move"))  # seen when this one ends
    other = Department(id=9, name="Field", working_hours={"0": ["09:00", "12:00"]}, targets=[])
    assert charter.calendar_for(other).extra_holidays == frozenset()
    db.session.commit()
    assert charter.calendar_for(other).extra_holidays == frozenset({date(2026, 6, 2)})


def test_a_holiday_rolled_back_is_never_seen():
    desk = billing()
    db.session.add(Holiday(day=date(2026, 6, 2), name="Move"))
    db.session.flush()
    assert charter.calendar_for(desk).extra_holidays == frozenset({date(2026, 6, 2)})
    db.session.rollback()
    assert charter.calendar_for(desk).extra_holidays == frozenset()


def test_a_new_priority_counts_only_the_time_spent_not_the_pause():
    t = ticket()
    charter.start_clock(t, now=eat(2026, 5, 29, 15, 0))
    charter.pause_clock(t, now=eat(2026, 5, 29, 16, 0))  # 540 of 600 left
    charter.resume_clock(t, now=eat(2026, 6, 6, 12, 0))  # due Monday 8 June 16:00
    now = eat(2026, 6, 8, 9, 0)
    calendar = charter.calendar_for(t.department)
    spent = 600 - calendar.minutes_between(now, t.resolution_due_at)
    previous = charter.targets(t)
    t.priority = Priority.HIGH  # the fallback: 960 minutes to resolve
    charter.retarget(t, now, previous)
    assert t.resolution_due_at == calendar.add_minutes(now, 960 - spent) > now
    assert t.first_response_due_at == calendar.add_minutes(t.created_at, 240)  # from creation


def test_a_new_priority_already_exceeded_is_due_at_once():
    t = ticket()
    charter.start_clock(t, now=eat(2026, 5, 29, 15, 0))
    now = eat(2026, 6, 3, 12, 0)  # well past the 600 normal minutes
    previous = charter.targets(t)
    t.priority = Priority.URGENT
    charter.retarget(t, now, previous)
    assert t.resolution_due_at == charter.calendar_for(t.department).add_minutes(now, 0)


def test_a_new_priority_while_paused_changes_what_is_left_not_the_pause():
    t = ticket()
    charter.start_clock(t, now=eat(2026, 5, 29, 15, 0))
    charter.pause_clock(t, now=eat(2026, 5, 29, 16, 0))  # 540 of 600 left: 60 spent
    previous = charter.targets(t)
    t.priority = Priority.URGENT  # 120 to resolve
    charter.retarget(t, eat(2026, 6, 3, 12, 0), previous)
    assert t.resolution_minutes_left == 60 and t.due_at is None


def test_retarget_leaves_a_ticket_without_a_resolution_clock_alone():
    t = ticket(created_at=eat(2026, 6, 2, 10, 0))
    charter.retarget(t, eat(2026, 6, 2, 10, 0), (60, 600))
    assert t.resolution_due_at is None and t.resolution_minutes_left is None
    calendar = charter.calendar_for(t.department)
    assert t.first_response_due_at == calendar.add_minutes(eat(2026, 6, 2, 10, 0), 60)
    assert t.due_at == t.first_response_due_at


def test_a_new_priority_while_paused_already_exceeded_leaves_nothing():
    t = ticket()
    charter.start_clock(t, now=eat(2026, 5, 29, 15, 0))
    charter.pause_clock(t, now=eat(2026, 6, 3, 12, 0))  # 600 normal minutes all spent
    assert t.resolution_minutes_left == 0
    previous = charter.targets(t)
    t.priority = Priority.URGENT  # 120: already exceeded
    charter.retarget(t, eat(2026, 6, 3, 13, 0), previous)
    assert t.resolution_minutes_left == 0
