"""The pretend phone at /dev/sms plays the customer and the gateways: a Twilio SMS (signed), a
WhatsApp message (signed, whatsapp: numbers, a profile name), an Africa's Talking SMS and a
USSD session (each with the callback key), to the line the user picks, so routing by number
shows. What it posts is checked where our webhooks keep it (the raw inbound row, the USSD
session row); bad input is refused and posts nothing; the page is never there in production
or with a real gateway."""

from urllib.parse import parse_qsl

import pytest
from harness import MONDAY_10_NAIROBI, newest_ticket, outbox_rows, raw_rows
from sqlalchemy import select

from ticketing import lines
from ticketing.extensions import db
from ticketing.models import Customer, UssdSession
from ticketing.models.enums import Channel, InboundStatus, Provider

PHONE = "+254712345678"
AFTER_SALES_NUMBER = "+254711000200"
SHORTCODE = "21525"  # the phone's pretend Africa's Talking line while AT_FROM is unset


@pytest.fixture
def desk(db, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    general = department("General")
    billing = department("Billing", keywords="refund")
    after_sales = department("After-sales service")
    staff("otieno", departments=[after_sales])
    staff("kamau", departments=[general, billing])
    lines.add(Provider.TWILIO, Channel.SMS, AFTER_SALES_NUMBER, department=after_sales)
    lines.add(Provider.AFRICASTALKING, Channel.SMS, "FUATILIA", department=billing)
    off = lines.add(Provider.TWILIO, Channel.SMS, "+254711000900", department=billing)
    lines.set_enabled(off, False)
    db.session.commit()
    return {"after_sales": after_sales, "billing": billing}


def needs_route(client, endpoint: str, path: str):
    if endpoint not in {rule.endpoint for rule in client.application.url_map.iter_rules()}:
        pytest.skip(f"{path} ({endpoint}) is not there yet: written by another helper")


def payload(raw) -> dict:
    return dict(parse_qsl(raw.payload.decode(), keep_blank_values=True))


def send(client, body: str, to: str, **fields):
    return client.post("/dev/sms", data={"number": PHONE, "body": body, "to": to} | fields)


def test_the_phone_offers_each_mode_and_every_enabled_line_with_its_department(client, desk):
    page = client.get(f"/dev/sms?number={PHONE}").get_data(as_text=True)
    assert '<option value="twilio:+254700000100" selected>Twilio SMS to +254700000100' in page
    assert f'value="africastalking:{SHORTCODE}">Africa&#39;s Talking SMS to {SHORTCODE}' in page
    assert 'value="twilio:whatsapp:+254700000100">WhatsApp to +254700000100' in page
    assert f"Twilio SMS to {AFTER_SALES_NUMBER} (After-sales service)" in page
    assert "Africa&#39;s Talking SMS to FUATILIA (Billing)" in page
    assert "+254711000900" not in page  # switched off: not a line to write to
    assert "Dial *384*123#" in page


def test_a_twilio_sms_to_a_departments_line_goes_there(client, desk, run_jobs):
    response = send(client, "Please refund my repair", f"twilio:{AFTER_SALES_NUMBER}")
    assert response.status_code == 302
    assert response.location.endswith("&to=twilio:%2B254711000200")  # the choice is kept
    [raw] = raw_rows()
    form = payload(raw)
    assert (form["From"], form["To"], form["Body"]) == (
        PHONE,
        AFTER_SALES_NUMBER,
        "Please refund my repair",
    )
    assert raw.external_id == form["MessageSid"]
    run_jobs()
    ticket = newest_ticket()
    assert ticket.department.name == "After-sales service"  # not Billing, whose word it has
    assert ticket.line == f"twilio:{AFTER_SALES_NUMBER}"
    [ack] = outbox_rows(kind="received")
    assert (ack.recipient, ack.line) == (PHONE, f"twilio:{AFTER_SALES_NUMBER}")
    page = client.get(f"/dev/sms?number={PHONE}").get_data(as_text=True)
    assert f"Sent to <code>{AFTER_SALES_NUMBER}</code>" in page
    assert f"Received from <code>twilio:{AFTER_SALES_NUMBER}</code>" in page
    assert ticket.reference in page


def test_a_whatsapp_message_is_signed_and_comes_back_on_whatsapp(client, desk, run_jobs):
    line = "twilio:whatsapp:+254700000100"
    assert send(client, "Habari, my TV is dead", line, name="Wanjiku").status_code == 302
    [raw] = raw_rows()
    form = payload(raw)
    assert (form["From"], form["To"]) == (f"whatsapp:{PHONE}", "whatsapp:+254700000100")
    assert (form["ProfileName"], form["WaId"]) == ("Wanjiku", PHONE.removeprefix("+"))
    run_jobs()
    assert raw_rows()[0].status == InboundStatus.DONE
    ticket = newest_ticket()
    assert (ticket.channel, ticket.line) == (Channel.WHATSAPP, line)
    assert db.session.scalar(select(Customer.name)) == "Wanjiku"
    [ack] = outbox_rows(kind="received")
    assert (ack.channel, ack.recipient, ack.line) == (Channel.WHATSAPP, PHONE, line)
    page = client.get(f"/dev/sms?number={PHONE}").get_data(as_text=True)
    assert "Habari, my TV is dead" in page and ticket.reference in page


def test_an_africastalking_sms_carries_the_gateways_fields_and_key(client, desk, run_jobs):
    needs_route(client, "webhooks.africastalking.sms", "/webhooks/africastalking/sms")
    response = send(client, "Nimelipa but no receipt", "africastalking:FUATILIA")
    assert response.status_code == 302
    [raw] = raw_rows()
    form = payload(raw)
    assert set(form) == {"from", "to", "text", "date", "id", "linkId", "networkCode"}
    assert (form["from"], form["to"], form["text"]) == (
        PHONE,
        "FUATILIA",
        "Nimelipa but no receipt",
    )
    assert raw.external_id == form["id"] and form["networkCode"] == "63902"
    run_jobs()
    ticket = newest_ticket()
    assert (ticket.department.name, ticket.line) == ("Billing", "africastalking:FUATILIA")
    assert outbox_rows(kind="received")[0].line == "africastalking:FUATILIA"
    page = client.get(f"/dev/sms?number={PHONE}").get_data(as_text=True)
    assert "Nimelipa but no receipt" in page and ticket.reference in page


def test_an_africastalking_sms_without_the_key_is_refused(client, desk):
    """What the phone relies on: the key it adds is the one the webhook checks."""
    needs_route(client, "webhooks.africastalking.sms", "/webhooks/africastalking/sms")
    fields = {"from": PHONE, "to": SHORTCODE, "text": "hi", "id": "x1", "date": "", "linkId": ""}
    assert client.post("/webhooks/africastalking/sms", data=fields).status_code == 403
    assert client.post("/webhooks/africastalking/sms?key=wrong", data=fields).status_code == 403
    assert raw_rows() == []


def test_dialling_the_ussd_code_walks_the_menu(client, desk):
    needs_route(client, "webhooks.ussd.menu", "/webhooks/africastalking/ussd")
    dialled = client.post("/dev/ussd", data={"number": PHONE})
    assert dialled.status_code == 200
    page = dialled.get_data(as_text=True)
    session = db.session.scalar(select(UssdSession))
    assert (session.phone, session.service_code, session.network_code) == (
        PHONE,
        "*384*123#",
        "63902",
    )
    assert (session.last_text, session.steps) == ("", 1)
    assert f'name="session_id" value="{session.session_id}"' in page
    assert 'class="ussd-screen"' in page and 'name="choice"' in page
    assert "answered" not in page  # a CON screen, not the webhook's error
    screen = page.split('<pre class="ussd-screen" id="ussd-screen">')[1].split("</pre>")[0]
    step = {"number": PHONE, "session_id": session.session_id, "text": "", "screen": screen}
    assert client.post("/dev/ussd", data=step | {"choice": "2"}).status_code == 200
    second = client.post("/dev/ussd", data=step | {"text": "2", "choice": "1"})
    assert second.status_code == 200
    db.session.expire_all()
    session = db.session.scalar(select(UssdSession))
    assert (session.last_text, session.steps) == ("2*1", 3)
    assert 'name="text" value="2*1"' in second.get_data(as_text=True)


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        ({"session_id": "ATUid_1", "choice": ""}, "Type your choice first."),
        ({"session_id": "ATUid_1", "choice": "1" * 161}, "longer than a USSD session takes"),
        ({"session_id": "ATUid_1", "text": "1*" * 250, "choice": "1"}, "longer than"),
        ({"session_id": "<script>", "choice": "1"}, "not a session of this phone"),
        ({"session_id": "A" * 101, "choice": "1"}, "not a session of this phone"),
    ],
)
def test_a_bad_ussd_step_is_refused_and_posts_nothing(client, desk, step, reason):
    refused = client.post("/dev/ussd", data={"number": PHONE} | step)
    assert refused.status_code == 400 and reason in refused.get_data(as_text=True)
    assert db.session.scalar(select(UssdSession.id)) is None


@pytest.mark.parametrize(
    "to",
    ["twilio:+254711000900", "twilio:+254799999999", "africastalking:", "nexmo:+254711000200", ""],
)
def test_a_line_that_is_not_ours_or_is_off_is_refused(client, desk, to):
    response = send(client, "Hello", to)
    assert response.status_code == 400
    assert "Choose one of our lines to send to." in response.get_data(as_text=True)
    assert raw_rows() == []


def test_without_a_line_the_phone_writes_to_the_main_number_as_before(client, desk, run_jobs):
    assert client.post("/dev/sms", data={"number": PHONE, "body": "Hello"}).status_code == 302
    assert payload(raw_rows()[0])["To"] == "+254700000100"


def test_a_wrong_number_posts_nothing(client, desk):
    for path in ("/dev/sms", "/dev/ussd"):
        response = client.post(path, data={"number": "12", "body": "Hi"})
        assert response.status_code == 302 and response.location.endswith("/dev/sms")
    assert raw_rows() == [] and db.session.scalar(select(UssdSession.id)) is None


def test_the_phone_is_not_there_with_a_real_gateway_or_in_production(make_app, db):
    for app in (
        make_app(SMS_BACKEND="twilio"),
        make_app(SMS_BACKEND="africastalking"),
        make_app(ENV="production", ALLOW_CONSOLE_BACKENDS=True),
    ):
        client = app.test_client()
        assert client.get("/dev/sms").status_code == 404
        assert client.post("/dev/sms", data={"number": PHONE, "body": "x"}).status_code == 404
        assert client.post("/dev/ussd", data={"number": PHONE}).status_code == 404
    assert raw_rows() == [] and db.session.scalar(select(UssdSession.id)) is None
