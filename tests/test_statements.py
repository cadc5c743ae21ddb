"""How many SQL statements an action costs: one business calendar per action, not per step.
The counts are pinned (both databases) so that a change that adds statements is seen."""

from contextlib import contextmanager

import pytest
from harness import MONDAY_10_NAIROBI
from sqlalchemy import event

from ticketing import lifecycle
from ticketing.models import Customer, Ticket, User
from ticketing.models.enums import Channel, Status

# (most statements, holiday look-ups) per action; measured 20/2, 23/5 and 17/4 before the
# calendar was kept for the transaction. Consent per line adds what a message to the customer
# reads: the line rows (once per transaction, only when asked) and the customer's opt-outs.
BUDGET = {"open": (19, 1), "reply_pending": (17, 1), "resolve": (14, 1)}


@contextmanager
def statements(db):
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    db.session.commit()
    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture
def desk(db, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    general = department("General")
    agent = staff("otieno", departments=[general])
    customer = Customer(name="Wanjiku", phone="+254712000001")
    db.session.add(customer)
    db.session.commit()
    return agent.id, customer.id


def within(action: str, seen: list[str]) -> None:
    most, holidays = BUDGET[action]
    assert sum("holidays" in statement for statement in seen) == holidays, seen
    assert len(seen) <= most, "\n".join(seen)


def test_opening_replying_with_a_status_and_resolving_stay_within_their_statements(db, desk):
    agent_id, customer_id = desk
    with statements(db) as seen:
        ticket = lifecycle.open_ticket(
            db.session.get(Customer, customer_id),
            subject="Fridge",
            body="My fridge is broken",
            channel=Channel.SMS,
        )
    within("open", seen)
    ticket_id = ticket.id
    with statements(db) as seen:
        lifecycle.reply(
            db.session.get(Ticket, ticket_id),
            by=db.session.get(User, agent_id),
            body="Is it plugged in?",
            status=Status.PENDING_CUSTOMER,
        )
    within("reply_pending", seen)
    with statements(db) as seen:
        lifecycle.resolve(db.session.get(Ticket, ticket_id), by=db.session.get(User, agent_id))
    within("resolve", seen)
    assert db.session.get(Ticket, ticket_id).status == Status.RESOLVED
