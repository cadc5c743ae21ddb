"""A reply the provider refuses after we handed it over is no answer: a permanent send error,
a Twilio status callback (failed, undelivered), an Africa's Talking report (Failed, Rejected),
an SMTP 5xx or a bounce each record one `reply_not_delivered` event, move the first response
to the next reply that was not refused (or clear it, so its clock and alerts run again), and
the ticket page says the reply was not delivered and how else to reach the customer."""

import pytest
from conftest import smtp_settings
from harness import CUSTOMER, MONDAY_10_NAIROBI, outbox_rows, page_text
from sqlalchemy import select

from ticketing import customers, event_words, lifecycle, lines
from ticketing.extensions import db
from ticketing.models import Customer, Event, Outbox, Ticket
from ticketing.models.enums import Channel, FollowUpStep, OutboxStatus, Status
from workers.followups import run_due_followups

KIND = "reply_not_delivered"


def fresh(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def refusals(ticket: Ticket) -> list[Event]:
    db.session.expire_all()
    query = select(Event).where(Event.ticket_id == ticket.id, Event.kind == KIND)
    return db.session.scalars(query.order_by(Event.id)).all()


def reply(ticket: Ticket, agent, body: str, run_jobs, status: Status | None = None) -> Outbox:
    message = lifecycle.reply(fresh(ticket), by=agent, body=body, status=status)
    db.session.commit()
    row_id = message.outbox_id
    run_jobs()
    return db.session.get(Outbox, row_id)


def test_a_reply_twilio_reports_undelivered_is_no_answer_and_its_clock_runs_again(
    live_sms, run_jobs, twilio, clock, login, sms_app
):
    _, agent, ticket = live_sms
    due = ticket.first_response_due_at
    clock.advance(minutes=5)
    row = reply(ticket, agent, "A technician comes tomorrow", run_jobs)
    assert row.status == OutboxStatus.QUEUED  # handed to Twilio
    answered = fresh(ticket)
    assert answered.first_response_at is not None and answered.first_response_business_minutes == 5

    for status, code in (("undelivered", 30003), ("undelivered", 30003), ("failed", 30005)):
        assert twilio.send_status(row.provider_id, status, error_code=code) == 204  # retried
    ticket = fresh(ticket)
    assert (ticket.first_response_at, ticket.first_response_business_minutes) == (None, None)
    assert ticket.due_at == due == ticket.first_response_due_at
    assert ticket.follow_up_step == FollowUpStep.FIRST_RESPONSE_REMINDER
    [event] = refusals(ticket)  # once, however often Twilio tells us
    assert event.data == {  # the channel is the ticket's: the event leaves it to the ticket
        "outbox": row.id,
        "status": "failed",
        "code": "30003",
        "first_response": "cleared",
    }
    assert event_words.sentence(event).startswith("A reply by SMS was not delivered")

    client = login(sms_app.test_client(), agent)
    html = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    text = page_text(html)
    assert "Not delivered: " in text and "(code 30003)" in text
    assert "Wanjiku never had it, so it is no answer" in text
    assert f'href="tel:{CUSTOMER}"' in html  # how else to reach her
    assert "the first answer is still due" in text
    assert "A reply by SMS was not delivered" in text and "the first answer is due again" in text

    clock.set(due)  # nobody answered: reminded, then the breach, as for any unanswered ticket
    for _ in range(2):
        run_due_followups(inline=True)
        db.session.commit()
    kinds = set(db.session.scalars(select(Event.kind).where(Event.ticket_id == ticket.id)))
    assert kinds & {"breach_noted", "nobody_to_alert"}, kinds


def test_the_next_reply_that_arrived_becomes_the_first_response(live_sms, run_jobs, twilio, clock):
    _, agent, ticket = live_sms
    clock.advance(minutes=5)
    first = reply(ticket, agent, "We are on it", run_jobs)
    clock.advance(minutes=15)
    second = reply(ticket, agent, "The technician comes at 2pm", run_jobs)
    assert fresh(ticket).first_response_business_minutes == 5

    assert twilio.send_status(first.provider_id, "failed", error_code=30005) == 204
    ticket = fresh(ticket)
    assert ticket.first_response_at == MONDAY_10_NAIROBI.replace(minute=20)
    assert ticket.first_response_business_minutes == 20
    assert refusals(ticket)[-1].data["first_response"] == "moved"

    assert twilio.send_status(second.provider_id, "undelivered", error_code=30003) == 204
    ticket = fresh(ticket)
    assert ticket.first_response_at is None
    assert [e.data["first_response"] for e in refusals(ticket)] == ["moved", "cleared"]


def test_a_refused_reply_that_was_never_the_answer_moves_nothing(live_sms, run_jobs, twilio, clock):
    _, agent, ticket = live_sms
    clock.advance(minutes=5)
    reply(ticket, agent, "We are on it", run_jobs)
    clock.advance(minutes=15)
    later = reply(ticket, agent, "Any news?", run_jobs)
    assert twilio.send_status(later.provider_id, "failed", error_code=30005) == 204
    ticket = fresh(ticket)
    assert ticket.first_response_business_minutes == 5
    [event] = refusals(ticket)
    assert "first_response" not in event.data  # recorded, but the answer stands


def test_a_ticket_waiting_on_a_reply_that_never_arrived_is_open_again(
    live_sms, run_jobs, twilio, clock, login, sms_app
):
    _, agent, ticket = live_sms
    clock.advance(minutes=5)
    row = reply(ticket, agent, "Which model is it?", run_jobs, status=Status.PENDING_CUSTOMER)
    assert fresh(ticket).status == Status.PENDING_CUSTOMER
    assert twilio.send_status(row.provider_id, "undelivered", error_code=30003) == 204
    ticket = fresh(ticket)
    assert ticket.status == Status.OPEN and ticket.status_changed_at == clock.moment
    moved = db.session.scalars(
        select(Event).where(Event.ticket_id == ticket.id, Event.kind == "status")
    ).all()[-1]
    assert moved.data == {"old": "pending_customer", "new": "open", "because": KIND}
    text = page_text(
        login(sms_app.test_client(), agent)
        .get(f"/agent/tickets/{ticket.id}")
        .get_data(as_text=True)
    )
    assert "Status set to Open, as the reply it waited on was not delivered" in text


def test_a_ticket_waits_on_when_a_later_reply_reached_the_customer(
    live_sms, run_jobs, twilio, clock
):
    _, agent, ticket = live_sms
    clock.advance(minutes=5)
    first = reply(ticket, agent, "Which model is it?", run_jobs)
    clock.advance(minutes=1)
    reply(ticket, agent, "Or a photo of its label", run_jobs, status=Status.PENDING_CUSTOMER)
    assert twilio.send_status(first.provider_id, "failed", error_code=30005) == 204
    assert fresh(ticket).status == Status.PENDING_CUSTOMER
    assert len(refusals(ticket)) == 1


def test_a_permanent_send_error_is_no_answer(live_sms, run_jobs, twilio, clock):
    _, agent, ticket = live_sms
    twilio.script(CUSTOMER, ("http", 400, 21211, "The 'To' number is not a valid phone number."))
    clock.advance(minutes=5)
    row = reply(ticket, agent, "We are on it", run_jobs)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "21211")
    assert fresh(ticket).first_response_at is None
    assert [e.data["code"] for e in refusals(ticket)] == ["21211"]


def test_a_reply_suppressed_at_send_time_after_a_stop_is_no_answer(live_sms, run_jobs, clock):
    _, agent, ticket = live_sms
    clock.advance(minutes=5)
    message = lifecycle.reply(fresh(ticket), by=agent, body="We are on it")
    db.session.commit()
    assert fresh(ticket).first_response_at is not None  # it could still go, when it was owed
    person = db.session.get(Customer, ticket.customer_id)
    customers.set_sms_opt_out(
        person, True, line=lines.reply_line(fresh(ticket), Channel.SMS), source="SMS STOP"
    )
    db.session.commit()
    run_jobs()
    assert db.session.get(Outbox, message.outbox_id).status == OutboxStatus.SUPPRESSED
    assert fresh(ticket).first_response_at is None
    assert [e.data["status"] for e in refusals(ticket)] == ["suppressed"]


def test_a_delivered_reply_stays_the_answer(live_sms, run_jobs, twilio, clock):
    _, agent, ticket = live_sms
    clock.advance(minutes=5)
    row = reply(ticket, agent, "We are on it", run_jobs)
    assert twilio.send_status(row.provider_id, "delivered") == 204
    assert fresh(ticket).first_response_business_minutes == 5 and refusals(ticket) == []


# -- Africa's Talking ---------------------------------------------------------------------------


@pytest.mark.parametrize("status, reason", [("Failed", "DeliveryFailure"), ("Rejected", "")])
def test_an_africas_talking_failed_or_rejected_report_is_no_answer(
    at_gateway, run_jobs, staff, clock, status, reason
):
    at_gateway.texts(CUSTOMER, "Friji yangu haipoi")
    run_jobs()
    ticket = db.session.scalar(select(Ticket))
    agent = staff("otieno", departments=[ticket.department])
    clock.advance(minutes=5)
    row = reply(ticket, agent, "Tunashughulikia", run_jobs)
    assert row.status == OutboxStatus.SENT and fresh(ticket).first_response_at is not None
    for _ in range(2):
        assert at_gateway.delivery(row.provider_id, status, reason=reason).status_code == 200
    assert fresh(ticket).first_response_at is None
    assert len(refusals(ticket)) == 1


# -- email: an SMTP 5xx, a bounce ----------------------------------------------------------------

BRIAN = "brian@example.test"


@pytest.fixture
def mail(app, make_app, smtp_server, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    mail_app = make_app(**smtp_settings(smtp_server))
    with mail_app.app_context():
        agent = staff("otieno", departments=[department("General")])
        person = Customer(name="Brian", email=BRIAN)
        db.session.add(person)
        ticket = lifecycle.open_ticket(
            person, subject="Charged twice", body="Twice!", channel=Channel.EMAIL, acknowledge=False
        )
        db.session.commit()
        yield mail_app, agent, ticket
        db.session.remove()


def test_an_smtp_refusal_of_the_reply_is_no_answer(mail, smtp_server, run_jobs, clock):
    _, agent, ticket = mail
    smtp_server.fail_next(550, "5.1.1 User unknown")
    clock.advance(minutes=5)
    row = reply(ticket, agent, "Refund sent.", run_jobs)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "550")
    assert fresh(ticket).first_response_at is None
    assert [e.data["code"] for e in refusals(ticket)] == ["550"]


def dsn(message_id: str, number: int) -> bytes:
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n"
        f"To: support@fuatilia.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <dsn-{number}@mx.example>\r\nAuto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        f' boundary="R"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nMailbox full.\r\n'
        f"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {BRIAN}\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        f"Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n"
        f"--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {message_id}\r\n\r\n--R--\r\n"
    ).encode()


def test_a_bounce_of_the_reply_is_no_answer_once(mail, smtp_server, run_jobs, clock):
    mail_app, agent, ticket = mail
    clock.advance(minutes=5)
    row = reply(ticket, agent, "Refund sent.", run_jobs)
    assert row.status == OutboxStatus.SENT and fresh(ticket).first_response_at is not None
    client = mail_app.test_client()
    for number in (1, 2):  # the remote server sends its report twice
        answer = client.post(
            "/webhooks/email",
            data=dsn(row.message_id, number),
            headers={"Authorization": "Bearer inbound-secret"},
        )
        assert answer.status_code == 200
        run_jobs()
    assert outbox_rows(kind="reply")[0].status == OutboxStatus.FAILED
    assert fresh(ticket).first_response_at is None
    [event] = refusals(ticket)
    assert event.data["code"] == "5.2.2"
    assert event_words.sentence(event).startswith("A reply by EMAIL was not delivered")
