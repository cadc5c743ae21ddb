"""Wanjiku's story (../shared/stories.md, story 1) over Africa's Talking SMS, end to end: she
texts the shortcode in Swahili, every answer comes from that shortcode, the agent replies from
the ticket page, STATUS, resolved, "1", a rating of 4, and STOP to the shortcode silences that
line only. Through the callbacks with our key, real RQ workers and the AT stub."""

import pytest
from fakes.africastalking_stub import SHORTCODE
from harness import CUSTOMER, Phone, eat, seen
from sqlalchemy import select

from ticketing import customers
from ticketing.extensions import db
from ticketing.models import Customer, Ticket
from ticketing.models.enums import Direction, OutboxStatus, Status
from workers.followups import run_due_followups
from workers.sweep import sweep_stuck

WANJIKU = CUSTOMER


@pytest.fixture
def otieno(at_app, department, staff, clock):
    clock.set(eat(2026, 11, 23, 9, 0))  # Monday
    return staff("otieno", departments=[department("After-sales service", keywords="friji")])


@pytest.fixture
def scheduler(clock, run_jobs):
    """Both periodic jobs at `at`, then the workers deliver what they owe."""

    def run(at) -> None:
        clock.set(at)
        run_due_followups(at.isoformat())
        sweep_stuck()
        run_jobs()

    return run


def ticket_now(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def test_wanjiku_is_served_entirely_over_the_africas_talking_shortcode(
    at_app, at_gateway, otieno, at_stub, twilio, run_jobs, clock, login, scheduler
):
    agent = login(at_app.test_client(), otieno)

    at_gateway.texts(WANJIKU, "Friji yangu haipoi tangu jana")
    run_jobs()
    ticket = db.session.scalar(select(Ticket))
    [ack] = at_stub.sent_to(WANJIKU)
    assert ack.startswith(f"Tumepokea ujumbe wako. Kumb. {ticket.reference}.")
    assert (ticket.department.name, ticket.assignee_id) == ("After-sales service", otieno.id)
    assert {sent["from"] for sent in at_stub.messages} == {SHORTCODE}

    agent.post(
        f"/agent/tickets/{ticket.id}/reply",
        data={"seen": seen(ticket), "body": "Fundi atakuja kesho."},
    )
    run_jobs()
    assert at_stub.sent_to(WANJIKU)[-1] == f"{ticket.reference}: Fundi atakuja kesho."
    reply = db.session.scalars(select(Ticket).where(Ticket.id == ticket.id)).one().messages[-1]
    assert at_gateway.delivery(reply.outbox.provider_id, "Success").status_code == 200
    assert ticket_now(ticket.id).messages[-1].outbox.status == OutboxStatus.DELIVERED

    at_gateway.texts(WANJIKU, "Sawa, asante.")
    run_jobs()
    assert [m.direction for m in ticket_now(ticket.id).messages] == [
        Direction.INBOUND,
        Direction.OUTBOUND,
        Direction.INBOUND,
    ]
    assert len(at_stub.sent_to(WANJIKU)) == 2  # no second acknowledgment for a reply

    clock.set(eat(2026, 11, 25, 11, 0))  # Wednesday she asks for the status
    at_gateway.texts(WANJIKU, "STATUS")
    run_jobs()
    assert ticket.reference in at_stub.sent_to(WANJIKU)[-1]

    clock.set(eat(2026, 11, 26, 9, 30))
    agent.post(
        f"/agent/tickets/{ticket.id}/status", data={"seen": seen(ticket), "status": "resolved"}
    )
    scheduler(eat(2026, 11, 26, 9, 40))  # the update's combining window has passed
    assert "Jibu 1 kama ndiyo, 2 kama bado" in at_stub.sent_to(WANJIKU)[-1]

    clock.set(eat(2026, 11, 26, 10, 0))
    at_gateway.texts(WANJIKU, "1")
    run_jobs()
    assert ticket_now(ticket.id).status == Status.CLOSED
    scheduler(eat(2026, 11, 26, 12, 0))  # the one rating question
    assert "1 (vibaya) hadi 5 (vizuri sana)" in at_stub.sent_to(WANJIKU)[-1]
    clock.set(eat(2026, 11, 26, 12, 10))
    at_gateway.texts(WANJIKU, "4")
    run_jobs()
    rated = ticket_now(ticket.id)
    assert (rated.satisfaction_score, rated.status) == (4, Status.CLOSED)
    sent = len(at_stub.sent_to(WANJIKU))

    at_gateway.texts(WANJIKU, "STOP")
    run_jobs()
    agent.post(
        f"/agent/tickets/{ticket.id}/reply",
        data={"seen": seen(ticket), "body": "Je, friji inapoa sasa?"},
    )
    run_jobs()
    assert len(at_stub.sent_to(WANJIKU)) == sent  # the shortcode is silent now
    page = agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "has opted out of SMS" in page
    customer = db.session.scalar(select(Customer).where(Customer.phone == WANJIKU))
    assert customers.is_opted_out(customer, f"africastalking:{SHORTCODE}")
    Phone(at_app.test_client(), WANJIKU).text("HELP")  # the Twilio number still speaks
    run_jobs()
    assert len(twilio.sent_to(WANJIKU)) == 1 and len(at_stub.sent_to(WANJIKU)) == sent
