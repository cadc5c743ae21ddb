"""Wanjiku's story by SMS, end to end: she texts, is acknowledged, the agent answers from the
ticket page, she answers back on the same ticket, then STOP ends every SMS. Also /dev/sms."""

import pytest
from harness import CUSTOMER, MONDAY_10_NAIROBI, Phone, newest_ticket, outbox_rows, seen, text_of
from sqlalchemy import func, select

from ticketing.extensions import db
from ticketing.models import OptOut
from ticketing.models.enums import Direction, OutboxStatus, Status

WANJIKU = CUSTOMER


@pytest.fixture
def otieno(sms_app, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    department("General")
    return staff("otieno", departments=[department("After-sales service", keywords="friji")])


def test_a_customer_with_a_basic_phone_is_served_entirely_by_sms(
    sms_app, otieno, run_jobs, twilio, login
):
    phone = Phone(sms_app.test_client(), WANJIKU)
    phone.text("Friji yangu haipoi tangu jana")
    run_jobs()
    ticket = newest_ticket()
    [ack] = twilio.sent_to(WANJIKU)
    assert ack.startswith(f"Tumepokea ujumbe wako. Kumb. {ticket.reference}.")
    assert ticket.department.name == "After-sales service" and ticket.assignee_id == otieno.id

    agent = login(sms_app.test_client(), otieno)
    page = agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Reply by SMS" in page and 'data-sms-counter="reply-counter"' in page
    assert text_of(page, "reply-counter") == "0 characters · 1 SMS (GSM-7)"
    answer = agent.post(
        f"/agent/tickets/{ticket.id}/reply",
        data={"seen": seen(ticket), "body": "Fundi atakuja kesho saa nne asubuhi."},
    )
    assert answer.status_code == 302
    run_jobs()
    assert (
        twilio.sent_to(WANJIKU)[-1] == f"{ticket.reference}: Fundi atakuja kesho saa nne asubuhi."
    )

    phone.text("Sawa, asante. Nitakuwa nyumbani.")
    run_jobs()
    db.session.expire_all()
    assert newest_ticket().id == ticket.id and ticket.status == Status.OPEN
    assert [m.direction for m in ticket.messages] == [
        Direction.INBOUND,
        Direction.OUTBOUND,
        Direction.INBOUND,
    ]
    assert len(twilio.sent_to(WANJIKU)) == 2  # no second acknowledgment for a reply

    phone.text("STOP")
    run_jobs()
    agent.post(
        f"/agent/tickets/{ticket.id}/reply", data={"seen": seen(ticket), "body": "Are you there?"}
    )
    run_jobs()
    assert len(twilio.sent_to(WANJIKU)) == 2
    assert outbox_rows(kind="reply")[-1].status == OutboxStatus.SUPPRESSED
    page = agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "has opted out of SMS" in page


@pytest.mark.parametrize(
    "draft, counter",
    [
        ("x" * 20001, "20001 characters · 131 SMS (GSM-7)"),
        ("🙏" * 20001, "20001 characters · 598 SMS (UCS-2)"),
        ("   ", "3 characters · 1 SMS (GSM-7)"),
    ],
)
def test_a_refused_sms_reply_shows_the_segment_count_of_the_draft(
    sms_app, otieno, run_jobs, login, draft, counter
):
    Phone(sms_app.test_client(), WANJIKU).text("Friji yangu haipoi")
    run_jobs()
    ticket = newest_ticket()
    agent = login(sms_app.test_client(), otieno)
    refused = agent.post(
        f"/agent/tickets/{ticket.id}/reply", data={"seen": seen(ticket), "body": draft}
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "The reply was not sent" in html
    assert text_of(html, "reply-counter") == counter
    assert outbox_rows(kind="reply") == []


def test_the_pretend_phone_plays_a_customer_end_to_end(client, department, staff, run_jobs, clock):
    clock.set(MONDAY_10_NAIROBI)
    client.application.config["TWILIO_AUTH_TOKEN"] = ""  # as `make run` starts: no Twilio at all
    staff("otieno", departments=[department("General")])
    page = client.get("/dev/sms?number=0712 345 678")
    assert page.status_code == 200 and 'value="+254712345678"' in page.get_data(as_text=True)
    sent = client.post("/dev/sms", data={"number": WANJIKU, "body": "My cooker is broken"})
    assert sent.status_code == 302
    run_jobs()
    ticket = newest_ticket()
    assert ticket.messages[0].body == "My cooker is broken"
    html = client.get(f"/dev/sms?number={WANJIKU}").get_data(as_text=True)
    assert "My cooker is broken" in html and f"We got your message. Ref {ticket.reference}." in html
    client.post("/dev/sms", data={"number": WANJIKU, "body": "stop"})
    run_jobs()
    assert db.session.scalar(select(func.count(OptOut.id))) == 1
    client.post("/dev/sms", data={"number": WANJIKU, "body": "HELP"})
    run_jobs()
    html = client.get(f"/dev/sms?number={WANJIKU}").get_data(as_text=True)
    assert html.count('class="msg inbound"') == 3 and 'class="ticks suppressed"' in html
    assert [row.status for row in outbox_rows(kind="help")] == [OutboxStatus.SUPPRESSED]


def test_the_pretend_phone_is_not_there_with_real_twilio_or_in_production(sms_app, make_app):
    assert sms_app.test_client().get("/dev/sms").status_code == 404
    production = make_app(ENV="production", ALLOW_CONSOLE_BACKENDS=True)
    assert production.test_client().get("/dev/sms").status_code == 404
    assert production.test_client().get("/dev/outbox").status_code == 404
