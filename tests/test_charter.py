"""The service charter on a ticket: due times at creation in business time, a clock that pauses
while we wait for the customer, measured minutes, and the public /charter page."""

from datetime import date, timedelta

import pytest
from harness import TZ, eat, figures, page_text

from ticketing import hours, lifecycle
from ticketing.models import CharterTarget, Customer, Holiday
from ticketing.models.enums import Channel, Outcome, Priority, Status


@pytest.fixture
def billing(db, department, staff, clock):
    clock.set(eat(2026, 5, 29, 15, 0))  # Friday 15:00, before the Madaraka Day weekend
    desk = department("Billing", description="Payments and refunds.")
    desk.targets = [
        CharterTarget(priority=Priority.NORMAL, first_response_minutes=240, resolution_minutes=960),
        CharterTarget(priority=Priority.URGENT, first_response_minutes=60, resolution_minutes=240),
    ]
    kamau = staff("kamau", departments=[desk])
    brian = Customer(name="Brian", email="brian@example.co.ke")
    db.session.add(brian)
    db.session.commit()
    return desk, kamau, brian


def open_charge(brian, **fields):
    return lifecycle.open_ticket(
        brian, subject="Charged twice", body="KES 4,500 twice", channel=Channel.EMAIL, **fields
    )


def test_due_times_are_set_at_creation_in_business_time(db, billing):
    *_, brian = billing
    ticket = open_charge(brian)
    # 240 business minutes from Friday 15:00: 2 h Friday, 2 h Saturday 09-11.
    assert ticket.first_response_due_at == eat(2026, 5, 30, 11, 0)
    # 960: 2 Fri + 4 Sat, Sunday shut, Monday is Madaraka Day, 10 more from Tuesday 08:00.
    assert ticket.resolution_due_at == eat(2026, 6, 3, 9, 0)
    assert ticket.due_at == ticket.first_response_due_at  # the queue sorts on the next one


def test_a_department_without_a_target_for_the_priority_uses_the_fallback(db, billing):
    *_, brian = billing
    ticket = open_charge(brian, priority=Priority.LOW)  # Billing has no LOW target
    assert ticket.first_response_due_at == hours.Calendar.from_settings(
        ticket.department.working_hours, TZ, "KE"
    ).add_minutes(ticket.created_at, 960)


def test_the_clock_pauses_while_waiting_for_the_customer_and_resumes(db, billing, clock):
    _, kamau, brian = billing
    ticket = open_charge(brian)
    clock.set(eat(2026, 5, 29, 16, 0))
    lifecycle.reply(ticket, by=kamau, body="Which code?", status=Status.PENDING_CUSTOMER)
    assert ticket.first_response_business_minutes == 60
    assert ticket.resolution_minutes_left == 900 and ticket.due_at is None
    clock.set(eat(2026, 6, 4, 10, 0))  # Thursday: a week of waiting does not count
    lifecycle.add_customer_message(ticket, body="QK7H2LX9P2", channel=Channel.EMAIL)
    assert ticket.status == Status.OPEN and ticket.resolution_minutes_left is None
    assert ticket.resolution_due_at == hours.Calendar.from_settings(
        ticket.department.working_hours, TZ, "KE"
    ).add_minutes(clock.moment, 900)
    assert ticket.due_at == ticket.resolution_due_at


def test_resolution_is_measured_in_business_minutes_and_reopening_restarts_it(db, billing, clock):
    _, kamau, brian = billing
    ticket = open_charge(brian)
    clock.set(eat(2026, 6, 2, 9, 0))  # Tuesday, after the long weekend
    lifecycle.resolve(ticket, by=kamau)
    assert ticket.resolution_business_minutes == 2 * 60 + 4 * 60 + 60
    clock.set(eat(2026, 6, 2, 10, 0))
    lifecycle.reopen(ticket, outcome=Outcome.REOPENED_BY_AGENT, by=kamau, reason="customer called")
    assert ticket.resolution_due_at == eat(2026, 6, 3, 17, 0)  # 960 business minutes on


def test_an_admin_holiday_moves_the_deadline(db, billing):
    *_, brian = billing
    db.session.add(Holiday(day=date(2026, 5, 30), name="Stocktaking"))
    db.session.commit()
    ticket = open_charge(brian)
    # Saturday is now shut as well: 2 h Friday, then Tuesday 08:00 + 2 h.
    assert ticket.first_response_due_at == eat(2026, 6, 2, 10, 0)


def test_priority_changes_move_the_due_times(db, billing):
    _, kamau, brian = billing
    ticket = open_charge(brian)
    lifecycle.set_priority(ticket, Priority.URGENT, by=kamau)
    assert ticket.first_response_due_at == eat(2026, 5, 29, 16, 0)
    assert ticket.next_follow_up_at < ticket.first_response_due_at


def test_the_public_charter_page_shows_each_promise_and_this_months_record(
    db, client, billing, clock
):
    _, kamau, brian = billing
    ticket = open_charge(brian)
    clock.advance(minutes=30)
    lifecycle.reply(ticket, by=kamau, body="Looking into it")
    db.session.commit()
    page = client.get("/charter").get_data(as_text=True)
    assert "Billing" in page and "Payments and refunds." in page
    text = page_text(page)
    assert "First answer within 4 working hours" in text
    assert "Solved within 16 working hours" in text
    record = figures(page)
    assert record[f"{ticket.department_id}.normal.first_response.in_time"] == "1"


def test_the_charter_record_counts_a_late_answer_as_late(db, client, billing, clock):
    _, kamau, brian = billing
    ticket = open_charge(brian)
    clock.set(ticket.first_response_due_at + timedelta(minutes=1))
    lifecycle.reply(ticket, by=kamau, body="Sorry for the wait")
    db.session.commit()
    page = client.get("/charter").get_data(as_text=True)
    record = figures(page)
    assert record[f"{ticket.department_id}.normal.first_response.in_time"] == "0"
    assert record[f"{ticket.department_id}.normal.first_response.late"] == "1"
