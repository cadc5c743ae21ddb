"""Call-backs a customer asked for: one open call-back ticket per customer, a promise the
department owes within its charter, an SMS with the reference and the time, and the same
reminders and missed-promise alerts as an agent's promise."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from harness import eat
from sqlalchemy import func, select

from ticketing import callbacks, lifecycle, promises
from ticketing.extensions import db
from ticketing.models import Customer, Event, Outbox, Promise, Ticket
from ticketing.models.enums import Channel, Language, Priority, PromiseStatus, Role, Status
from workers.followups import run_due_followups

MONDAY_9 = eat(2026, 11, 23, 9, 0)


@pytest.fixture
def desk(db, department, staff, clock):
    clock.set(MONDAY_9)
    grace = staff("grace", role=Role.SUPERVISOR)
    general = department("General", supervisor=grace)
    otieno = staff("otieno", departments=[general])
    return SimpleNamespace(department=general, otieno=otieno, grace=grace)


@pytest.fixture
def wanjiku(db):
    person = Customer(name="Wanjiku", phone="+254712000001", language=Language.SW)
    db.session.add(person)
    db.session.commit()
    return person


def owed(kind: str) -> list[Outbox]:
    db.session.expire_all()
    return db.session.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)).all()


def test_a_call_back_opens_a_ticket_with_the_departments_promise_and_an_sms(
    desk, wanjiku, run_jobs
):
    ticket = callbacks.request(wanjiku, channel=Channel.PHONE, reason="missed_call")
    db.session.commit()
    [promise] = ticket.promises
    assert (ticket.subject, ticket.channel, ticket.priority) == (
        "Call back requested",
        Channel.PHONE,
        Priority.HIGH,
    )
    assert promise.is_callback and promise.due_at == ticket.first_response_due_at
    assert promise.owner_name == "General team"
    [sms] = owed("callback")
    assert sms.channel == Channel.SMS and sms.recipient == "+254712000001"
    assert sms.body.startswith(f"Kumb. {ticket.reference}: tutakupigia simu +254712000001")
    assert owed("received") == []  # the call-back SMS is the acknowledgment


def test_asking_again_adds_to_the_open_call_back_instead_of_opening_more(desk, wanjiku):
    first = callbacks.request(wanjiku, channel=Channel.PHONE, reason="missed_call")
    db.session.commit()
    again = callbacks.request(wanjiku, channel=Channel.USSD, reason="ussd")
    db.session.commit()
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    assert db.session.scalar(select(func.count(Promise.id))) == 1
    assert len(owed("callback")) == 1
    reasons = db.session.scalars(
        select(Event.data).where(Event.kind == "callback_requested").order_by(Event.id)
    ).all()
    assert [r["reason"] for r in reasons] == ["missed_call", "ussd"]


def test_once_the_call_back_is_made_a_new_request_opens_a_new_one(desk, wanjiku):
    first = callbacks.request(wanjiku, channel=Channel.PHONE, reason="missed_call")
    promises.settle_promise(first.promises[0], kept=True, by=desk.otieno)
    db.session.commit()
    again = callbacks.request(wanjiku, channel=Channel.PHONE, reason="after_hours")
    db.session.commit()
    assert again.id == first.id  # her ticket is still open: the new promise is on it
    assert [p.status for p in again.promises] == [PromiseStatus.KEPT, PromiseStatus.OPEN]
    lifecycle.set_status(again, Status.CLOSED, by=desk.otieno)
    db.session.commit()
    third = callbacks.request(wanjiku, channel=Channel.PHONE, reason="missed_call")
    assert third.id != first.id


def test_a_call_back_due_reminds_whoever_holds_the_ticket_and_a_missed_one_alerts(
    desk, wanjiku, run_jobs, clock
):
    ticket = callbacks.request(wanjiku, channel=Channel.PHONE, reason="missed_call")
    db.session.commit()
    run_jobs()
    assert ticket.assignee == desk.otieno
    due = ticket.promises[0].due_at
    clock.set(due - timedelta(minutes=59))
    assert run_due_followups(clock.moment.isoformat())["promise_reminders"] == 1
    [reminder] = owed("promise_reminder")
    assert reminder.recipient == "otieno@fuatilia.test"
    clock.set(due + timedelta(minutes=1))
    assert run_due_followups(clock.moment.isoformat())["promises_missed"] == 1
    missed = owed("promise_missed")
    [staff_alert] = [row for row in missed if row.user_id == desk.grace.id]
    [told] = [row for row in missed if row.customer_id == wanjiku.id]
    assert "General team" in staff_alert.subject and told.recipient == "+254712000001"


def test_with_nobody_holding_the_ticket_the_reminder_goes_to_the_supervisor(desk, wanjiku, clock):
    desk.otieno.is_away = True
    db.session.commit()
    ticket = callbacks.request(wanjiku, channel=Channel.PHONE, reason="after_hours")
    db.session.commit()
    assert ticket.assignee is None
    clock.set(ticket.promises[0].due_at - timedelta(minutes=59))
    assert run_due_followups(clock.moment.isoformat())["promise_reminders"] == 1
    assert [row.recipient for row in owed("promise_reminder")] == ["grace@fuatilia.test"]
