"""A digit means one thing: the answer to a question we actually sent and that is still open.
Anything else is filed on the thread and changes nothing; SMS and the status page agree."""

import pytest
from harness import CUSTOMER, MONDAY_10_NAIROBI, Phone
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.extensions import db
from ticketing.models import Ticket
from ticketing.models.enums import Direction, Status


@pytest.fixture
def fridge(sms_app, department, staff, clock, run_jobs, twilio):
    """Wanjiku's after-sale ticket, resolved by Otieno; returns her phone and the ticket id."""
    clock.set(MONDAY_10_NAIROBI)
    department("General")
    otieno = staff("otieno", departments=[department("After-sales", keywords="friji")])
    phone = Phone(sms_app.test_client(), CUSTOMER, twilio=twilio)
    phone.text("Friji yangu haipoi")
    run_jobs()
    ticket = db.session.scalar(select(Ticket))
    lifecycle.resolve(ticket, by=otieno)
    db.session.commit()
    return phone, ticket.id


def ticket_now(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def test_a_digit_sent_before_the_question_left_is_filed_and_changes_nothing(
    fridge, run_jobs, clock
):
    phone, ticket_id = fridge  # "is it fixed?" is still held for the combining window
    phone.text("2")
    run_jobs()
    ticket = ticket_now(ticket_id)
    assert ticket.status == Status.RESOLVED and ticket.reopened_count == 0
    assert (ticket.messages[-1].direction, ticket.messages[-1].body) == (Direction.INBOUND, "2")


def test_the_answer_to_a_question_sent_counts_once_and_a_second_is_only_filed(
    fridge, run_jobs, clock
):
    from workers.sweep import sweep_stuck

    phone, ticket_id = fridge
    clock.advance(minutes=10)
    sweep_stuck()  # the held question goes out
    run_jobs()
    assert "Jibu 1" in phone.received()[-1] or "Reply 1" in phone.received()[-1]
    phone.text("1")
    run_jobs()
    assert ticket_now(ticket_id).status == Status.CLOSED
    clock.advance(days=10)
    phone.text("2")  # ten days later: no question is open, she answered already
    run_jobs()
    ticket = ticket_now(ticket_id)
    assert ticket.status == Status.CLOSED and ticket.reopened_count == 0
    assert [m.body for m in ticket.messages if m.direction == Direction.INBOUND][-2:] == ["1", "2"]


def test_a_rating_digit_before_the_rating_question_does_not_reopen_a_closed_ticket(
    fridge, run_jobs, clock
):
    phone, ticket_id = fridge
    lifecycle.close(ticket_now(ticket_id))
    db.session.commit()
    clock.advance(minutes=1)
    phone.text("4")  # a minute after closing; the survey has not been sent
    run_jobs()
    ticket = ticket_now(ticket_id)
    assert (ticket.status, ticket.satisfaction_score, ticket.reopened_count) == (
        Status.CLOSED,
        None,
        0,
    )
    assert ticket.messages[-1].body == "4"
