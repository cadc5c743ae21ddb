"""The agent's queue opens on what is most urgent: the earliest charter deadline first (so
breached tickets lead), then priority, then age; tickets with no deadline running come last."""

from harness import MONDAY_10_NAIROBI, page_text

from ticketing import lifecycle
from ticketing.models import Customer
from ticketing.models.enums import Channel, Priority


def open_at(clock, minutes, customer, subject, priority=Priority.NORMAL):
    clock.set(MONDAY_10_NAIROBI)
    clock.advance(minutes=minutes)
    return lifecycle.open_ticket(
        customer, subject=subject, body=subject, channel=Channel.SMS, priority=priority
    )


def test_the_queue_puts_the_earliest_deadline_first_never_the_newest(
    db, client, login, department, staff, clock
):
    general = department("General")
    agent = staff("otieno", departments=[general])
    people = [Customer(name=f"C{i}", phone=f"+25471200010{i}") for i in range(4)]
    db.session.add_all(people)
    normal = open_at(clock, 0, people[0], "Normal since ten")
    urgent = open_at(clock, 30, people[1], "Urgent since half past", Priority.URGENT)
    waiting = open_at(clock, 45, people[2], "Waiting for the customer")
    lifecycle.set_pending(waiting, by=agent)
    low = open_at(clock, 50, people[3], "Low since ten to eleven", Priority.LOW)
    clock.advance(hours=2)  # the urgent one is past its hour: breached
    db.session.commit()
    assert urgent.due_at < clock.moment < normal.due_at < low.due_at and waiting.due_at is None

    login(client, agent)
    text = page_text(client.get("/agent/?view=departments").get_data(as_text=True))
    positions = [text.index(t.reference) for t in (urgent, normal, low, waiting)]
    assert positions == sorted(positions)


def test_at_the_same_deadline_priority_then_age_decide(db, department, clock):
    from sqlalchemy import select

    from ticketing import search
    from ticketing.models import Ticket

    department("General")
    people = [Customer(name=f"C{i}", phone=f"+25471200020{i}") for i in range(3)]
    db.session.add_all(people)
    first = open_at(clock, 0, people[0], "first")
    second = open_at(clock, 1, people[1], "second")
    high = open_at(clock, 0, people[2], "high", Priority.HIGH)
    for ticket in (first, second, high):
        ticket.due_at = first.due_at  # one deadline for all three
    db.session.commit()
    order = db.session.scalars(search.urgency_order(select(Ticket.id))).all()
    assert order == [high.id, first.id, second.id]
