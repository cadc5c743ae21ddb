"""The follow-up policy as a pure function: the next step and its exact time for each status,
and the checks on what an admin types. No database: a ticket is a SimpleNamespace with the
fields `followup.plan` reads, the calendar is the real Kenyan one (`make mutate` runs these)."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from ticketing import followup, hours
from ticketing.models.enums import Category, FollowUpStep, Status
from ticketing.models.people import DEFAULT_POLICY, DEFAULT_WEEK

Step = FollowUpStep
TZ = "Africa/Nairobi"
CALENDAR = hours.Calendar.from_settings(DEFAULT_WEEK, TZ, "KE")


def eat(*fields) -> datetime:
    """A Nairobi wall-clock time as the naive UTC the models store."""
    return hours.local_to_utc(datetime(*fields), TZ)


def policy(**overrides):
    """A department's `setting` function over DEFAULT_POLICY; an unknown name is a KeyError."""
    values = DEFAULT_POLICY | overrides
    return lambda name: values[name]


# Created Friday 29 May 2026 16:00, answer due Tuesday 2 June 09:00: 360 business minutes
# (1 h on Friday, 09-13 on Saturday, Sunday closed, Monday 1 June is Madaraka Day).
CREATED = eat(2026, 5, 29, 16, 0)
FIRST_DUE = eat(2026, 6, 2, 9, 0)
RESOLUTION_DUE = eat(2026, 6, 3, 13, 0)


def ticket(**fields) -> SimpleNamespace:
    defaults = {
        "status": Status.OPEN,
        "category": Category.GENERAL,
        "follow_ups_done": [],
        "merged_into_id": None,
        "first_response_at": None,
        "first_response_due_at": FIRST_DUE,
        "created_at": CREATED,
        "resolution_due_at": RESOLUTION_DUE,
        "status_changed_at": CREATED,
        "closed_at": None,
        "satisfaction_score": None,
        "satisfaction_asked_at": None,
    }
    return SimpleNamespace(**(defaults | fields))


def plan(t, now=CREATED, setting=None):
    return followup.plan(t, now, CALENDAR, setting or policy())


# -- open: the first-response reminder, its breach, the resolution breach -----------------------


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN])
def test_an_unanswered_ticket_is_reminded_at_75_percent_of_its_business_time(status):
    # 75 % of 360 = 270 business minutes: 60 on Friday, then 09:00-12:30 on Saturday.
    assert plan(ticket(status=status)) == (Step.FIRST_RESPONSE_REMINDER, eat(2026, 5, 30, 12, 30))


def test_the_reminder_skips_the_night_sunday_and_madaraka_day():
    # 90 % of 360 = 324: Friday 60 + Saturday 240 + 24 minutes of Tuesday morning.
    step_at = plan(ticket(), setting=policy(first_response_reminder_percent=90))
    assert step_at == (Step.FIRST_RESPONSE_REMINDER, eat(2026, 6, 2, 8, 24))


def test_the_reminder_minutes_are_whole_minutes_rounded_down():
    # 33 % of 360 = 118.8 -> 118: Friday 60 + 58 on Saturday, not 09:58:48.
    step_at = plan(ticket(), setting=policy(first_response_reminder_percent=33))
    assert step_at == (Step.FIRST_RESPONSE_REMINDER, eat(2026, 5, 30, 9, 58))


def test_the_reminder_around_mashujaa_day():
    # Monday 19 Oct 2026 15:00, 8 business hours to answer: Monday 2 h, Tuesday 20 Oct is
    # Mashujaa Day, Wednesday 08-14. The reminder, at 6 h, is Wednesday 12:00.
    created, due = eat(2026, 10, 19, 15, 0), eat(2026, 10, 21, 14, 0)
    t = ticket(created_at=created, first_response_due_at=due, resolution_due_at=None)
    assert plan(t, now=created) == (Step.FIRST_RESPONSE_REMINDER, eat(2026, 10, 21, 12, 0))
    assert plan(t, now=eat(2026, 10, 21, 12, 0)) == (Step.FIRST_RESPONSE_BREACH, due)


def test_a_reminder_whose_time_has_come_gives_way_to_the_breach():
    remind_at = eat(2026, 5, 30, 12, 30)
    just_before = remind_at - timedelta(seconds=1)
    assert plan(ticket(), now=just_before) == (Step.FIRST_RESPONSE_REMINDER, remind_at)
    assert plan(ticket(), now=remind_at) == (Step.FIRST_RESPONSE_BREACH, FIRST_DUE)


def test_after_the_reminder_comes_the_first_response_breach():
    done = [Step.FIRST_RESPONSE_REMINDER]
    assert plan(ticket(follow_ups_done=done)) == (Step.FIRST_RESPONSE_BREACH, FIRST_DUE)


def test_after_the_first_response_breach_comes_the_resolution_breach():
    done = [Step.FIRST_RESPONSE_REMINDER, Step.FIRST_RESPONSE_BREACH]
    assert plan(ticket(follow_ups_done=done)) == (Step.RESOLUTION_BREACH, RESOLUTION_DUE)
    # The breach alone (reminder skipped) is enough.
    done = [Step.FIRST_RESPONSE_BREACH]
    assert plan(ticket(follow_ups_done=done)) == (Step.RESOLUTION_BREACH, RESOLUTION_DUE)


def test_an_answered_ticket_or_one_without_a_first_response_target_waits_for_resolution():
    answered = ticket(first_response_at=CREATED + timedelta(minutes=5))
    assert plan(answered) == (Step.RESOLUTION_BREACH, RESOLUTION_DUE)
    no_target = ticket(first_response_due_at=None)
    assert plan(no_target) == (Step.RESOLUTION_BREACH, RESOLUTION_DUE)


def test_a_ticket_in_breach_reminds_the_supervisor_daily():
    now = eat(2026, 6, 4, 10, 0)
    done = [Step.FIRST_RESPONSE_BREACH, Step.RESOLUTION_BREACH]
    breached = ticket(first_response_at=CREATED, follow_ups_done=done)
    assert plan(breached, now=now) == (Step.RESOLUTION_BREACH, eat(2026, 6, 5, 10, 0))
    no_due = ticket(first_response_at=CREATED, resolution_due_at=None)
    assert plan(no_due, now=now) == (Step.RESOLUTION_BREACH, eat(2026, 6, 5, 10, 0))


def test_follow_ups_done_may_be_none():
    t = ticket(follow_ups_done=None)
    assert plan(t) == (Step.FIRST_RESPONSE_REMINDER, eat(2026, 5, 30, 12, 30))


@pytest.mark.parametrize("status", list(Status))
def test_a_merged_ticket_has_no_next_step(status):
    assert plan(ticket(status=status, merged_into_id=7)) == (None, None)


# -- waiting for the customer: reminders by calendar day, then the close ------------------------

SINCE = eat(2026, 6, 1, 10, 0)  # Madaraka Day: these are calendar days, quiet hours apply later


@pytest.mark.parametrize(
    "done, expected",
    [
        ([], (Step.PENDING_REMINDER, eat(2026, 6, 2, 10, 0))),
        ([Step.FIRST_RESPONSE_REMINDER], (Step.PENDING_REMINDER, eat(2026, 6, 2, 10, 0))),
        ([Step.PENDING_REMINDER], (Step.PENDING_REMINDER, eat(2026, 6, 4, 10, 0))),
        ([Step.PENDING_REMINDER] * 2, (Step.PENDING_CLOSE, eat(2026, 6, 8, 10, 0))),
        ([Step.PENDING_REMINDER] * 3, (Step.PENDING_CLOSE, eat(2026, 6, 8, 10, 0))),
    ],
)
def test_pending_reminders_on_days_1_and_3_then_close_on_day_7(done, expected):
    t = ticket(status=Status.PENDING_CUSTOMER, status_changed_at=SINCE, follow_ups_done=done)
    assert plan(t) == expected


def test_pending_follows_the_departments_own_days():
    setting = policy(pending_reminder_days=[2], pending_close_days=9)
    t = ticket(status=Status.PENDING_CUSTOMER, status_changed_at=SINCE)
    assert plan(t, setting=setting) == (Step.PENDING_REMINDER, eat(2026, 6, 3, 10, 0))
    t.follow_ups_done = [Step.PENDING_REMINDER]
    assert plan(t, setting=setting) == (Step.PENDING_CLOSE, eat(2026, 6, 10, 10, 0))
    no_reminders = policy(pending_reminder_days=[], pending_close_days=9)
    t.follow_ups_done = []
    assert plan(t, setting=no_reminders) == (Step.PENDING_CLOSE, eat(2026, 6, 10, 10, 0))


# -- resolved: a quiet close, or "is it fixed?" for an after-sale ticket ------------------------


@pytest.mark.parametrize("category", [c for c in Category if c != Category.AFTER_SALE])
def test_a_resolved_ticket_closes_after_3_days(category):
    t = ticket(status=Status.RESOLVED, category=category, status_changed_at=SINCE)
    assert plan(t) == (Step.AUTO_CLOSE, eat(2026, 6, 4, 10, 0))
    # Steps done for another category do not matter.
    t.follow_ups_done = [Step.CONFIRM_REMINDER]
    assert plan(t, setting=policy(resolved_close_days=1)) == (
        Step.AUTO_CLOSE,
        eat(2026, 6, 2, 10, 0),
    )


def test_a_resolved_after_sale_ticket_asks_on_day_2_and_closes_on_day_5():
    t = ticket(status=Status.RESOLVED, category=Category.AFTER_SALE, status_changed_at=SINCE)
    assert plan(t) == (Step.CONFIRM_REMINDER, eat(2026, 6, 3, 10, 0))
    t.follow_ups_done = [Step.CONFIRM_REMINDER]
    assert plan(t) == (Step.CONFIRM_CLOSE, eat(2026, 6, 6, 10, 0))
    setting = policy(confirm_reminder_days=1, confirm_close_days=4)
    t.follow_ups_done = []
    assert plan(t, setting=setting) == (Step.CONFIRM_REMINDER, eat(2026, 6, 2, 10, 0))
    t.follow_ups_done = [Step.CONFIRM_REMINDER]
    assert plan(t, setting=setting) == (Step.CONFIRM_CLOSE, eat(2026, 6, 5, 10, 0))


# -- closed: the satisfaction question, then the fix check for after-sale ----------------------

CLOSED_AT = eat(2026, 10, 20, 11, 0)  # Mashujaa Day: the delay is wall-clock, not business


def closed_ticket(**fields) -> SimpleNamespace:
    base = {"status": Status.CLOSED, "status_changed_at": SINCE, "closed_at": CLOSED_AT}
    return ticket(**(base | fields))


def test_a_closed_ticket_asks_for_satisfaction_5_minutes_later():
    assert plan(closed_ticket()) == (Step.SATISFACTION, eat(2026, 10, 20, 11, 5))
    setting = policy(satisfaction_delay_minutes=0)
    assert plan(closed_ticket(), setting=setting) == (Step.SATISFACTION, CLOSED_AT)


def test_without_a_closing_time_the_status_change_counts():
    t = closed_ticket(closed_at=None)
    assert plan(t) == (Step.SATISFACTION, eat(2026, 6, 1, 10, 5))
    t = closed_ticket(closed_at=None, category=Category.AFTER_SALE, satisfaction_asked_at=SINCE)
    assert plan(t) == (Step.FIX_CHECK, eat(2026, 6, 15, 10, 0))


@pytest.mark.parametrize("score, asked", [(5, None), (None, CLOSED_AT), (4, CLOSED_AT), (0, None)])
def test_satisfaction_is_asked_once(score, asked):
    t = closed_ticket(satisfaction_score=score, satisfaction_asked_at=asked)
    assert plan(t) == (None, None)
    t.category = Category.AFTER_SALE
    assert plan(t) == (Step.FIX_CHECK, eat(2026, 11, 3, 11, 0))
    assert plan(t, setting=policy(fix_check_days=1)) == (Step.FIX_CHECK, eat(2026, 10, 21, 11, 0))
    t.follow_ups_done = [Step.FIX_CHECK]
    assert plan(t) == (None, None)


def test_an_after_sale_ticket_is_asked_for_satisfaction_before_the_fix_check():
    t = closed_ticket(category=Category.AFTER_SALE)
    assert plan(t) == (Step.SATISFACTION, eat(2026, 10, 20, 11, 5))


# -- what an admin types -------------------------------------------------------------------------

TYPED = {
    "pending_reminder_days": "1, 3",
    "pending_close_days": "7",
    "confirm_reminder_days": "2",
    "confirm_close_days": "5",
    "fix_check_days": "14",
    "resolved_close_days": "3",
    "satisfaction_delay_minutes": "5",
    "first_response_reminder_percent": "75",
    "update_combine_minutes": "3",
    "quiet_start": "21:00",
    "quiet_end": "08:00",
}


def parse(**changes):
    return followup.parse_policy(TYPED | changes)


def test_the_default_policy_typed_back_is_the_default_policy():
    assert followup.parse_policy(dict(TYPED)) == (DEFAULT_POLICY, {})


# Every bound, written out here rather than read from POLICY_LIMITS.
BOUNDS = {
    "pending_close_days": (1, 365),
    "confirm_reminder_days": (1, 365),
    "confirm_close_days": (1, 365),
    "fix_check_days": (1, 365),
    "resolved_close_days": (1, 365),
    "satisfaction_delay_minutes": (0, 10080),
    "first_response_reminder_percent": (1, 99),
    "update_combine_minutes": (0, 60),
}


@pytest.mark.parametrize("name", list(BOUNDS))
def test_each_number_is_checked_against_its_bounds(name):
    low, high = BOUNDS[name]
    for value in (str(low), str(high), f" {high} "):
        policy_, errors = parse(**{name: value})
        assert policy_[name] == int(value), value  # kept, though the order may be refused
        assert name not in errors or "before the close" in errors[name]
    message = f"a whole number from {low} to {high}"
    for value in (str(low - 1), str(high + 1), "", "x", "1.5", "-1", None):
        policy_, errors = parse(**{name: value})
        assert errors == {name: message}, (value, errors)
        assert name not in policy_
    raw = dict(TYPED)
    del raw[name]
    assert followup.parse_policy(raw)[1] == {name: message}


def test_the_bounds_are_the_documented_ones():
    assert followup.POLICY_LIMITS == BOUNDS


def test_pending_reminder_days_are_sorted_deduplicated_and_bounded():
    assert parse(pending_reminder_days="3,1, 3")[0]["pending_reminder_days"] == [1, 3]
    policy_, errors = parse(pending_reminder_days="1, 6", pending_close_days="365")
    assert errors == {} and policy_["pending_reminder_days"] == [1, 6]
    assert parse(pending_reminder_days="365", pending_close_days="365")[1] == {
        "pending_reminder_days": "every reminder must come before the close"
    }
    message = "days as whole numbers separated by commas, e.g. 1, 3"
    for typed in ("", "0", "1, 366", "1,,3", "one", "1;3", "-1", None):
        policy_, errors = parse(pending_reminder_days=typed)
        assert errors == {"pending_reminder_days": message}, typed
        assert "pending_reminder_days" not in policy_
    raw = dict(TYPED)
    del raw["pending_reminder_days"]
    assert followup.parse_policy(raw)[1] == {"pending_reminder_days": message}


def test_quiet_hours_are_times_written_back_as_hh_mm():
    policy_, errors = parse(quiet_start=" 7:30", quiet_end="23:05 ")
    assert errors == {} and (policy_["quiet_start"], policy_["quiet_end"]) == ("07:30", "23:05")
    message = "a time as HH:MM, e.g. 21:00"
    for typed in ("", "21", "21:0", "25:00", "21:00:00", "nine"):
        policy_, errors = parse(quiet_start=typed, quiet_end=typed)
        assert errors == {"quiet_start": message, "quiet_end": message}, typed
        assert "quiet_start" not in policy_ and "quiet_end" not in policy_
    raw = dict(TYPED)
    del raw["quiet_end"]
    assert followup.parse_policy(raw)[1] == {"quiet_end": message}


def test_every_reminder_must_come_before_its_close():
    before = "every reminder must come before the close"
    assert parse(pending_reminder_days="1, 7")[1] == {"pending_reminder_days": before}
    assert parse(pending_reminder_days="1, 6")[1] == {}
    assert parse(pending_reminder_days="8")[1] == {"pending_reminder_days": before}
    assert parse(confirm_reminder_days="5")[1] == {
        "confirm_reminder_days": "the reminder must come before the close"
    }
    assert parse(confirm_reminder_days="6")[1] == {
        "confirm_reminder_days": "the reminder must come before the close"
    }
    assert parse(confirm_reminder_days="4")[1] == {}


def test_the_order_is_not_checked_against_a_value_that_was_refused():
    assert followup._order_errors({}) == {}
    assert followup._order_errors({"pending_close_days": 1}) == {}
    assert followup._order_errors({"confirm_close_days": 1}) == {}
    assert followup._order_errors({"pending_reminder_days": [9], "confirm_reminder_days": 9}) == {}
    assert followup._order_errors({"pending_close_days": 2, "pending_reminder_days": [1]}) == {}
    errors = followup._order_errors(
        {
            "pending_close_days": 2,
            "pending_reminder_days": [1, 2],
            "confirm_close_days": 2,
            "confirm_reminder_days": 2,
        }
    )
    assert errors == {
        "pending_reminder_days": "every reminder must come before the close",
        "confirm_reminder_days": "the reminder must come before the close",
    }


@pytest.mark.parametrize("name", ["pending_close_days", "pending_reminder_days"])
def test_a_superscript_digit_is_refused_not_a_crash(name):
    errors = parse(**{name: "²"})[1]
    assert name in errors
