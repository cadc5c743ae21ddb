"""Our lines: each provider's sender rules, a STOP that silences only the line it was sent to,
answers from the number the customer wrote to, and the STOPs kept from before lines existed."""

import pytest
from fakes.twilio_stub import inbound_sms_params
from harness import CUSTOMER, MONDAY_10_NAIROBI, OUR_NUMBER, Phone
from sqlalchemy import select

from ticketing import customers, lines
from ticketing.extensions import db
from ticketing.models import Customer, Event, OptOut, Outbox, Ticket
from ticketing.models.enums import Channel, OutboxStatus, Provider

SECOND_NUMBER = "+254700000200"  # a Twilio number of After-sales


@pytest.fixture
def desk(sms_app, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    general = department("General")
    after_sales = department("After-sales service")
    lines.add(Provider.TWILIO, Channel.SMS, SECOND_NUMBER, department=after_sales)
    db.session.commit()
    staff("otieno", departments=[after_sales])
    staff("akinyi", departments=[general])
    return after_sales


def text(sms_app, body, to=OUR_NUMBER):
    phone = Phone(sms_app.test_client(), CUSTOMER)
    response = phone.post(inbound_sms_params(from_=CUSTOMER, to=to, body=body))
    assert response.status_code == 200, response.data


def person() -> Customer:
    db.session.expire_all()
    return db.session.scalar(select(Customer).where(Customer.phone == CUSTOMER))


@pytest.mark.parametrize(
    ("provider", "channel", "address", "stored"),
    [
        (Provider.TWILIO, Channel.SMS, "+254700000300", "+254700000300"),
        (Provider.TWILIO, Channel.SMS, "MG" + "a" * 32, "MG" + "a" * 32),
        (Provider.TWILIO, Channel.WHATSAPP, "+254700000300", "whatsapp:+254700000300"),
        (Provider.AFRICASTALKING, Channel.SMS, "21525", "21525"),
        (Provider.AFRICASTALKING, Channel.SMS, "FUATILIA", "FUATILIA"),
        (Provider.AFRICASTALKING, Channel.SMS, "+254700000300", "+254700000300"),
    ],
)
def test_each_provider_takes_the_senders_it_accepts(db, provider, channel, address, stored):
    line = lines.add(provider, channel, address)
    assert line.address == stored and line.key == f"{provider.value}:{stored}"


@pytest.mark.parametrize(
    ("provider", "channel", "address"),
    [
        (Provider.TWILIO, Channel.SMS, "21525"),  # a shortcode is not a Twilio sender here
        (Provider.TWILIO, Channel.SMS, "0711000100"),  # not E.164
        (Provider.TWILIO, Channel.SMS, "MGshort"),
        (Provider.AFRICASTALKING, Channel.SMS, "TOOLONGSENDERID"),  # over 11 characters
        (Provider.AFRICASTALKING, Channel.SMS, "FU ATILIA"),
        (Provider.AFRICASTALKING, Channel.WHATSAPP, "+254700000300"),  # WhatsApp is Twilio's
        (Provider.TWILIO, Channel.EMAIL, "+254700000300"),
        (Provider.TWILIO, Channel.SMS, ""),
    ],
)
def test_an_address_the_provider_would_refuse_is_refused_with_a_reason(
    db, provider, channel, address
):
    with pytest.raises(lines.InvalidLine) as refused:
        lines.add(provider, channel, address)
    assert str(refused.value)
    assert db.session.scalar(select(Outbox.id)) is None


def test_a_line_is_added_once(db):
    lines.add(Provider.AFRICASTALKING, Channel.SMS, "21525")
    with pytest.raises(lines.InvalidLine, match="already"):
        lines.add(Provider.AFRICASTALKING, Channel.SMS, "21525")


def test_a_message_to_a_departments_number_goes_there_and_is_answered_from_it(
    sms_app, desk, run_jobs, twilio
):
    text(sms_app, "Habari, nina swali", to=SECOND_NUMBER)  # no keyword of any department
    run_jobs()
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.department.name, ticket.line) == (
        "After-sales service",
        f"twilio:{SECOND_NUMBER}",
    )
    [ack] = twilio.messages
    assert (ack["to"], ack["from_"]) == (CUSTOMER, SECOND_NUMBER)


def test_stop_to_one_number_leaves_the_other_speaking(sms_app, desk, run_jobs, twilio):
    text(sms_app, "My fridge is warm", to=SECOND_NUMBER)
    run_jobs()
    text(sms_app, "STOP", to=OUR_NUMBER)
    run_jobs()
    assert [o.line for o in person().opt_outs] == [f"twilio:{OUR_NUMBER}"]
    text(sms_app, "Any news?", to=SECOND_NUMBER)  # the After-sales ticket still speaks
    text(sms_app, "HELP", to=OUR_NUMBER)  # the stopped number answers nothing but START
    run_jobs()
    assert [(m["from_"], m["to"]) for m in twilio.messages] == [(SECOND_NUMBER, CUSTOMER)]
    assert db.session.scalar(select(Outbox.status).where(Outbox.kind == "help")) == (
        OutboxStatus.SUPPRESSED
    )
    [event] = db.session.scalars(select(Event).where(Event.kind == "sms_opt_out")).all()
    assert event.data == {"source": "SMS STOP", "line": f"twilio:{OUR_NUMBER}"}


def test_stop_to_a_tickets_number_silences_that_ticket_and_the_agent_is_told(
    sms_app, desk, run_jobs, twilio, web, login
):
    text(sms_app, "My fridge is warm", to=SECOND_NUMBER)
    run_jobs()
    text(sms_app, "STOP", to=SECOND_NUMBER)
    run_jobs()
    ticket = db.session.scalar(select(Ticket))
    from ticketing import lifecycle
    from ticketing.models import User

    otieno = db.session.scalar(select(User).where(User.name == "Otieno"))
    lifecycle.reply(ticket, by=otieno, body="A technician comes on Thursday")
    db.session.commit()
    run_jobs()
    assert len(twilio.messages) == 1  # only the acknowledgment, before the STOP
    reply = db.session.scalar(select(Outbox).where(Outbox.kind == "reply"))
    assert reply.status == OutboxStatus.SUPPRESSED
    page = login(web.test_client(), otieno).get(f"/agent/tickets/{ticket.id}")
    assert "has opted out of SMS from this ticket" in page.get_data(as_text=True)


def test_start_ends_the_stop_and_an_old_stop_kept_for_every_line(db, department):
    department("General")
    wanjiku = Customer(name="Wanjiku", phone=CUSTOMER, opt_outs=[OptOut(line="*")])
    db.session.add(wanjiku)
    db.session.commit()
    assert customers.is_opted_out(wanjiku, "twilio:+254700000100")
    assert customers.is_opted_out(wanjiku, "africastalking:21525")
    customers.set_sms_opt_out(wanjiku, True, line="africastalking:21525", source="SMS STOP")
    assert [o.line for o in wanjiku.opt_outs] == ["*"]  # already silent there: no second row
    customers.set_sms_opt_out(wanjiku, False, line="twilio:+254700000100", source="SMS START")
    db.session.commit()
    assert wanjiku.opt_outs == []
    assert not customers.is_opted_out(wanjiku, "africastalking:21525")


def test_a_disabled_line_is_no_longer_answered_from(sms_app, desk, run_jobs, twilio):
    text(sms_app, "Hello", to=SECOND_NUMBER)
    run_jobs()
    row = db.session.scalar(select(lines.Line).where(lines.Line.address == SECOND_NUMBER))
    row.is_enabled = False
    db.session.commit()
    ticket = db.session.scalar(select(Ticket))
    assert lines.reply_line(ticket, Channel.SMS) == f"twilio:{OUR_NUMBER}"
    assert lines.department_of(f"twilio:{SECOND_NUMBER}") is None


def test_a_message_through_our_messaging_service_is_answered_through_the_service(
    sms_app, desk, run_jobs, twilio
):
    service = "MG" + "b" * 32
    lines.add(Provider.TWILIO, Channel.SMS, service, department=desk)
    db.session.commit()
    phone = Phone(sms_app.test_client(), CUSTOMER)
    params = inbound_sms_params(
        from_=CUSTOMER, to="+254700000999", body="Hello", messaging_service_sid=service
    )
    assert phone.post(params).status_code == 200
    run_jobs()
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.department.name, ticket.line) == ("After-sales service", f"twilio:{service}")
    [ack] = twilio.messages
    assert (ack["messaging_service_sid"], ack["from_"]) == (service, None)


def test_a_service_that_is_not_ours_leaves_the_number_as_the_line(sms_app, desk, run_jobs):
    phone = Phone(sms_app.test_client(), CUSTOMER)
    params = inbound_sms_params(
        from_=CUSTOMER, to=SECOND_NUMBER, body="Hello", messaging_service_sid="MG" + "c" * 32
    )
    assert phone.post(params).status_code == 200
    run_jobs()
    assert db.session.scalar(select(Ticket.line)) == f"twilio:{SECOND_NUMBER}"
