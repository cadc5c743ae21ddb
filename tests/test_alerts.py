"""Staff alerts a supervisor can live with: breaches arrive as one digest per department per
scheduler pass and one summary each morning of what stays breached, never one email per
ticket; an agent hears when someone else (or routing) gives them a ticket."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from harness import eat
from sqlalchemy import func, select

from ticketing import lifecycle
from ticketing.extensions import db as _db
from ticketing.models import Customer, Event, Outbox, Ticket
from ticketing.models.enums import Channel, OutboxStatus, Role
from workers.followups import run_due_followups
from workers.sweep import sweep_stuck

MONDAY_9 = eat(2026, 11, 23, 9, 0)
FIRST_RESPONSE_DUE = eat(2026, 11, 23, 17, 0)  # normal priority: 480 business minutes


@pytest.fixture
def desks(db, department, staff, clock):
    clock.set(MONDAY_9)
    grace = staff("grace", role=Role.SUPERVISOR)
    juma = staff("juma", role=Role.SUPERVISOR)
    after_sales = department("After-sales service", keywords="fridge", supervisor=grace)
    billing = department("Billing", keywords="refund", supervisor=juma, is_default=False)
    otieno = staff("otieno", departments=[after_sales])
    kamau = staff("kamau", departments=[billing])
    return SimpleNamespace(
        after_sales=after_sales, billing=billing, grace=grace, juma=juma, otieno=otieno, kamau=kamau
    )


@pytest.fixture
def scheduler(clock, run_jobs):
    """scheduler(at): one pass at that moment (batches to the worker), then the worker runs."""

    def run(at: datetime) -> dict:
        clock.set(at)
        result = run_due_followups(at.isoformat())
        sweep_stuck()
        run_jobs()
        return result

    return run


def open_tickets(count: int, subject: str, start: int = 0) -> list[Ticket]:
    tickets = []
    for number in range(start, start + count):
        customer = Customer(name=f"Customer {number}", email=f"c{number}@example.co.ke")
        tickets.append(
            lifecycle.open_ticket(customer, subject=subject, body="Help", channel=Channel.EMAIL)
        )
    _db.session.commit()
    return tickets


def staff_mail(kind: str) -> list[Outbox]:
    _db.session.expire_all()
    return _db.session.scalars(select(Outbox).filter_by(kind=kind).order_by(Outbox.id)).all()


def test_ten_breaches_in_one_pass_reach_the_supervisor_as_one_digest(db, desks, scheduler):
    tickets = open_tickets(10, "Fridge not cooling")
    assert {t.department for t in tickets} == {desks.after_sales}
    scheduler(FIRST_RESPONSE_DUE - timedelta(hours=2))  # the reminders to Otieno
    scheduler(FIRST_RESPONSE_DUE)
    assert staff_mail("breach") == []  # no email per ticket any more
    (digest,) = staff_mail("breach_digest")
    assert (digest.recipient, digest.status) == ("grace@fuatilia.test", OutboxStatus.DELIVERED)
    assert digest.subject == "[After-sales service] 10 tickets past the charter target"
    for ticket in tickets:
        assert f"{ticket.reference} (Fridge not cooling): past its first response" in digest.body
        assert f"http://fuatilia.test/agent/tickets/{ticket.id}\n" in digest.body + "\n"
    alerted = db.session.scalar(select(func.count(Event.id)).where(Event.kind == "breach_alerted"))
    assert alerted == 10  # the breach is still an event on each ticket


def test_breaches_in_two_departments_make_two_digests(db, desks, scheduler):
    open_tickets(4, "Fridge not cooling")
    open_tickets(3, "Refund please", start=10)
    scheduler(FIRST_RESPONSE_DUE - timedelta(hours=2))
    scheduler(FIRST_RESPONSE_DUE)
    digests = {row.recipient: row for row in staff_mail("breach_digest")}
    assert sorted(digests) == ["grace@fuatilia.test", "juma@fuatilia.test"]
    assert digests["grace@fuatilia.test"].subject.startswith("[After-sales service] 4 tickets")
    assert digests["juma@fuatilia.test"].subject.startswith("[Billing] 3 tickets")


def test_a_pass_with_nothing_newly_breached_sends_no_digest(db, desks, scheduler):
    open_tickets(3, "Fridge not cooling")
    scheduler(FIRST_RESPONSE_DUE - timedelta(hours=2))
    scheduler(FIRST_RESPONSE_DUE)
    assert len(staff_mail("breach_digest")) == 1
    scheduler(FIRST_RESPONSE_DUE)  # the same moment again
    scheduler(FIRST_RESPONSE_DUE + timedelta(minutes=1))
    scheduler(FIRST_RESPONSE_DUE + timedelta(minutes=30))
    assert len(staff_mail("breach_digest")) == 1
    later = open_tickets(1, "Fridge again", start=20)[0]  # a new breach, a pass of its own
    scheduler(later.first_response_due_at - timedelta(minutes=30))
    scheduler(later.first_response_due_at)
    assert len(staff_mail("breach_digest")) == 2
    assert later.reference in staff_mail("breach_digest")[-1].body


def test_breaches_noted_by_a_slow_worker_go_in_the_next_passs_digest(db, desks, clock):
    open_tickets(2, "Fridge not cooling")
    clock.set(FIRST_RESPONSE_DUE)
    run_due_followups(FIRST_RESPONSE_DUE.isoformat())  # batch and digest job queued, not run
    db.session.commit()
    from workers.followups import run_batch

    due = db.session.execute(
        select(Ticket.id, Ticket.next_follow_up_at, Ticket.follow_up_step)
    ).all()
    run_batch([[i, at.isoformat(), step.value] for i, at, step in due])  # the batch first
    db.session.commit()
    after = FIRST_RESPONSE_DUE + timedelta(minutes=1)
    clock.set(after)
    run_due_followups(after.isoformat(), inline=True)  # no worker: this pass builds it
    (digest,) = staff_mail("breach_digest")
    assert digest.subject.startswith("[After-sales service] 2 tickets")


def test_the_daily_summary_lists_what_stays_breached_once_a_day(db, desks, scheduler):
    tickets = open_tickets(3, "Fridge not cooling")
    open_tickets(2, "Refund please", start=10)
    scheduler(FIRST_RESPONSE_DUE)
    lifecycle.reply(tickets[0], by=desks.otieno, body="On it")  # due again, later
    db.session.commit()
    scheduler(eat(2026, 11, 24, 7, 59))
    assert staff_mail("breach_summary") == []  # not before 08:00
    for at in (eat(2026, 11, 24, 8, 0), eat(2026, 11, 24, 8, 0), eat(2026, 11, 24, 8, 1)):
        scheduler(at)
    scheduler(eat(2026, 11, 24, 15, 0))
    summaries = {row.recipient: row for row in staff_mail("breach_summary")}
    assert sorted(summaries) == ["grace@fuatilia.test", "juma@fuatilia.test"]
    grace = summaries["grace@fuatilia.test"]
    assert grace.subject == "[After-sales service] Still past the charter: 2 tickets"
    assert tickets[1].reference in grace.body and tickets[0].reference not in grace.body
    assert f"/agent/tickets/{tickets[2].id}" in grace.body
    scheduler(eat(2026, 11, 25, 8, 5))  # the next morning: one more each
    assert len(staff_mail("breach_summary")) == 4


def test_two_passes_at_once_send_one_summary(db, desks, clock):
    open_tickets(2, "Fridge not cooling")
    clock.set(FIRST_RESPONSE_DUE)
    run_due_followups(FIRST_RESPONSE_DUE.isoformat(), inline=True)
    morning = clock.set(eat(2026, 11, 24, 8, 0))
    from workers.followups import send_daily_summaries

    assert send_daily_summaries(morning) == 1
    assert send_daily_summaries(morning) == 0
    assert len(staff_mail("breach_summary")) == 1


def test_an_agent_is_told_when_a_ticket_is_given_to_them(db, desks, staff, run_jobs):
    achieng = staff("achieng", departments=[desks.after_sales])
    (ticket,) = open_tickets(1, "Fridge not cooling")
    lifecycle.assign(ticket, achieng, by=desks.grace)
    db.session.commit()
    run_jobs()
    (told,) = staff_mail("assigned_to_you")
    assert (told.recipient, told.status) == ("achieng@fuatilia.test", OutboxStatus.DELIVERED)
    assert told.subject == f"[{ticket.reference}] Assigned to you: Fridge not cooling"
    assert "Grace gave you" in told.body and f"/agent/tickets/{ticket.id}" in told.body
    lifecycle.assign(ticket, desks.otieno, by=None)  # routing
    lifecycle.assign(ticket, achieng, by=achieng)  # took it herself: nothing to tell
    db.session.commit()
    assert [r.recipient for r in staff_mail("assigned_to_you")] == [
        "achieng@fuatilia.test",
        "otieno@fuatilia.test",
    ]
    assert "Routing gave you" in staff_mail("assigned_to_you")[1].body
