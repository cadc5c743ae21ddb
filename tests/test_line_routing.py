"""Routing by number, end to end through real Twilio traffic (the stub): an admin gives a number
to After-sales on /admin/lines; a text to it lands in After-sales even though its words match
Billing's keyword rule, and both the acknowledgement and the agent's answer go out from it.
The same words to the main number still go to Billing, and once the admin switches the line
off, its texts are routed by keyword again."""

import pytest
from fakes.twilio_stub import inbound_sms_params
from harness import CUSTOMER, MONDAY_10_NAIROBI, OUR_NUMBER, PASSWORD, Phone, newest_ticket, seen
from sqlalchemy import select

from ticketing import demo, lines
from ticketing.extensions import db
from ticketing.models import Line, Outbox
from ticketing.models.enums import Role

AFTER_SALES_NUMBER = "+254711000200"
WORDS = "Please refund me, the fridge you repaired is broken again"  # Billing's keyword: refund


@pytest.fixture
def desk(sms_app, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    general = department("General")
    billing = department("Billing", keywords="refund, invoice")
    after_sales = department("After-sales service")
    people = {
        "admin": staff("amani", role=Role.ADMIN),
        "otieno": staff("otieno", departments=[after_sales]),
        "kamau": staff("kamau", departments=[billing, general]),
    }
    return {"billing": billing, "after_sales": after_sales, "people": people}


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def text(sms_app, body: str, to: str) -> None:
    phone = Phone(sms_app.test_client(), CUSTOMER)
    assert phone.post(inbound_sms_params(from_=CUSTOMER, to=to, body=body)).status_code == 200


def test_a_text_to_after_sales_number_goes_there_and_is_answered_from_it(
    sms_app, desk, run_jobs, twilio
):
    admin = signed_in(sms_app, desk["people"]["admin"])
    added = admin.post(
        "/admin/lines/",
        data={
            "provider": "twilio",
            "channel": "sms",
            "address": AFTER_SALES_NUMBER,
            "department_id": desk["after_sales"].id,
            "label": "Repairs",
        },
    )
    assert added.status_code == 302

    text(sms_app, WORDS, to=AFTER_SALES_NUMBER)
    run_jobs()
    ticket = newest_ticket()
    assert ticket.department.name == "After-sales service"
    assert ticket.line == f"twilio:{AFTER_SALES_NUMBER}"
    [ack] = twilio.messages
    assert (ack["to"], ack["from_"]) == (CUSTOMER, AFTER_SALES_NUMBER)

    agent = signed_in(sms_app, desk["people"]["otieno"])
    answer = "We will collect the fridge tomorrow."
    replied = agent.post(
        f"/agent/tickets/{ticket.id}/reply",
        data={"seen": seen(ticket), "body": answer, "status": ""},
    )
    assert replied.status_code == 302
    run_jobs()
    reply = next(m for m in twilio.messages if answer in m["body"])
    assert (reply["to"], reply["from_"]) == (CUSTOMER, AFTER_SALES_NUMBER)
    assert {row.line for row in db.session.scalars(select(Outbox))} == {
        f"twilio:{AFTER_SALES_NUMBER}"
    }


def test_the_same_words_to_the_main_number_go_by_keyword(sms_app, desk, run_jobs, twilio):
    """The control: without the line, Billing's rule takes this text."""
    text(sms_app, WORDS, to=OUR_NUMBER)
    run_jobs()
    assert newest_ticket().department.name == "Billing"
    assert twilio.messages[0]["from_"] == OUR_NUMBER


def test_a_line_switched_off_routes_by_keyword_again(sms_app, desk, run_jobs, twilio):
    admin = signed_in(sms_app, desk["people"]["admin"])
    admin.post(
        "/admin/lines/",
        data={
            "provider": "twilio",
            "channel": "sms",
            "address": AFTER_SALES_NUMBER,
            "department_id": desk["after_sales"].id,
        },
    )
    line_id = db.session.scalar(select(Line.id))
    switched = admin.post("/admin/lines/switch", data={"line_id": line_id, "enabled": "0"})
    assert switched.status_code == 302
    text(sms_app, WORDS, to=AFTER_SALES_NUMBER)
    run_jobs()
    assert newest_ticket().department.name == "Billing"
    assert twilio.messages[0]["from_"] == OUR_NUMBER  # nothing goes out from a disabled line


def test_the_demo_seed_gives_after_sales_its_shortcode(db, clock):
    clock.set(MONDAY_10_NAIROBI)
    demo.seed(0)
    assert {row.key: row.department.name for row in lines.listed()} == {
        "twilio:+254711000100": "General enquiries",
        "africastalking:21525": "After-sales service",
    }
    assert lines.department_of("africastalking:21525").name == "After-sales service"
