"""Inbound SMS: kept once however often Twilio sends it, filed on the right ticket, never a
crash on odd input, and every keyword obeyed."""

import threading

import pytest
import requests
from fakes.twilio_stub import DEFAULT_AUTH_TOKEN, inbound_sms_params, sign
from harness import (
    CUSTOMER,
    MONDAY_10_NAIROBI,
    OUR_NUMBER,
    WEBHOOK,
    Phone,
    counts,
    newest_ticket,
    outbox_rows,
    raw_rows,
    serving,
)
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.extensions import db
from ticketing.models import Customer, Event, Message, Ticket
from ticketing.models.enums import InboundStatus, Language, OutboxStatus, Status

OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]


@pytest.fixture
def desk(sms_app, department, staff, clock):
    clock.set(MONDAY_10_NAIROBI)
    department("General")
    after_sales = department("After-sales service", keywords="fridge, friji")
    return staff("otieno", departments=[after_sales])


@pytest.fixture
def phone(sms_app, desk):
    return Phone(sms_app.test_client(), CUSTOMER)


def customer(number=CUSTOMER) -> Customer | None:
    db.session.expire_all()
    return db.session.scalar(select(Customer).where(Customer.phone == number))


def test_the_same_message_sid_sent_concurrently_is_stored_once(
    sms_app, desk, run_jobs, twilio, clock
):
    params = inbound_sms_params(from_=CUSTOMER, to=OUR_NUMBER, body="My fridge is not cooling")
    headers = {
        "X-Twilio-Signature": sign("http://fuatilia.test" + WEBHOOK, params, DEFAULT_AUTH_TOKEN)
    }
    db.session.commit()
    responses, start = [], threading.Barrier(10)

    def deliver(url):
        start.wait()
        responses.append(requests.post(url, data=params, headers=headers, timeout=30))

    with serving(sms_app) as base:
        threads = [threading.Thread(target=deliver, args=(base + WEBHOOK,)) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert counts()["inbound_raw"] == 1
        run_jobs()
        clock.advance(minutes=2)
        late_retry = requests.post(base + WEBHOOK, data=params, headers=headers, timeout=30)
    assert [r.status_code for r in responses] == [200] * 10 and late_retry.status_code == 200
    assert all(b"<Response></Response>" in r.content for r in responses)
    assert run_jobs() == 0
    assert counts() == {"inbound_raw": 1, "messages": 1, "tickets": 1, "outbox": 1, "customers": 1}
    assert len(twilio.sent_to(CUSTOMER)) == 1
    assert not any(p.suffix == ".json" for p in _spool_files(sms_app))


def _spool_files(app):
    from pathlib import Path

    spool = Path(app.config["SPOOL_DIR"])
    return list(spool.iterdir()) if spool.is_dir() else []


@pytest.mark.parametrize(
    "sender", ["+254712345678", "254712345678", "0712 345 678", "+254 (0)712 345678"]
)
def test_an_unknown_number_becomes_a_customer_in_e164(sms_app, desk, run_jobs, twilio, sender):
    Phone(sms_app.test_client(), sender).text("Habari, nina shida na friji yangu")
    run_jobs()
    person = customer()
    assert person is not None and person.language == Language.SW
    assert newest_ticket().customer_id == person.id
    [ack] = twilio.sent_to(CUSTOMER)
    assert ack.startswith("Tumepokea ujumbe wako") and newest_ticket().reference in ack


@pytest.mark.parametrize("sender", ["12345", "MPESA", "", "22222", "+2547"])
def test_an_invalid_number_leaves_a_clear_failed_raw_row(sms_app, desk, run_jobs, twilio, sender):
    Phone(sms_app.test_client(), sender).text("hello")
    run_jobs()
    [raw] = raw_rows()
    assert raw.status == InboundStatus.FAILED
    assert raw.error.startswith("InvalidContact:") and "phone number" in raw.error
    assert counts() == {"inbound_raw": 1, "messages": 0, "tickets": 0, "outbox": 0, "customers": 0}
    assert twilio.messages == []


def test_an_empty_text_is_kept_and_ignored(phone, run_jobs, twilio):
    phone.text("   ")
    run_jobs()
    [raw] = raw_rows()
    assert raw.status == InboundStatus.IGNORED and raw.ticket_id is None
    assert counts()["tickets"] == 0 and twilio.messages == []


def test_an_mms_without_text_opens_a_ticket_with_links_to_its_media(phone, run_jobs):
    media = [
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "javascript:alert(1)",
    ]
    phone.text("", num_media=2, media_urls=media)
    run_jobs()
    [message] = newest_ticket().messages
    assert [(a.url, a.filename) for a in message.attachments] == [(media[0], "media-1")]
    assert raw_rows()[0].status == InboundStatus.DONE


@pytest.mark.parametrize(
    "body",
    [
        "A" * 1600,
        "Friji yangu haipoi tangu jana 😢🙏 tafadhali nisaidie — asante!",
        ("Nimelipa KES 4,500 mara mbili kwa M-Pesa. Tafadhali nirudishie pesa yangu. " * 20)[:1600],
    ],
)
def test_long_emoji_and_swahili_texts_are_kept_intact(phone, run_jobs, twilio, body):
    phone.text(body)
    run_jobs()
    ticket = newest_ticket()
    assert ticket.messages[0].body == body.strip()
    assert len(twilio.sent_to(CUSTOMER)) == 1


def test_a_text_naming_a_reference_goes_to_that_ticket(phone, run_jobs):
    phone.text("My fridge is not cooling")
    run_jobs()
    first = newest_ticket()
    phone.text("Also, it makes a loud noise")
    run_jobs()
    assert newest_ticket().id == first.id  # no reference: the most recent open ticket
    other = lifecycle.open_ticket(
        customer(), subject="Cooker", body="Cooker", channel=first.channel
    )
    db.session.commit()
    phone.text(f"about {first.reference.lower()}: the fridge is still warm")
    run_jobs()
    db.session.expire_all()
    assert [m.body for m in db.session.get(Ticket, first.id).messages][-1].endswith("still warm")
    assert len(db.session.get(Ticket, other.id).messages) == 1


def test_a_reference_of_someone_elses_ticket_is_not_followed(sms_app, phone, run_jobs):
    Phone(sms_app.test_client(), "+254722000111").text("My fridge is broken")
    run_jobs()
    theirs = newest_ticket()
    phone.text(f"{theirs.reference} hello")
    run_jobs()
    mine = newest_ticket()
    assert mine.id != theirs.id and mine.customer.phone == CUSTOMER
    assert len(theirs.messages) == 1


def test_a_text_after_closing_reopens_within_the_window_and_opens_a_new_one_later(
    phone, run_jobs, clock
):
    phone.text("My fridge is not cooling")
    run_jobs()
    ticket = newest_ticket()
    lifecycle.close(ticket, reason="fixed")
    db.session.commit()
    clock.advance(days=3)
    phone.text("It stopped again")
    run_jobs()
    db.session.expire_all()
    assert ticket.status == Status.OPEN and ticket.reopened_count == 1
    lifecycle.close(ticket, reason="fixed again")
    db.session.commit()
    clock.advance(days=15)
    phone.text("Now the freezer too")
    run_jobs()
    newer = newest_ticket()
    assert newer.id != ticket.id and newer.previous_ticket_id == ticket.id
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == Status.CLOSED


def opt_events(person) -> list[str]:
    return [
        e.kind
        for e in db.session.scalars(
            select(Event)
            .where(Event.customer_id == person.id, Event.ticket_id.is_(None))
            .order_by(Event.id)
        )
    ]


@pytest.mark.parametrize("word", OPT_OUT)
def test_every_opt_out_keyword_in_any_case_and_punctuation(phone, run_jobs, twilio, word):
    variants = [word, word.lower(), f"  {word.title()}.  ", f"{word.lower()}!!", f"'{word}'"]
    for variant in variants:
        phone.text(variant)
        phone.text("start")
    run_jobs()  # in arrival order: each variant must opt out for the events to alternate
    assert not customer().opt_outs
    assert opt_events(customer()) == ["sms_opt_out", "sms_opt_in"] * len(variants)
    assert counts()["tickets"] == 0
    assert twilio.sent_to(CUSTOMER) == [
        "You will receive SMS from Fuatilia support again. Text STOP to stop."
    ] * len(variants)


@pytest.mark.parametrize("word", ["START", "yes", " Unstop. "])
def test_opt_in_keywords_turn_sms_back_on(phone, run_jobs, twilio, word):
    phone.text("Stop")
    run_jobs()
    phone.text(word)
    run_jobs()
    assert not customer().opt_outs
    assert twilio.sent_to(CUSTOMER) == [
        "You will receive SMS from Fuatilia support again. Text STOP to stop."
    ]


@pytest.mark.parametrize("word", ["HELP", "help", " Info? ", "INFO"])
def test_help_and_info_answer_with_the_help_text_and_open_nothing(phone, run_jobs, twilio, word):
    phone.text(word)
    run_jobs()
    assert twilio.sent_to(CUSTOMER) == [
        "Fuatilia support: text your problem to open a request. STATUS for updates, "
        "STOP to stop SMS."
    ]
    assert counts()["tickets"] == 0 and raw_rows()[0].status == InboundStatus.IGNORED


def test_status_answers_with_each_tickets_status_and_next_step(phone, run_jobs, twilio):
    phone.text("Status")
    run_jobs()
    assert twilio.sent_to(CUSTOMER) == ["You have no open requests. Text your problem to open one."]
    phone.text("My fridge is not cooling")
    run_jobs()
    ticket = newest_ticket()
    phone.text("status.")
    phone.text(f"STATUS {ticket.reference.lower()}")
    run_jobs()
    *_, general, specific = twilio.sent_to(CUSTOMER)
    assert general == specific
    assert general.startswith(f"{ticket.reference}: ") and "next step by" in general
    assert len(ticket.messages) == 1  # STATUS is not added to the ticket


@pytest.mark.parametrize("text", ["Stop texting me", "STOP PLEASE", "please stop the noise"])
def test_sentences_containing_stop_are_ordinary_messages(phone, run_jobs, text):
    phone.text(text)
    run_jobs()
    assert not customer().opt_outs
    assert newest_ticket().messages[0].body == text


def test_opt_out_blocks_every_later_sms_and_agents_see_why(
    sms_app, phone, desk, run_jobs, twilio, login
):
    phone.text("My fridge is not cooling")
    run_jobs()
    ticket = newest_ticket()
    twilio.clear()
    phone.text("STOP")
    phone.text("HELP")
    run_jobs()
    lifecycle.reply(ticket, by=desk, body="A technician will come tomorrow")
    db.session.commit()
    run_jobs()
    assert twilio.messages == []
    assert [row.status for row in outbox_rows(kind="help")] == [OutboxStatus.SUPPRESSED]
    [reply] = outbox_rows(kind="reply")
    assert reply.status == OutboxStatus.SUPPRESSED and "opted out" in reply.last_error
    page = login(sms_app.test_client(), desk).get(f"/agent/tickets/{ticket.id}")
    html = page.get_data(as_text=True)
    assert "has opted out of SMS" in html and "Reply by phone call: +254712345678" in html
    assert "sms opt out (SMS STOP)" in html and "SMS off" in html
    assert db.session.scalar(select(Message).where(Message.body.like("A technician%"))) is not None
