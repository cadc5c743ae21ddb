"""The call figures, worked out by hand on a known day of calls placed through the real
webhooks: how many came in and how they ended, how fast the desk answered, how fast the
callers nobody answered were called back, and the call backs still owed and overdue."""

from datetime import timedelta

import pytest
from fakes.voice import Caller
from harness import eat, figures
from sqlalchemy import select

from ticketing import promises
from ticketing.extensions import db
from ticketing.models import Call, Line, Promise
from ticketing.models.enums import CallOutcome, Channel, PromiseStatus, Provider, Role
from ticketing.security import issue_token

SALES_NUMBER = "+254709000300"
MONDAY = (2026, 11, 23)


@pytest.fixture
def day(sms_app, department, staff, clock):
    """Monday 23 Nov 2026 in Nairobi. Customer care (the default department) gets eight calls:
    three answered after 20, 40 and 60 seconds, one missed at the desk and one abandoned
    (called back 30 and 90 minutes later), one "1" pressed and one voicemail (both still owed,
    now overdue) and one after hours at 20:00 (owed, due Tuesday). Sales, on its own number,
    gets one answered after 10 seconds and one missed (its call back marked missed). A call the week before
    counts nowhere."""
    clock.set(eat(2026, 11, 16, 10, 0))
    care = department("Customer care", desk_phone="+254720000001")
    sales = department("Sales", desk_phone="+254720000002")
    db.session.add(
        Line(provider=Provider.TWILIO, channel=Channel.SMS, address=SALES_NUMBER, department=sales)
    )
    agent = staff("otieno", departments=[care, sales])
    boss = staff("grace", role=Role.SUPERVISOR)
    client = sms_app.test_client()
    phone = iter(f"+2547120000{n:02d}" for n in range(20))

    def answered(wait, to=None, talk=60):
        caller = Caller(client, next(phone), **({"to": to} if to else {}))
        caller.calls()
        clock.advance(seconds=wait + talk)
        caller.desk("completed", seconds=talk)
        caller.hangs_up(duration=wait + talk)
        return caller

    answered(15)  # last week
    clock.set(eat(*MONDAY, 9, 0))
    for wait in (20, 40, 60):
        answered(wait)
    missed = Caller(client, next(phone))
    missed.calls()
    missed.desk("no-answer")
    clock.advance(minutes=1)
    abandoned = Caller(client, next(phone))
    abandoned.calls()
    abandoned.hangs_up(duration=8)
    pressed = Caller(client, next(phone))
    pressed.calls()
    pressed.presses("1")
    voicemail = Caller(client, next(phone))
    voicemail.calls()
    voicemail.presses("2")
    voicemail.records(seconds=30)
    answered(10, to=SALES_NUMBER)
    sales_missed = Caller(client, next(phone), to=SALES_NUMBER)
    sales_missed.calls()
    sales_missed.desk("busy")

    def keep(caller, minutes_after_call, kept=True):
        call = db.session.scalar(select(Call).where(Call.sid == caller.sid))
        promise = db.session.scalar(select(Promise).where(Promise.ticket_id == call.ticket_id))
        clock.set(call.started_at + timedelta(minutes=minutes_after_call))
        promises.settle_promise(promise, kept=kept, by=agent)
        db.session.commit()

    keep(missed, 30)
    keep(abandoned, 90)
    keep(sales_missed, 45, kept=False)  # marked missed: neither kept nor owed any more
    clock.set(eat(*MONDAY, 20, 0))
    Caller(client, next(phone)).calls()  # after hours
    clock.set(eat(*MONDAY, 20, 30))
    boss.api_token = issue_token(boss)
    db.session.commit()
    return {"care": care, "sales": sales, "boss": boss, "agent": agent}


CARE = {
    "received": 8,
    "answered": 3,
    "answer_rate_percent": 37.5,
    "missed": 1,
    "abandoned": 1,
    "after_hours": 1,
    "callback_requested": 1,
    "voicemail": 1,
    "in_progress": 0,
    "voicemails": 1,
    "answer_seconds": {"median": 40.0, "p90": 56.0},
    "callbacks_kept": 2,
    "callback_minutes": {"median": 60.0, "p90": 84.0},
    "callbacks_owed": 3,
    "callbacks_overdue": 2,
}
SALES = {
    "received": 2,
    "answered": 1,
    "answer_rate_percent": 50.0,
    "missed": 1,
    "abandoned": 0,
    "after_hours": 0,
    "callback_requested": 0,
    "voicemail": 0,
    "in_progress": 0,
    "voicemails": 0,
    "answer_seconds": {"median": 10.0, "p90": 10.0},
    "callbacks_kept": 0,
    "callback_minutes": {"median": None, "p90": None},
    "callbacks_owed": 0,
    "callbacks_overdue": 0,
}
TOTAL = {
    "received": 10,
    "answered": 4,
    "answer_rate_percent": 40.0,
    "missed": 2,
    "abandoned": 1,
    "after_hours": 1,
    "callback_requested": 1,
    "voicemail": 1,
    "in_progress": 0,
    "voicemails": 1,
    "answer_seconds": {"median": 30.0, "p90": 54.0},
    "callbacks_kept": 2,
    "callback_minutes": {"median": 60.0, "p90": 84.0},
    "callbacks_owed": 3,
    "callbacks_overdue": 2,
}


def summary(client, token, **args):
    response = client.get(
        "/api/v1/reports/summary",
        query_string={"period": "today"} | args,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["calls"]


def test_the_call_figures_match_the_day_worked_out_by_hand(web, day):
    calls = summary(web.test_client(), day["boss"].api_token)
    assert calls["total"] == TOTAL
    by_name = {row["name"]: row for row in calls["departments"]}
    assert set(by_name) == {"Customer care", "Sales"}
    assert {k: v for k, v in by_name["Customer care"].items() if k not in ("id", "name")} == CARE
    assert {k: v for k, v in by_name["Sales"].items() if k not in ("id", "name")} == SALES
    outcomes = db.session.scalars(select(Call.outcome)).all()
    assert outcomes.count(CallOutcome.ANSWERED) == 5  # with last week's


def test_the_department_filter_narrows_every_call_figure(web, day):
    calls = summary(web.test_client(), day["boss"].api_token, department=str(day["sales"].id))
    assert calls["total"] == SALES
    assert [row["name"] for row in calls["departments"]] == ["Sales"]


def test_a_longer_period_counts_last_weeks_call_too(web, day):
    calls = summary(web.test_client(), day["boss"].api_token, period="30d")
    assert calls["total"]["received"] == 11 and calls["total"]["answered"] == 5
    assert calls["total"]["answer_seconds"]["median"] == 20.0


def test_the_dashboard_shows_the_call_figures(web, login, day):
    client = login(web.test_client(), day["boss"])
    response = client.get("/reports/", query_string={"period": "today"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = figures(html)
    care = day["care"].id
    assert found["calls.total.received"] == "10"
    assert found["calls.total.answer_rate_percent"] == "40.0"
    assert found["calls.total.answer_seconds.median"] == "30.0"
    assert found["calls.total.callback_minutes.p90"] == "84.0"
    assert found["calls.total.callbacks_overdue"] == "2"
    assert found[f"calls.{care}.callbacks_owed"] == "3"
    assert found[f"calls.{care}.missed"] == "1"
    assert found["calls.total.voicemails"] == "1"
    assert "Phone calls and call backs" in html and "1 h 24 min" in html


def test_a_kept_call_back_leaves_the_owed_figures(web, day):
    owed = db.session.scalars(
        select(Promise).where(Promise.status == PromiseStatus.OPEN, Promise.agent_id.is_(None))
    ).all()
    for promise in owed:
        promises.settle_promise(promise, kept=True, by=day["agent"])
    db.session.commit()
    calls = summary(web.test_client(), day["boss"].api_token)
    assert calls["total"]["callbacks_owed"] == 0 and calls["total"]["callbacks_kept"] == 5
    assert calls["total"]["callbacks_overdue"] == 0


def test_no_calls_report_zeros_and_dashes(web, staff, clock, login):
    clock.set(eat(*MONDAY, 12, 0))
    boss = staff("grace", role=Role.SUPERVISOR)
    boss.api_token = issue_token(boss)
    db.session.commit()
    calls = summary(web.test_client(), boss.api_token)
    assert calls["total"]["received"] == 0 and calls["total"]["answer_rate_percent"] is None
    assert calls["total"]["answer_seconds"] == {"median": None, "p90": None}
    assert calls["departments"] == []
    page = login(web.test_client(), boss).get("/reports/?period=today").get_data(as_text=True)
    assert "No calls in this period." in page
