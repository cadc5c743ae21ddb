"""Tickets for callers and walk-ins: an agent finds or adds the customer at /agent/tickets/new
and logs what they said; the ticket is routed, charter-timed and acknowledged like any other,
and the reports count what the desk logged and how long a call took to become a ticket."""

import re
from types import SimpleNamespace

import pytest
from harness import MONDAY_10_NAIROBI, PASSWORD, eat, figures, newest_ticket, targets, text_of
from sqlalchemy import func, select

from ticketing import callbacks
from ticketing.models import Customer, Event, Outbox, Ticket
from ticketing.models.enums import Channel, OutboxStatus, Role

NEW = "/agent/tickets/new"
CALLER = "+254722000111"
AMINA = "+254712345678"


@pytest.fixture
def desk(sms_app, make_app, twilio, db, department, staff, clock):
    """Monday 10:00 in Nairobi. Repairs (fridges) with Otieno, Billing (refunds) with Wanjiru,
    Grace supervising; Amina known by phone, Brian by email, and two more Aminas."""
    clock.set(MONDAY_10_NAIROBI)
    department("General")
    repairs = department("Repairs", keywords="fridge, friji", targets=targets(60, 480))
    billing = department("Billing", keywords="refund, charged")
    people = [
        Customer(name="Amina Hassan", phone=AMINA),
        Customer(name="Brian Mwangi", email="brian@example.co.ke"),
        Customer(name="Amina Otieno", phone="+254733000222"),
        Customer(name="Aminata Kiprop", email="aminata@example.co.ke"),
    ]
    db.session.add_all(people)
    db.session.commit()
    return SimpleNamespace(
        repairs=repairs,
        billing=billing,
        otieno=staff("otieno", departments=[repairs]),
        wanjiru=staff("wanjiru", departments=[billing]),
        grace=staff("grace", role=Role.SUPERVISOR),
        amina=people[0],
        brian=people[1],
        # Requests are served by a twin app, each in its own app context (conftest's `web`),
        # so one client's signed-in user never leaks into the next request.
        app=make_app(SMS_BACKEND="twilio", TWILIO_API_BASE=twilio.base_url, TWILIO_TIMEOUT=1),
    )


def signed_in(desk, login, user):
    return login(desk.app.test_client(), user)


def call(**fields) -> dict:
    """What an agent types for a new caller; tests change one field at a time."""
    return {
        "name": "Wanjiku Kamau",
        "phone": "0722 000 111",
        "email": "",
        "language": "en",
        "channel": "phone",
        "call_started_at": "2026-11-23T09:50",
        "subject": "Fridge not cooling",
        "body": "She says her fridge stopped cooling yesterday.",
        "category": "after_sale",
        "priority": "normal",
        "department_id": "0",
    } | fields


def counts(db) -> tuple[int, int, int, int]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Ticket, Customer, Outbox, Event)
    )


def test_a_phone_ticket_for_a_new_caller_is_routed_timed_and_acknowledged_by_sms(
    desk, login, run_jobs, twilio, db
):
    agent = signed_in(desk, login, desk.otieno)
    looked = agent.get(NEW, query_string={"q": "0722 000 111"}).get_data(as_text=True)
    assert "No customer with 0722 000 111" in looked and f'value="{CALLER}"' in looked
    assert 'value="2026-11-23T10:00"' in looked  # the call started now, unless told otherwise

    response = agent.post(NEW, data=call())
    ticket = newest_ticket()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/agent/tickets/{ticket.id}")
    assert ticket.channel == Channel.PHONE and ticket.department_id == desk.repairs.id
    assert ticket.assignee_id == desk.otieno.id
    assert ticket.first_response_due_at == eat(2026, 11, 23, 11, 0)  # 60 business minutes
    assert ticket.resolution_due_at is not None and ticket.due_at is not None
    customer = ticket.customer
    assert (customer.name, customer.phone, customer.email) == ("Wanjiku Kamau", CALLER, None)
    assert ticket.messages[0].body == "She says her fridge stopped cooling yesterday."
    [logged] = db.session.scalars(select(Event).where(Event.kind == "call_logged")).all()
    assert logged.ticket_id == ticket.id and logged.actor_id == desk.otieno.id
    assert logged.data == {"call_started_at": "2026-11-23T06:50:00"}  # 09:50 in Nairobi

    page = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{ticket.reference} logged. The customer gets the acknowledgment" in page
    run_jobs()
    [ack] = twilio.sent_to(CALLER)
    assert ticket.reference in ack


@pytest.mark.parametrize("typed", ["0712 345 678", "+254 712-345-678", "254712345678"])
def test_a_walk_in_for_a_known_customer_found_by_phone_in_any_format(
    desk, login, run_jobs, twilio, db, typed
):
    agent = signed_in(desk, login, desk.wanjiru)
    page = agent.get(NEW, query_string={"q": typed}).get_data(as_text=True)
    assert "Amina Hassan" in text_of(page, "chosen-customer")
    assert f'name="customer_id" value="{desk.amina.id}"' in page
    before = counts(db)[1]

    response = agent.post(
        NEW,
        data={
            "customer_id": desk.amina.id,
            "channel": "walk_in",
            "subject": "Refund for a returned cooker",
            "body": "She returned the cooker last week and wants her refund.",
            "category": "billing",
            "priority": "high",
            "department_id": "0",
        },
    )
    assert response.status_code == 302
    ticket = newest_ticket()
    assert ticket.customer_id == desk.amina.id and ticket.channel == Channel.WALK_IN
    assert ticket.department_id == desk.billing.id and ticket.priority == "high"
    assert counts(db)[1] == before  # nobody new
    assert db.session.scalar(select(Event).where(Event.kind == "call_logged")) is None
    run_jobs()
    [ack] = twilio.sent_to(AMINA)
    assert ticket.reference in ack


def test_a_customer_found_by_email_is_acknowledged_by_email(desk, login, run_jobs, db):
    agent = signed_in(desk, login, desk.otieno)
    page = agent.get(NEW, query_string={"q": " Brian@Example.co.ke "}).get_data(as_text=True)
    assert "Brian Mwangi" in text_of(page, "chosen-customer")
    response = agent.post(
        NEW,
        data=call(customer_id=desk.brian.id, name="", phone="", subject="Fridge door broken"),
    )
    assert response.status_code == 302
    ticket = newest_ticket()
    assert ticket.customer_id == desk.brian.id
    flashed = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert "acknowledgment with the reference by email" in flashed
    run_jobs()
    [ack] = db.session.scalars(select(Outbox).where(Outbox.ticket_id == ticket.id)).all()
    assert (ack.channel, ack.recipient, ack.kind) == (
        Channel.EMAIL,
        "brian@example.co.ke",
        "received",
    )
    assert ack.status in (OutboxStatus.SENT, OutboxStatus.DELIVERED)
    assert ticket.reference in ack.body


def test_a_name_search_lists_the_matches_to_pick_from(desk, login, db):
    agent = signed_in(desk, login, desk.otieno)
    page = agent.get(NEW, query_string={"q": "amina"}).get_data(as_text=True)
    listed = text_of(page, "matches")
    assert "Amina Hassan" in listed and "Amina Otieno" in listed and "Aminata Kiprop" in listed
    assert "Brian" not in listed and "3 customers named like" in page
    assert f"/agent/tickets/new?customer={desk.amina.id}" in page
    assert 'value="amina"' in page  # the name typed becomes the new customer's name

    picked = agent.get(NEW, query_string={"customer": desk.amina.id}).get_data(as_text=True)
    assert "Amina Hassan" in text_of(picked, "chosen-customer")

    for wildcard in ("%", "_", "\\"):  # typed literally, never as LIKE patterns
        nobody = agent.get(NEW, query_string={"q": wildcard}).get_data(as_text=True)
        assert "Nobody named like" in nobody
    db.session.add_all(Customer(name=f"Wafula {n:02d}") for n in range(12))
    db.session.commit()
    many = agent.get(NEW, query_string={"q": "wafula"}).get_data(as_text=True)
    assert text_of(many, "matches").count("Wafula") == 10 and "the first 10" in many
    bad = agent.get(NEW, query_string={"q": "0712 34"}).get_data(as_text=True)
    assert "is not a valid phone number" in text_of(bad, "lookup-error")


def test_a_chosen_department_wins_over_the_words(desk, login):
    agent = signed_in(desk, login, desk.otieno)
    response = agent.post(
        NEW, data=call(body="He was charged twice", department_id=desk.repairs.id)
    )
    assert response.status_code == 302 and newest_ticket().department_id == desk.repairs.id
    supervisor = signed_in(desk, login, desk.grace)
    assert supervisor.post(NEW, data=call(department_id=desk.billing.id)).status_code == 302
    assert newest_ticket().department_id == desk.billing.id


def test_an_agent_may_not_choose_another_departments_and_nothing_is_created(desk, login, db):
    agent = signed_in(desk, login, desk.otieno)
    form = agent.get(NEW).get_data(as_text=True)
    assert f'<option value="{desk.repairs.id}">Repairs' in form
    assert f'<option value="{desk.billing.id}">' not in form
    before = counts(db)
    refused = agent.post(NEW, data=call(department_id=desk.billing.id))
    assert refused.status_code == 400
    assert "Choose one of your own departments" in refused.get_data(as_text=True)
    assert counts(db) == before


def test_a_ticket_routed_away_from_the_agent_lands_them_on_the_queue(desk, login):
    agent = signed_in(desk, login, desk.wanjiru)  # Billing; the fridge goes to Repairs
    response = agent.post(NEW, data=call())
    assert response.status_code == 302 and response.headers["Location"].endswith("/agent/")
    ticket = newest_ticket()
    assert ticket.department_id == desk.repairs.id
    with agent.session_transaction() as session:
        [(_, flashed)] = session["_flashes"]
    assert flashed.startswith(f"{ticket.reference} logged.")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": ""}, "Give a short subject."),
        ({"body": "  "}, "Write what they said."),
        ({"phone": "0712 34"}, "is not a phone number"),
        ({"email": "wanjiku@"}, "is not an email address"),
        ({"name": ""}, "Give the new customer&#39;s name."),
        ({"call_started_at": "2026-11-23T10:05"}, "cannot start in the future"),
        ({"call_started_at": "2026-11-22T09:59"}, "more than 24 hours ago"),
        ({"call_started_at": ""}, "When did the call start?"),
        ({"call_started_at": "yesterday"}, "Not a valid datetime value"),
        ({"customer_id": "999999"}, "That customer is not known"),
        ({"customer_id": "abc"}, "Not a valid integer value"),
        ({"channel": "fax"}, "Not a valid choice"),
        ({"category": "gossip"}, "Not a valid choice"),
        ({"department_id": "999999"}, "Choose one of your own departments"),
        ({"department_id": "x"}, "could not coerce"),
        ({"body": "x" * 20001}, "longer than 20000"),
        ({"subject": "x" * 201}, "longer than 200"),
        ({"name": "x" * 121}, "longer than 120"),
    ],
)
def test_bad_input_shows_the_form_again_with_everything_kept(desk, login, db, fields, message):
    agent = signed_in(desk, login, desk.otieno)
    before = counts(db)
    typed = call(**fields)
    refused = agent.post(NEW, data=typed)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert message in html
    assert counts(db) == before
    for name in ("subject", "name"):
        if typed[name] and len(typed[name]) < 200:
            assert f'value="{typed[name]}"' in html
    if "body" not in fields:
        assert typed["body"] in html


def test_an_older_walk_in_needs_no_call_time(desk, login):
    agent = signed_in(desk, login, desk.otieno)
    walk_in = call(channel="walk_in", call_started_at="2026-11-20T09:00")
    assert agent.post(NEW, data=walk_in).status_code == 302
    assert newest_ticket().channel == Channel.WALK_IN


def test_a_customer_without_phone_or_email_is_told_the_reference(desk, login, run_jobs, twilio, db):
    agent = signed_in(desk, login, desk.otieno)
    response = agent.post(NEW, data=call(phone="", email="", channel="walk_in", name="Mzee Juma"))
    assert response.status_code == 302
    ticket = newest_ticket()
    assert (ticket.customer.name, ticket.customer.phone, ticket.customer.email) == (
        "Mzee Juma",
        None,
        None,
    )
    page = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        f"No acknowledgment: the customer has no phone or email. "
        f"Read them the reference: {ticket.reference}." in page
    )
    run_jobs()
    [row] = db.session.scalars(select(Outbox).where(Outbox.ticket_id == ticket.id)).all()
    assert (row.kind, row.status) == ("received", OutboxStatus.SUPPRESSED)
    assert twilio.messages == []


def test_strangers_and_forged_posts_change_nothing(desk, login, make_app, db):
    stranger = desk.app.test_client()
    assert stranger.get(NEW).status_code == 302
    before = counts(db)
    assert stranger.post(NEW, data=call()).status_code == 302
    assert counts(db) == before
    agent = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = agent.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed = {"email": desk.otieno.email, "password": PASSWORD, "csrf_token": token}
    assert agent.post("/auth/login", data=signed).status_code == 302
    assert "Log the ticket" in agent.get(NEW).get_data(as_text=True)
    assert agent.post(NEW, data=call()).status_code == 400  # no CSRF token
    assert agent.post(NEW, data=call(csrf_token="forged")).status_code == 400
    assert counts(db)[0] == before[0]


def test_the_reports_count_desk_tickets_and_time_calls_to_tickets(desk, login, clock, db, run_jobs):
    """Repairs logs three calls that started 5, 10 and 20 minutes before; Billing one after
    30 minutes and a walk-in. A missed call's call back (no agent) and a call logged the
    week before count nowhere."""
    otieno, wanjiru = signed_in(desk, login, desk.otieno), signed_in(desk, login, desk.wanjiru)
    clock.set(eat(2026, 11, 16, 10, 0))
    assert otieno.post(NEW, data=call(call_started_at="2026-11-16T09:00")).status_code == 302
    clock.set(MONDAY_10_NAIROBI)
    for started in ("09:55", "09:50", "09:40"):
        response = otieno.post(NEW, data=call(call_started_at=f"2026-11-23T{started}"))
        assert response.status_code == 302
    refund = call(
        subject="Charged twice", body="For one cooker", call_started_at="2026-11-23T09:30"
    )
    assert wanjiru.post(NEW, data=refund).status_code == 302
    walk_in = call(
        channel="walk_in", subject="Refund please", body="Returned", phone="0733 000 222"
    )
    assert wanjiru.post(NEW, data=walk_in).status_code == 302
    callbacks.request(desk.amina, channel=Channel.PHONE, reason="missed_call")
    db.session.commit()

    supervisor = signed_in(desk, login, desk.grace)
    html = supervisor.get("/reports/", query_string={"period": "7d"}).get_data(as_text=True)
    found = {k: v for k, v in figures(html).items() if k.startswith("desk.")}
    repairs, billing = desk.repairs.id, desk.billing.id
    assert found == {
        **desk_row(repairs, phone=3, walk_in=0, logged=3, timed=3, median=10.0, p90=18.0),
        **desk_row(billing, phone=1, walk_in=1, logged=2, timed=1, median=30.0, p90=30.0),
        **desk_row("total", phone=4, walk_in=1, logged=5, timed=4, median=15.0, p90=27.0),
    }
    assert "Tickets logged at the desk" in html

    only = {"period": "7d", "department": billing}
    html = supervisor.get("/reports/", query_string=only).get_data(as_text=True)
    assert figures(html)["desk.total.logged"] == "2"
    assert f"desk.{repairs}.logged" not in figures(html)
    by_agent = {"period": "7d", "agent": desk.otieno.id}
    html = supervisor.get("/reports/", query_string=by_agent).get_data(as_text=True)
    assert figures(html)["desk.total.phone"] == "3"
    assert figures(html)["desk.total.call_to_ticket_minutes.p90"] == "18.0"
    walk_ins = {"period": "7d", "channel": "walk_in"}
    html = supervisor.get("/reports/", query_string=walk_ins).get_data(as_text=True)
    assert (figures(html)["desk.total.phone"], figures(html)["desk.total.walk_in"]) == ("0", "1")
    assert figures(html)["desk.total.call_to_ticket_minutes.median"] == ""
    earlier = {"period": "custom", "from": "2026-11-10", "to": "2026-11-16"}
    html = supervisor.get("/reports/", query_string=earlier).get_data(as_text=True)
    assert figures(html)["desk.total.call_to_ticket_minutes.median"] == "60.0"


def desk_row(key, *, phone, walk_in, logged, timed, median, p90) -> dict:
    return {
        f"desk.{key}.phone": str(phone),
        f"desk.{key}.walk_in": str(walk_in),
        f"desk.{key}.logged": str(logged),
        f"desk.{key}.calls_timed": str(timed),
        f"desk.{key}.call_to_ticket_minutes.median": str(median),
        f"desk.{key}.call_to_ticket_minutes.p90": str(p90),
    }


def test_a_walk_in_with_phone_and_email_is_answered_by_sms(desk, login, run_jobs, twilio, db):
    """Even a customer who last wrote by email: a visit, like a call, has no thread to answer on."""
    writer = Customer(
        name="Njeri", phone=CALLER, email="njeri@example.co.ke", preferred_channel=Channel.EMAIL
    )
    db.session.add(writer)
    db.session.commit()
    agent = signed_in(desk, login, desk.otieno)
    visit = call(customer_id=writer.id, channel="walk_in", name="", phone="")
    assert agent.post(NEW, data=visit).status_code == 302
    ticket = newest_ticket()
    assert ticket.customer_id == writer.id
    run_jobs()
    [ack] = twilio.sent_to(CALLER)
    assert ticket.reference in ack
    assert db.session.scalar(select(Outbox.channel).where(Outbox.ticket_id == ticket.id)) == "sms"


def test_a_new_customer_keeps_the_language_and_email_typed(desk, login, db):
    agent = signed_in(desk, login, desk.otieno)
    visitor = call(channel="walk_in", email="Wanjiku@Example.co.ke", language="sw")
    assert agent.post(NEW, data=visitor).status_code == 302
    customer = newest_ticket().customer
    assert (customer.email, customer.phone, customer.language) == (
        "wanjiku@example.co.ke",
        CALLER,
        "sw",
    )


def test_the_queue_offers_a_new_ticket_for_a_caller_or_a_walk_in(web, login, desk):
    page = login(web.test_client(), desk.otieno).get("/agent/").get_data(as_text=True)
    assert 'href="/agent/tickets/new"' in page and "New ticket (caller or walk-in)" in page
