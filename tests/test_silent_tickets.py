"""A ticket in progress with no next step is a defect the supervisor must see, with why:
the silent-tickets view lists it, and says what the policy would do and what went wrong."""

from harness import MONDAY_10_NAIROBI, page_text, statements_of
from sqlalchemy import update

from ticketing import events, lifecycle, stats
from ticketing.models import Customer, Ticket
from ticketing.models.enums import Channel, Role


def open_one(db, department):
    department("General")
    customer = Customer(name="Wanjiku", phone="+254712000001")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(customer, subject="Fridge", body="Broken", channel=Channel.SMS)
    db.session.commit()
    return ticket


def silence(db, ticket):
    """What a bug or a hand edit does: the ticket loses its next step."""
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(next_follow_up_at=None))
    db.session.commit()
    db.session.expire_all()


def test_a_ticket_with_no_next_step_is_listed_with_what_the_policy_would_do(db, department, clock):
    clock.set(MONDAY_10_NAIROBI)
    ticket = open_one(db, department)
    assert stats.silent_tickets() == []
    silence(db, ticket)
    [(found, reason)] = stats.silent_tickets()
    assert found.id == ticket.id
    assert "first response reminder was due" in reason and "outside the lifecycle" in reason


def test_the_reason_names_the_failed_step_and_the_page_shows_it(
    db, department, staff, client, login, clock
):
    clock.set(MONDAY_10_NAIROBI)
    ticket = open_one(db, department)
    events.record_by_id(ticket.id, "follow_up_failed", step="x", error="mail template exploded")
    silence(db, ticket)
    [(_, reason)] = stats.silent_tickets()
    assert "failed (mail template exploded)" in reason
    login(client, staff("grace", role=Role.SUPERVISOR))
    text = page_text(client.get("/reports/").get_data(as_text=True))
    assert ticket.reference in text and "Why: its last follow-up step failed" in text


def test_the_list_reads_the_last_failures_in_one_query_and_names_each_tickets_own(
    db, department, clock
):
    clock.set(MONDAY_10_NAIROBI)
    department("General")
    tickets = []
    for n in range(3):
        customer = Customer(name=f"Customer {n}", phone=f"+25471200001{n}")
        db.session.add(customer)
        tickets.append(
            lifecycle.open_ticket(customer, subject="Fridge", body="Broken", channel=Channel.SMS)
        )
    db.session.commit()
    first, second, third = tickets
    events.record_by_id(first.id, "follow_up_failed", step="x", error="old failure")
    events.record_by_id(first.id, "follow_up_failed", step="x", error="newest failure")
    events.record_by_id(second.id, "follow_up_failed", step="x", error="second's failure")
    for ticket in tickets:
        silence(db, ticket)
    listed = []
    statements = statements_of(lambda: listed.extend(stats.silent_tickets()), r"\bevents\b")
    reasons = {found.id: reason for found, reason in listed}
    assert len(statements) == 1  # not one per ticket
    assert "failed (newest failure)" in reasons[first.id] and "old" not in reasons[first.id]
    assert "failed (second's failure)" in reasons[second.id]
    assert "failed" not in reasons[third.id] and "outside the lifecycle" in reasons[third.id]
