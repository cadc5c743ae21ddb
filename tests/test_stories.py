"""The stories of ../shared/stories.md, each from first message to closure as one test: through
the signed webhooks, the agent's pages, real RQ workers, the Twilio stub and the SMTP server,
with scheduler passes at chosen Nairobi times. Nothing of ours is mocked; nothing sleeps."""

import io
from datetime import datetime, timedelta

import pytest
from harness import BRIAN, CUSTOMER, Phone, brian_writes, eat, page_text, reply_to, seen
from sqlalchemy import func, select

from ticketing.extensions import db
from ticketing.models import Event, Message, Outbox, Promise, Ticket
from ticketing.models.enums import Direction, Outcome, Priority, PromiseStatus, Role, Status
from workers.followups import run_due_followups
from workers.sweep import sweep_stuck


@pytest.fixture
def scheduler(clock, run_jobs):
    """Both periodic jobs at `at`, then the workers deliver what they owe."""

    def run(at: datetime) -> None:
        clock.set(at)
        run_due_followups(at.isoformat())
        sweep_stuck()
        run_jobs()

    return run


@pytest.fixture
def after_sales(sms_app, department, staff, clock):
    clock.set(eat(2026, 11, 23, 9, 0))  # Monday
    department("General")
    grace = staff("grace", role=Role.SUPERVISOR)
    team = department("After-sales service", keywords="fridge, friji, haipoi", supervisor=grace)
    return staff("otieno", departments=[team]), grace


def outcomes(ticket: Ticket) -> list[str]:
    rows = db.session.scalars(
        select(Event).where(Event.ticket_id == ticket.id, Event.kind == "status")
    ).all()
    return [row.data["outcome"] for row in rows if "outcome" in row.data]


def test_wanjiku_a_basic_phone_and_an_after_sale_fault_from_first_text_to_the_fix_check(
    sms_app, after_sales, twilio, run_jobs, scheduler, clock, login
):
    otieno, _ = after_sales
    phone = Phone(sms_app.test_client(), CUSTOMER, twilio=twilio)
    agent = login(sms_app.test_client(), otieno)

    phone.text("Friji yangu haipoi tangu jana")
    run_jobs()
    ticket = db.session.scalar(select(Ticket))
    [ack] = phone.received()
    assert ack.startswith(f"Tumepokea ujumbe wako. Kumb. {ticket.reference}.")
    assert (ticket.department.name, ticket.assignee_id) == ("After-sales service", otieno.id)

    # Otieno records the product and promises a visit; she hears of the promise by SMS.
    agent.post(
        f"/agent/tickets/{ticket.id}/product",
        data={
            "product": "Friji LG 260L",
            "serial_number": "LG-0042",
            "purchase_date": "2026-11-13",
        },
    )
    assert (
        agent.post(
            f"/agent/tickets/{ticket.id}/promise",
            data={"description": "A technician will visit", "due_at": "2026-11-26T10:00"},
        ).status_code
        == 302
    )
    run_jobs()
    assert "2026" not in phone.received()[-1] and "26" in phone.received()[-1]

    # Wednesday she asks for the status and is answered without anyone's work.
    clock.set(eat(2026, 11, 25, 11, 0))
    phone.text("STATUS")
    run_jobs()
    assert ticket.reference in phone.received()[-1]

    # Thursday 09:00 Otieno is reminded an hour before; the technician goes; he resolves.
    scheduler(eat(2026, 11, 26, 9, 5))
    promise = db.session.scalar(select(Promise))
    assert promise.reminded_at is not None
    kept = agent.post(f"/agent/promises/{promise.id}/settle", data={"kept": "1"})
    assert kept.status_code == 302
    clock.set(eat(2026, 11, 26, 9, 30))
    agent.post(
        f"/agent/tickets/{ticket.id}/status", data={"seen": seen(ticket), "status": "resolved"}
    )
    scheduler(eat(2026, 11, 26, 9, 40))  # the update's combining window has passed
    assert "Jibu 1 kama ndiyo, 2 kama bado" in phone.received()[-1]

    # "1": closed as confirmed fixed; her "1" is on the thread; then one rating question.
    clock.set(eat(2026, 11, 26, 10, 0))
    phone.text("1")
    run_jobs()
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == Status.CLOSED and outcomes(ticket) == [Outcome.CONFIRMED_FIXED]
    assert ticket.messages[-1].body == "1" and ticket.messages[-1].direction == Direction.INBOUND
    scheduler(eat(2026, 11, 26, 12, 0))
    assert "1 (vibaya) hadi 5 (vizuri sana)" in phone.received()[-1]
    clock.set(eat(2026, 11, 26, 12, 10))
    phone.text("4")
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).satisfaction_score == 4
    assert db.session.get(Ticket, ticket.id).status == Status.CLOSED

    # Fourteen days later: is it still cooling? "2" reopens it, high priority, to Otieno.
    scheduler(eat(2026, 12, 10, 11, 0))
    assert "bado kinafanya kazi vizuri" in phone.received()[-1]
    clock.set(eat(2026, 12, 10, 11, 30))
    phone.text("2")
    run_jobs()
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.status, ticket.priority, ticket.assignee_id) == (
        Status.OPEN,
        Priority.HIGH,
        otieno.id,
    )
    assert outcomes(ticket) == [Outcome.CONFIRMED_FIXED, Outcome.REOPENED_FIX_FAILED]
    inbound = [m.body for m in ticket.messages if m.direction == Direction.INBOUND]
    assert inbound[-3:] == ["1", "4", "2"]  # her own words, every one on the thread
    assert db.session.get(Promise, promise.id).status == PromiseStatus.KEPT
    owed = db.session.scalars(select(Outbox.status).where(Outbox.customer_id.is_not(None)))
    assert "suppressed" not in {str(status) for status in owed}
    page = page_text(agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True))
    assert "Friji yangu haipoi tangu jana" in page


def test_brian_an_email_double_charge_waits_for_him_then_resolves_with_one_survey(
    db, mail_desk, smtp_server, client, login, run_jobs, scheduler, clock
):
    billing, otieno, deliver = mail_desk
    first = brian_writes()
    assert deliver(first) == "1 stored"
    ticket = db.session.scalar(select(Ticket))
    ack = smtp_server.parsed(0)
    assert ack["Subject"].startswith(f"[{ticket.reference}] ")
    assert ack["In-Reply-To"] == first["Message-ID"]

    # His out-of-office answers our acknowledgment: kept on the ticket, answered by nothing.
    away = brian_writes(
        subject=f"Automatic reply: {ack['Subject']}",
        body="I am away until Monday.",
        In_Reply_To=ack["Message-ID"],
        Auto_Submitted="auto-replied",
    )
    assert deliver(away) == "1 stored"
    db.session.expire_all()
    assert [m.is_automated for m in db.session.get(Ticket, ticket.id).messages] == [False, True]
    assert len(smtp_server.messages) == 1

    # The agent asks for the second code: waiting for him, the charter clock paused.
    login(client, otieno)
    client.post(
        f"/agent/tickets/{ticket.id}/reply",
        data={
            "seen": seen(ticket),
            "body": "Please send the code of the second payment.",
            "status": "pending_customer",
        },
    )
    run_jobs()
    question = smtp_server.wait_for(2) and smtp_server.parsed(1)
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == Status.PENDING_CUSTOMER and ticket.resolution_minutes_left is not None

    # A day later he is reminded; on day 2 he answers from his phone above the quote.
    scheduler(eat(2026, 11, 24, 10, 30))
    reminders = [m for m in smtp_server.messages if m.rcpt_tos == (BRIAN,)]
    assert len(reminders) == 3
    clock.set(eat(2026, 11, 25, 9, 0))
    assert deliver(reply_to(question, "The second code is SC4HT7Y2QX.")) == "1 stored"
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == Status.OPEN and ticket.resolution_minutes_left is None
    assert ticket.messages[-1].body == "The second code is SC4HT7Y2QX."
    assert db.session.scalar(select(func.count(Ticket.id))) == 1

    # The refund is done: resolved, an update by email, then one satisfaction question.
    client.post(
        f"/agent/tickets/{ticket.id}/status", data={"seen": seen(ticket), "status": "resolved"}
    )
    scheduler(eat(2026, 11, 25, 9, 30))
    sent = len(smtp_server.messages)
    assert (
        sent == 4
        and "resolved"
        in smtp_server.parsed(3)["Subject"].lower()
        + str(smtp_server.parsed(3).get_body(("plain",)).get_content()).lower()
    )
    for day in range(1, 12):
        scheduler(eat(2026, 11, 25, 11, 0) + timedelta(days=day))
    subjects_and_bodies = [
        str(smtp_server.parsed(i).get_body(("plain",)).get_content())
        for i in range(len(smtp_server.messages))
    ]
    asked = [text for text in subjects_and_bodies if "from 1 (bad) to 5" in text]
    assert len(asked) == 1
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == Status.CLOSED
    assert outcomes(db.session.get(Ticket, ticket.id))[-1] == Outcome.SOLVED


def test_amina_the_web_form_at_night_is_acknowledged_at_once_and_follows_by_link(
    db, sms_app, department, staff, twilio, run_jobs, scheduler, clock, login
):
    clock.set(eat(2026, 11, 23, 22, 40))  # Monday night, quiet hours
    department("General")
    sales = department("Sales", keywords="delivery, order")
    otieno = staff("otieno", departments=[sales])
    amina = "+254722000003"
    browser = sms_app.test_client()
    sent = browser.post(
        "/support",
        data={
            "name": "Amina",
            "phone": "0722 000 003",
            "email": "",
            "subject": "My delivery is late",
            "description": "The order I paid for on Friday has not been delivered.",
            "category": "delivery",
            "language": "en",
            "attachment": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 200), "delivery-note.png"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    status_url = sent.headers["Location"]
    ticket = db.session.scalar(select(Ticket))
    run_jobs()
    [ack] = twilio.sent_to(amina)  # at once, though it is 22:40: she just wrote to us
    assert ticket.reference in ack
    assert ticket.reference in page_text(browser.get(status_url).get_data(as_text=True))

    # Next morning Otieno notes and answers; her page shows the answer, never the note.
    clock.set(eat(2026, 11, 24, 8, 30))
    agent = login(sms_app.test_client(), otieno)
    agent.post(
        f"/agent/tickets/{ticket.id}/note",
        data={"seen": seen(ticket), "body": "Courier says Thursday"},
    )
    agent.post(
        f"/agent/tickets/{ticket.id}/reply",
        data={
            "seen": seen(ticket),
            "body": "Your order arrives on Thursday.",
            "status": "resolved",
        },
    )
    run_jobs()
    assert twilio.sent_to(amina)[-1].endswith("Your order arrives on Thursday.")
    page = page_text(browser.get(status_url).get_data(as_text=True))
    assert "Your order arrives on Thursday." in page and "Courier says Thursday" not in page
    assert db.session.scalar(select(func.count(Message.id)).where(Message.is_internal)) == 1

    # It closes quietly after the policy's days; she rates it on her page.
    for day in range(1, 8):
        scheduler(eat(2026, 11, 24, 11, 0) + timedelta(days=day))
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == Status.CLOSED
    rated = browser.post(f"{status_url}/rate", data={"score": "5", "comment": "Asante"})
    assert rated.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).satisfaction_score == 5
