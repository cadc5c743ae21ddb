"""WhatsApp through Twilio, end to end with the real twilio client and the stub: answers on
WhatsApp from our WhatsApp sender, free-form inside the 24-hour window and by template (or by
SMS, or visibly not at all) outside it, Twilio's 63016 taking the same way out, photos fetched
with the account's credentials and kept as files, and STOP silencing only the WhatsApp line."""

import json

import pytest
from fakes.twilio_stub import DEFAULT_ACCOUNT_SID, TwilioStub, inbound_sms_params
from harness import (
    CUSTOMER,
    MONDAY_10_NAIROBI,
    OUR_NUMBER,
    Phone,
    counts,
    newest_ticket,
    outbox_rows,
    page_text,
    raw_rows,
    serving,
    text_of,
)
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from ticketing import customers, lifecycle, thread, whatsapp
from ticketing.extensions import db
from ticketing.models import Customer, Event, Outbox, Ticket
from ticketing.models.enums import Channel, InboundStatus, OutboxStatus
from workers.sweep import sweep_stuck

WA_NUMBER = "+254700000300"  # TWILIO_WHATSAPP_FROM here
WA_SENDER = f"whatsapp:{WA_NUMBER}"
WA_LINE = f"twilio:{WA_SENDER}"
WA_CUSTOMER = f"whatsapp:{CUSTOMER}"
REPLY_SID = "HX" + "1" * 32
RECEIVED_SID = "HX" + "2" * 32
CONFIRM_SID = "HX" + "3" * 32
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # a JPEG's first bytes, then 10 KB


class WhatsAppPhone(Phone):
    """The customer's WhatsApp: messages reach our webhook as Twilio posts them (signed),
    from whatsapp:+254... to our WhatsApp sender, with her profile name."""

    def params(self, body: str, **fields) -> dict:
        media = fields.pop("media", ())
        params = inbound_sms_params(
            from_=WA_CUSTOMER, to=WA_SENDER, body=body, media_urls=media, **fields
        )
        params.update(ProfileName="Wanjiku", WaId=CUSTOMER.removeprefix("+"))
        return params

    def received(self) -> list[str]:
        return self.twilio.sent_to(WA_CUSTOMER)


@pytest.fixture
def wa_app(app, make_app, twilio):
    """SMS and WhatsApp through the Twilio stub, with a WhatsApp sender configured."""
    twilio.clear()
    stubbed = make_app(
        SMS_BACKEND="twilio",
        TWILIO_API_BASE=twilio.base_url,
        TWILIO_TIMEOUT=1,
        TWILIO_WHATSAPP_FROM=WA_NUMBER,
        WHATSAPP_CONTENT_SIDS="",
    )
    with stubbed.app_context():
        yield stubbed
        db.session.remove()


@pytest.fixture
def desk(wa_app, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    return staff("otieno", departments=[department("General")])


@pytest.fixture
def phone(wa_app, desk, twilio):
    return WhatsAppPhone(wa_app.test_client(), CUSTOMER, twilio=twilio)


@pytest.fixture
def ticket(phone, run_jobs, twilio):
    """Wanjiku has written on WhatsApp and been acknowledged there; the stub is cleared."""
    phone.text("Friji yangu haipoi tangu jana")
    run_jobs()
    twilio.clear()
    return newest_ticket()


def reply(ticket, agent, body: str) -> Outbox:
    message = lifecycle.reply(ticket, by=agent, body=body)
    db.session.commit()
    return message.outbox


def fresh(row: Outbox) -> Outbox:
    db.session.expire_all()
    return db.session.get(Outbox, row.id)


def agent_page(wa_app, login, agent, ticket) -> str:
    client = login(wa_app.test_client(), agent)
    return client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)


# -- the conversation ---------------------------------------------------------------------------


def test_a_whatsapp_customer_is_acknowledged_on_whatsapp_from_our_whatsapp_sender(
    phone, run_jobs, twilio
):
    phone.text("Friji yangu haipoi tangu jana")
    run_jobs()
    ticket = newest_ticket()
    assert (ticket.channel, ticket.line) == (Channel.WHATSAPP, WA_LINE)
    assert ticket.customer.phone == CUSTOMER and ticket.customer.name == "Wanjiku"
    [sent] = twilio.messages
    assert (sent["to"], sent["from_"], sent["content_sid"]) == (WA_CUSTOMER, WA_SENDER, None)
    assert ticket.reference in sent["body"]
    [row] = outbox_rows()
    assert (row.channel, row.line, row.status) == (Channel.WHATSAPP, WA_LINE, OutboxStatus.QUEUED)


def test_an_agent_reply_inside_the_window_goes_free_form_on_whatsapp(
    ticket, desk, run_jobs, twilio, clock
):
    clock.advance(hours=23, minutes=59)
    owed = reply(ticket, desk, "A technician comes tomorrow at 9.")
    run_jobs()
    [sent] = twilio.messages
    assert (sent["to"], sent["from_"], sent["content_sid"]) == (WA_CUSTOMER, WA_SENDER, None)
    assert sent["body"] == f"{ticket.reference}: A technician comes tomorrow at 9."
    assert fresh(owed).status == OutboxStatus.QUEUED and fresh(owed).provider_id == sent["sid"]


def test_outside_the_window_a_reply_goes_as_its_template_with_the_agents_words(
    wa_app, ticket, desk, run_jobs, twilio, clock
):
    wa_app.config["WHATSAPP_CONTENT_SIDS"] = f"received={RECEIVED_SID}, reply={REPLY_SID}"
    twilio.templates[REPLY_SID] = "Update on {{1}}: {{2}}"
    twilio.close_window(WA_CUSTOMER)  # Twilio would refuse free-form too
    clock.advance(hours=24, minutes=1)
    owed = reply(ticket, desk, "The part arrives Friday.\n\nWe will\tcall you    first.")
    run_jobs()
    [sent] = twilio.messages
    assert (sent["to"], sent["from_"], sent["content_sid"]) == (WA_CUSTOMER, WA_SENDER, REPLY_SID)
    variables = json.loads(sent["content_variables"])
    assert variables == {
        "1": ticket.reference,
        "2": "The part arrives Friday. We will call you first.",
    }
    assert (
        sent["body"]
        == f"Update on {ticket.reference}: The part arrives Friday. We will call you first."
    )
    assert fresh(owed).status == OutboxStatus.QUEUED and twilio.rejected == []


def test_a_held_update_that_leaves_the_window_while_it_waits_goes_as_a_template(
    wa_app, ticket, desk, run_jobs, twilio, clock
):
    wa_app.config["WHATSAPP_CONTENT_SIDS"] = f"confirm_fix={CONFIRM_SID}"
    clock.advance(hours=23, minutes=59)  # owed inside the window, held a few minutes
    lifecycle.resolve(ticket, by=desk, note="Thermostat replaced")  # a fridge: after-sale
    db.session.commit()
    [held] = [row for row in outbox_rows() if row.kind == "confirm_fix"]
    assert held.not_before is not None and run_jobs() == 0
    clock.advance(minutes=5)
    sweep_stuck()
    run_jobs()
    [sent] = twilio.messages
    assert sent["content_sid"] == CONFIRM_SID
    assert json.loads(sent["content_variables"]) == {"1": ticket.reference}
    assert fresh(held).status == OutboxStatus.QUEUED


def test_outside_the_window_without_a_template_the_words_go_by_sms(
    wa_app, ticket, desk, run_jobs, twilio, clock, login
):
    wa_app.config["WHATSAPP_CONTENT_SIDS"] = f"received={RECEIVED_SID},reply=HXnot-a-sid"
    clock.advance(hours=25)
    owed = reply(ticket, desk, "Please send the serial number.")
    run_jobs()
    [sent] = twilio.messages  # nothing was tried on WhatsApp
    assert (sent["to"], sent["from_"]) == (CUSTOMER, OUR_NUMBER)
    assert sent["body"] == f"{ticket.reference}: Please send the serial number."
    wa_row = fresh(owed)
    assert (wa_row.status, wa_row.last_error) == (OutboxStatus.SUPPRESSED, whatsapp.SENT_BY_SMS)
    assert wa_row.error_code == whatsapp.WINDOW_CODE and wa_row.provider_id is None
    [sms] = outbox_rows(channel=Channel.SMS)
    assert (sms.status, sms.kind, sms.ticket_id) == (OutboxStatus.QUEUED, "reply", ticket.id)
    page = agent_page(wa_app, login, desk, ticket)  # it reached her: no "not sent" warning,
    assert f'id="undelivered-{owed.id}"' not in page  # the thread says how it went
    assert "outside WhatsApp&#39;s 24-hour window, sent by SMS" in page


@pytest.mark.parametrize("why", ["stop by sms", "no sms number"])
def test_outside_the_window_when_sms_cannot_reach_them_the_agent_is_shown_why(
    wa_app, ticket, desk, run_jobs, twilio, clock, login, why
):
    if why == "stop by sms":
        Phone(wa_app.test_client(), CUSTOMER).text("STOP")  # by SMS, to our SMS number
        run_jobs()
    else:
        wa_app.config["TWILIO_FROM"] = ""
    clock.advance(hours=25)
    owed = reply(ticket, desk, "Please send the serial number.")
    run_jobs()
    assert twilio.messages == [] and twilio.rejected == []
    assert (fresh(owed).status, fresh(owed).last_error) == (
        OutboxStatus.SUPPRESSED,
        whatsapp.NOT_BY_SMS,
    )
    assert outbox_rows(channel=Channel.SMS) == []
    page = agent_page(wa_app, login, desk, ticket)
    assert "SMS cannot reach them" in page and f"tel:{CUSTOMER}" in page


def test_twilios_63016_refusal_falls_back_to_sms(ticket, desk, run_jobs, twilio, clock):
    twilio.close_window(WA_CUSTOMER)  # Twilio counts the window otherwise than we do
    owed = reply(ticket, desk, "A technician comes tomorrow.")
    run_jobs()
    [refused] = twilio.rejected
    assert (refused["to"], refused["code"]) == (WA_CUSTOMER, 63016)
    [sent] = twilio.messages
    assert (sent["to"], sent["from_"]) == (CUSTOMER, OUR_NUMBER)
    wa_row = fresh(owed)
    assert (wa_row.status, wa_row.error_code) == (OutboxStatus.SUPPRESSED, "63016")
    assert wa_row.last_error == whatsapp.SENT_BY_SMS
    clock.advance(hours=2)
    sweep_stuck()
    assert run_jobs() == 0 and len(twilio.messages) == 1


def test_a_63016_status_callback_falls_back_to_sms_once(
    wa_app, ticket, desk, run_jobs, twilio, clock
):
    with serving(wa_app) as base:
        wa_app.config["PUBLIC_BASE_URL"] = base
        owed = reply(ticket, desk, "A technician comes tomorrow.")
        run_jobs()
        [sent] = twilio.messages
        for _ in range(2):  # Twilio retries a callback it thinks we missed
            assert twilio.send_status(sent["sid"], "undelivered", error_code=63016) == 204
        run_jobs()
    wa_row = fresh(owed)
    assert (wa_row.status, wa_row.error_code) == (OutboxStatus.SUPPRESSED, "63016")
    assert wa_row.last_error == whatsapp.SENT_BY_SMS
    [sms] = outbox_rows(channel=Channel.SMS)
    assert sms.status == OutboxStatus.QUEUED and twilio.sent_to(CUSTOMER) == [sent["body"]]


def by_sms_outside_the_window(ticket, desk, run_jobs, clock) -> tuple[Outbox, Outbox]:
    """An agent's reply owed on WhatsApp after the window closed (no template): the WhatsApp
    row, and the SMS row that carries the reply instead (handed to Twilio)."""
    clock.advance(hours=25)
    owed = reply(ticket, desk, "Please send the serial number.")
    assert db.session.get(Ticket, ticket.id).first_response_at is not None  # SMS can reach her
    run_jobs()
    [sms] = outbox_rows(channel=Channel.SMS, kind="reply")
    assert fresh(owed).last_error == whatsapp.SENT_BY_SMS
    return fresh(owed), sms


def refusals(ticket) -> list[Event]:
    db.session.expire_all()
    kind = lifecycle.refusals.KIND
    query = select(Event).where(Event.ticket_id == ticket.id, Event.kind == kind)
    return db.session.scalars(query).all()


def test_a_reply_that_went_by_sms_and_failed_there_is_no_answer(
    wa_app, ticket, desk, run_jobs, twilio, clock, login
):
    twilio.script(CUSTOMER, ("http", 400, 21211, "The 'To' number is not a valid phone number."))
    wa_row, sms = by_sms_outside_the_window(ticket, desk, run_jobs, clock)
    assert (sms.status, sms.error_code) == (OutboxStatus.FAILED, "21211")
    assert db.session.get(Ticket, ticket.id).first_response_at is None  # the clock runs again
    [event] = refusals(ticket)
    assert event.data["outbox"] == sms.id and event.data["first_response"] == "cleared"
    html = agent_page(wa_app, login, desk, ticket)
    [message] = [m for m in db.session.get(Ticket, ticket.id).messages if m.author_id]
    assert message.outbox_id == sms.id  # the SMS carries the reply now
    why = text_of(html, f"why-{message.id}")
    assert why.startswith("Not delivered: ") and "(code 21211)" in why
    assert "so it is no answer" in why and f'id="undelivered-{sms.id}"' in html
    assert f'id="automatic-{wa_row.id}"' not in html  # the reply is shown once


def test_a_reply_that_went_by_sms_then_reported_undelivered_is_no_answer(
    wa_app, ticket, desk, run_jobs, twilio, clock, login
):
    with serving(wa_app) as base:
        wa_app.config["PUBLIC_BASE_URL"] = base
        _, sms = by_sms_outside_the_window(ticket, desk, run_jobs, clock)
        assert sms.status == OutboxStatus.QUEUED
        assert twilio.send_status(sms.provider_id, "undelivered", error_code=30003) == 204
    assert db.session.get(Ticket, ticket.id).first_response_at is None
    [event] = refusals(ticket)
    assert (event.data["outbox"], event.data["code"]) == (sms.id, "30003")
    assert "Not delivered" in page_text(agent_page(wa_app, login, desk, ticket))


def test_a_reply_that_went_by_sms_and_was_delivered_stays_the_answer(
    wa_app, ticket, desk, run_jobs, twilio, clock, login
):
    with serving(wa_app) as base:
        wa_app.config["PUBLIC_BASE_URL"] = base
        _, sms = by_sms_outside_the_window(ticket, desk, run_jobs, clock)
        answered = db.session.get(Ticket, ticket.id).first_response_at
        assert twilio.send_status(sms.provider_id, "delivered") == 204
    assert db.session.get(Ticket, ticket.id).first_response_at == answered
    assert refusals(ticket) == [] and fresh(sms).status == OutboxStatus.DELIVERED
    text = page_text(agent_page(wa_app, login, desk, ticket))
    assert "Not delivered" not in text and "sent by SMS" in text


# -- media --------------------------------------------------------------------------------------


def test_a_photo_is_fetched_with_the_account_credentials_and_kept_as_a_file(
    phone, run_jobs, twilio
):
    url = twilio.add_media(PHOTO, "image/jpeg")
    phone.text("Hii ndiyo friji", media=[url])
    run_jobs()
    [message] = newest_ticket().messages
    [photo] = message.attachments
    assert (photo.filename, photo.content_type, photo.size) == (
        "media-1.jpg",
        "image/jpeg",
        len(PHOTO),
    )
    assert photo.data == PHOTO and photo.url is None
    assert twilio.media_requests[0][1] is True  # our credentials, then the redirect
    assert db.session.scalar(select(Event).where(Event.kind == "inbound_notes")) is None


@pytest.mark.parametrize("length", [None, ""], ids=["announced", "streamed without a length"])
def test_a_photo_over_the_limit_is_not_stored_and_a_note_says_so(
    wa_app, phone, run_jobs, twilio, length
):
    wa_app.config["MAX_MEDIA_BYTES"] = 4096
    url = twilio.add_media(PHOTO, "image/jpeg", length=length)
    phone.text("", media=[url])
    run_jobs()
    ticket = newest_ticket()
    [link] = ticket.messages[0].attachments
    assert (link.url, link.data, link.filename) == (url, None, "media-1")
    note = db.session.scalar(select(Event).where(Event.kind == "inbound_notes"))
    assert note.ticket_id == ticket.id
    assert note.data["notes"] == "media-1 kept only as a link: over the 4 KB limit per file"
    assert raw_rows()[0].status == InboundStatus.DONE


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        ("credentials", "Twilio answered HTTP 401"),
        ("outage", "Twilio answered HTTP 503"),
        ("missing", "Twilio answered HTTP 404"),
        ("html", "text/html is not a file we keep"),
        ("svg", "image/svg+xml is not a file we keep"),
        ("elsewhere", "not at http://127.0.0.1"),
    ],
)
def test_media_that_cannot_be_fetched_stays_a_link_with_a_note_and_the_message_is_kept(
    wa_app, phone, run_jobs, twilio, spoil, why
):
    content_type = {"html": "text/html", "svg": "image/svg+xml"}.get(spoil, "image/jpeg")
    url = twilio.add_media(b"<svg onload=alert(1)>", content_type)
    if spoil == "missing":
        url = url.rsplit("/", 1)[0] + "/ME" + "0" * 32
    if spoil == "elsewhere":
        url = "https://media.example.com/" + url.rsplit("/", 1)[1]
    phone.text("Picha ya friji", media=[url])
    if spoil == "credentials":
        wa_app.config["TWILIO_AUTH_TOKEN"] = "not-the-token"  # after the signed webhook
    if spoil == "outage":
        twilio.go_down()
    run_jobs()
    twilio.come_back()
    ticket = newest_ticket()
    [message] = ticket.messages
    assert message.body == "Picha ya friji"
    [link] = message.attachments
    assert (link.url, link.data) == (url, None)
    note = db.session.scalar(select(Event).where(Event.kind == "inbound_notes"))
    assert (
        note.data["notes"].startswith("media-1 kept only as a link: ") and why in note.data["notes"]
    )
    assert raw_rows()[0].status == InboundStatus.DONE
    if spoil == "elsewhere":
        assert twilio.media_requests == []  # our credentials go to Twilio only


# -- opt-outs -----------------------------------------------------------------------------------


def test_stop_on_whatsapp_silences_the_whatsapp_line_only(phone, ticket, desk, run_jobs, twilio):
    phone.text("STOP")
    run_jobs()
    person = db.session.scalar(select(Customer).where(Customer.phone == CUSTOMER))
    assert [row.line for row in person.opt_outs] == [WA_LINE]
    owed = reply(ticket, desk, "We have your serial number.")
    run_jobs()
    assert owed.channel == Channel.SMS  # the next channel down
    [sent] = twilio.messages
    assert (sent["to"], sent["from_"]) == (CUSTOMER, OUR_NUMBER)
    assert phone.received() == []


def test_a_whatsapp_message_owed_before_stop_is_suppressed_when_it_would_go(
    phone, ticket, desk, run_jobs, twilio
):
    owed = reply(ticket, desk, "We have your serial number.")  # owed; no worker yet
    person = db.session.scalar(select(Customer).where(Customer.phone == CUSTOMER))
    customers.set_sms_opt_out(person, True, line=WA_LINE, source="WHATSAPP STOP")
    db.session.commit()
    run_jobs()
    assert (fresh(owed).status, fresh(owed).last_error) == (
        OutboxStatus.SUPPRESSED,
        "customer opted out of WhatsApp",
    )
    assert twilio.messages == []


def test_stop_by_sms_leaves_whatsapp_speaking(wa_app, phone, ticket, desk, run_jobs, twilio):
    Phone(wa_app.test_client(), CUSTOMER).text("STOP")
    run_jobs()
    reply(ticket, desk, "We have your serial number.")
    run_jobs()
    assert [m["to"] for m in twilio.messages] == [WA_CUSTOMER]


# -- bad input ----------------------------------------------------------------------------------


def test_an_unsigned_or_forged_whatsapp_message_is_refused_and_changes_nothing(phone):
    params = phone.params("Friji haipoi")
    assert phone.post(params, signature="").status_code == 403
    assert phone.post(params, signature="forged").status_code == 403
    assert counts() == {"inbound_raw": 0, "messages": 0, "tickets": 0, "outbox": 0, "customers": 0}


def test_the_same_whatsapp_message_twice_is_filed_once(phone, run_jobs, twilio):
    params = phone.params("Friji haipoi")
    assert phone.post(params).status_code == 200
    assert phone.post(params).status_code == 200
    run_jobs()
    assert counts()["tickets"] == 1 and counts()["inbound_raw"] == 1
    assert len(phone.received()) == 1


def test_a_whatsapp_sender_that_is_no_number_leaves_a_failed_raw_row(phone, run_jobs, twilio):
    params = phone.params("hello") | {"From": "whatsapp:not-a-number"}
    assert phone.post(params).status_code == 200
    run_jobs()
    [raw] = raw_rows()
    assert raw.status == InboundStatus.FAILED and raw.error.startswith("InvalidContact:")
    assert counts()["tickets"] == 0 and twilio.messages == []


# -- the stand-in's WhatsApp rules, as Twilio's --------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"from_": "+254700000300", "body": "hi"}, 21910),  # SMS sender, WhatsApp recipient
        ({"content_sid": "HX123"}, 21655),
        ({"content_sid": "MG" + "1" * 32}, 21655),
        ({"content_sid": REPLY_SID, "content_variables": "not json"}, 21656),
        ({"content_sid": REPLY_SID, "content_variables": '{"1": ""}'}, 21656),
        ({"content_sid": REPLY_SID, "content_variables": '{"1": "a\\nb"}'}, 21656),
        ({"content_sid": REPLY_SID, "content_variables": '["FT-1"]'}, 21656),
    ],
)
def test_the_stub_refuses_whatsapp_sends_as_twilio_does(fields, code):
    with TwilioStub() as stub:
        client = Client(DEFAULT_ACCOUNT_SID, stub.auth_token)
        client.api.base_url = stub.base_url
        with pytest.raises(TwilioRestException) as refused:
            client.messages.create(**({"to": WA_CUSTOMER, "from_": WA_SENDER} | fields))
        assert refused.value.code == code and stub.messages == []
        sent = client.messages.create(
            to=WA_CUSTOMER,
            from_=WA_SENDER,
            content_sid=REPLY_SID,
            content_variables=json.dumps({"1": "FT-ABCDE"}),
        )
        assert sent.status == "queued" and stub.messages[0]["content_sid"] == REPLY_SID


def test_the_window_is_per_whatsapp_sender(ticket, desk, run_jobs, twilio, clock):
    """Wanjiku wrote to our first WhatsApp sender; a message on a ticket of another of our
    WhatsApp senders, where she has never written, may not go free-form."""
    from ticketing import lines
    from ticketing.models.enums import Provider

    other = lines.add(Provider.TWILIO, Channel.WHATSAPP, "+254700000400")
    db.session.commit()
    row = reply(ticket, desk, "Fundi atakuja kesho")
    assert whatsapp.is_open(row)  # her message to this ticket's sender opened its window
    row.line = other.key  # the same words, owed from the sender she never wrote to
    assert not whatsapp.is_open(row)
    db.session.rollback()


def test_an_automatic_message_that_went_by_sms_shows_once_in_the_thread_as_the_sms(
    wa_app, ticket, desk, run_jobs, twilio, clock, login
):
    """Outside the window, with no template: the notice that the fridge is fixed goes by SMS,
    and the thread holds it once, by its SMS row, not also as a WhatsApp message never sent."""
    clock.advance(hours=25)
    lifecycle.resolve(db.session.get(Ticket, ticket.id), by=desk)
    db.session.commit()
    clock.advance(minutes=10)  # past any hold on the update
    sweep_stuck()
    run_jobs()
    [whatsapp_row] = outbox_rows(channel=Channel.WHATSAPP, last_error=whatsapp.SENT_BY_SMS)
    [sms] = outbox_rows(channel=Channel.SMS, kind=whatsapp_row.kind)
    assert sms.status == OutboxStatus.QUEUED and len(twilio.sent_to(CUSTOMER)) == 1
    shown = [e.automatic for e in thread.entries(db.session.get(Ticket, ticket.id))]
    assert [(row.kind, row.channel) for row in shown if row and row.kind == sms.kind] == [
        (sms.kind, Channel.SMS)
    ]
    page = agent_page(wa_app, login, desk, ticket)
    assert f'id="undelivered-{whatsapp_row.id}"' not in page
