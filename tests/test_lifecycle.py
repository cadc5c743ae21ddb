"""The one writer of ticket state: each move writes an event and owes the right messages."""

from datetime import datetime

import pytest
from harness import MONDAY_10_NAIROBI
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.models import Customer, Event, Outbox
from ticketing.models.enums import Category, Channel, Outcome, Priority, Status


@pytest.fixture
def setup(db, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    general = department("General")
    after_sales = department("After-sales service", keywords="fridge, friji, repair")
    otieno = staff("otieno", departments=[after_sales])
    customer = Customer(name="Wanjiku", phone="+254712000001")
    db.session.add(customer)
    db.session.commit()
    return general, after_sales, otieno, customer


def open_fridge(customer, **fields):
    return lifecycle.open_ticket(
        customer, subject="", body="My fridge is not cooling", channel=Channel.SMS, **fields
    )


def kinds(db, ticket):
    return [
        e.kind
        for e in db.session.scalars(
            select(Event).where(Event.ticket_id == ticket.id).order_by(Event.id)
        )
    ]


def test_open_routes_by_keyword_assigns_and_acknowledges(db, setup):
    _, after_sales, otieno, customer = setup
    ticket = open_fridge(customer)
    db.session.commit()
    assert ticket.department == after_sales
    assert ticket.assignee == otieno
    assert ticket.reference.startswith("FT-") and len(ticket.reference) == 8
    assert ticket.status == Status.NEW
    assert kinds(db, ticket) == ["created", "assigned"]
    ack = db.session.scalar(select(Outbox).where(Outbox.ticket_id == ticket.id))
    assert (ack.kind, ack.channel, ack.recipient) == ("received", Channel.SMS, "+254712000001")
    assert ticket.reference in ack.body
    # Monday 10:00 + 8 business hours (08:00-17:00 days): 7 on Monday, 1 on Tuesday -> 09:00
    assert ticket.first_response_due_at == datetime(2026, 11, 24, 6, 0)
    assert ticket.next_follow_up_at is not None


def test_reply_measures_first_response_and_goes_out_on_the_customer_channel(db, setup, clock):
    *_, otieno, customer = setup
    ticket = open_fridge(customer)
    clock.advance(hours=2)
    message = lifecycle.reply(ticket, by=otieno, body="A technician will come tomorrow")
    db.session.commit()
    assert ticket.status == Status.OPEN
    assert ticket.first_response_at == clock.moment
    assert ticket.first_response_business_minutes == 120
    assert message.outbox.channel == Channel.SMS
    assert message.outbox.is_automatic is False
    assert "A technician will come tomorrow" in message.outbox.body


def test_closed_ticket_refuses_a_reply_until_reopened(db, setup):
    *_, otieno, customer = setup
    ticket = open_fridge(customer)
    lifecycle.close(ticket, by=otieno, reason="duplicate")
    with pytest.raises(lifecycle.TransitionError, match="closed"):
        lifecycle.reply(ticket, by=otieno, body="hello")
    lifecycle.reopen(ticket, outcome=Outcome.REOPENED_BY_AGENT, by=otieno, reason="customer called")
    lifecycle.reply(ticket, by=otieno, body="hello again")
    assert ticket.status == Status.OPEN and ticket.reopened_count == 1


@pytest.mark.parametrize(
    "start, target",
    [
        (Status.RESOLVED, Status.PENDING_CUSTOMER),
        (Status.CLOSED, Status.RESOLVED),
        (Status.CLOSED, Status.PENDING_CUSTOMER),
    ],
)
def test_illegal_moves_raise_a_clear_error(db, setup, start, target):
    *_, otieno, customer = setup
    ticket = open_fridge(customer)
    lifecycle.set_status(ticket, start, by=otieno)
    with pytest.raises(lifecycle.TransitionError, match="cannot go from"):
        lifecycle.set_status(ticket, target, by=otieno)
    assert ticket.status == start


def test_pending_pauses_the_charter_clock_and_the_answer_resumes_it(db, setup, clock):
    *_, otieno, customer = setup
    ticket = open_fridge(customer)
    due_before = ticket.resolution_due_at
    lifecycle.reply(ticket, by=otieno, body="Which model is it?", status=Status.PENDING_CUSTOMER)
    assert ticket.due_at is None and ticket.resolution_minutes_left > 0
    clock.advance(days=2)  # Wednesday 10:00: two business days pass while we wait
    lifecycle.add_customer_message(ticket, body="LG 260L", channel=Channel.SMS)
    assert ticket.status == Status.OPEN
    assert ticket.resolution_due_at > due_before
    assert ticket.due_at == ticket.resolution_due_at


def test_resolving_after_sale_asks_to_confirm_the_fix(db, setup):
    *_, otieno, customer = setup
    ticket = open_fridge(customer, category=Category.AFTER_SALE)
    lifecycle.resolve(ticket, by=otieno, note="thermostat replaced")
    db.session.commit()
    owed = db.session.scalars(select(Outbox.kind).where(Outbox.ticket_id == ticket.id)).all()
    assert owed == ["received", "confirm_fix"]
    assert ticket.resolution_business_minutes == 0


def test_merge_moves_the_thread_and_refuses_itself(db, setup):
    *_, otieno, customer = setup
    first, second = open_fridge(customer), open_fridge(customer)
    with pytest.raises(lifecycle.TransitionError, match="itself"):
        lifecycle.merge(first, first, by=otieno)
    lifecycle.merge(second, first, by=otieno)
    db.session.commit()
    assert second.status == Status.CLOSED and second.merged_into == first
    assert len(first.messages) == 2 and second.messages == []
    with pytest.raises(lifecycle.TransitionError, match="merged"):
        lifecycle.reopen(second, outcome=Outcome.REOPENED_BY_AGENT, by=otieno)


def test_priority_change_moves_due_times(db, setup):
    *_, otieno, customer = setup
    ticket = open_fridge(customer)
    normal_due = ticket.first_response_due_at
    lifecycle.set_priority(ticket, Priority.URGENT, by=otieno)
    assert ticket.first_response_due_at < normal_due
    assert "priority" in kinds(db, ticket)


def test_transfer_hands_over_to_the_new_department(db, setup, staff):
    general, _, otieno, customer = setup
    kamau = staff("kamau", departments=[general])
    ticket = open_fridge(customer)
    lifecycle.transfer(ticket, general, by=otieno)
    assert ticket.department == general and ticket.assignee == kamau


def test_assign_refuses_an_agent_outside_the_department(db, setup, staff):
    general, *_, customer = setup
    outsider = staff("kamau", departments=[general])
    ticket = open_fridge(customer)
    with pytest.raises(lifecycle.TransitionError, match="not in"):
        lifecycle.assign(ticket, outsider, by=None)


def test_a_priority_change_after_a_pause_keeps_the_time_the_customer_took(db, setup, clock):
    *_, otieno, customer = setup
    ticket = open_fridge(customer)
    lifecycle.reply(ticket, by=otieno, body="Which model?", status=Status.PENDING_CUSTOMER)
    clock.advance(days=10)  # she answers ten days later: the clock was paused meanwhile
    lifecycle.add_customer_message(ticket, body="LG 260L", channel=Channel.SMS)
    lifecycle.set_priority(ticket, Priority.HIGH, by=otieno)
    db.session.commit()
    assert ticket.resolution_due_at > clock.moment and ticket.due_at > clock.moment
