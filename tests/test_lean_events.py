"""Events stay lean: a ticket's events leave whose ticket it is, its channel and its
department to the ticket row, the timeline still says them, and the partial indexes that
replaced the full ones serve the real queries of the reports, jobs and customer page."""

import re

import pytest
from flask_migrate import downgrade, upgrade
from harness import WEEK, plans, statements_of
from sqlalchemy import bindparam, select, text, update

from ticketing import alerts, customers, event_words, lifecycle, thread
from ticketing.extensions import db as database
from ticketing.models import Customer, Event, Ticket
from ticketing.models.enums import Channel, Role


def _opened(ticket: Ticket) -> Event:
    return database.session.scalar(
        select(Event).where(Event.ticket_id == ticket.id, Event.kind == "created")
    )


def test_a_tickets_events_leave_to_the_ticket_what_it_says_and_the_timeline_still_says_it(
    db, department, staff
):
    department("General")
    billing = department("Billing")
    grace = staff("grace", role=Role.SUPERVISOR)
    customer = Customer(name="Amina", email="amina@example.test")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(customer, subject="Fridge", body="Warm.", channel=Channel.WEB)
    lifecycle.add_customer_message(ticket, body="Still warm.", channel=Channel.EMAIL)
    lifecycle.add_customer_message(ticket, body="And now?", channel=Channel.WEB)
    db.session.commit()

    rows = db.session.scalars(select(Event).where(Event.ticket_id == ticket.id)).all()
    assert {row.customer_id for row in rows} == {None}
    opened = _opened(ticket)
    assert "channel" not in opened.data and "department" not in opened.data
    written = [row.data.get("channel") for row in rows if row.kind == "customer_message"]
    assert written == ["email", None]  # kept only where it differs from the ticket's
    assert event_words.sentence(opened) == "Customer opened the ticket by WEB in General"

    lifecycle.transfer(ticket, billing, by=grace)
    db.session.commit()
    db.session.expire_all()
    sentences = [words for _, words in thread.timeline(db.session.get(Ticket, ticket.id))]
    assert "Customer opened the ticket by WEB in General" in sentences


def test_json_is_written_without_spaces(db, department):
    """json.dumps puts a space after every , and : which SQLite (and PostgreSQL's json) keep
    as written: the engine writes JSON compact, as migration 0013 left the old events."""
    department("General")
    customer = Customer(name="Amina", email="amina@example.test")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(
        customer,
        subject="Fridge",
        body="Warm.",
        channel=Channel.EMAIL,
        cc=["brian@example.test", "chao@example.test"],
    )
    db.session.commit()
    raw = db.session.scalar(
        text("SELECT CAST(cc_emails AS TEXT) FROM tickets WHERE id = :id"), {"id": ticket.id}
    )
    assert raw == '["brian@example.test","chao@example.test"]'
    if db.engine.dialect.name == "sqlite":  # (JSONB on PostgreSQL keeps no text)
        written = db.session.scalars(
            text("SELECT data FROM events WHERE ticket_id = :id AND data != '{}'"),
            {"id": ticket.id},
        ).all()
        assert written == ['{"added":"brian@example.test, chao@example.test"}']


def test_a_customers_own_events_keep_their_customer_and_are_found_on_their_page(db, department):
    department("General")
    customer = Customer(name="Wanjiku", phone="+254712000001")
    db.session.add(customer)
    db.session.flush()
    customers.set_sms_opt_out(customer, True, line="+254700000001", source="SMS STOP")
    db.session.commit()
    [own] = customers.recent_events(customer)
    assert own.kind == "sms_opt_out" and own.customer_id == customer.id
    assert customers.merge_preview(customer)["events"] == 1


OLD_SHAPE = {"channel": "email", "department": "General"}


def test_the_upgrade_compacts_old_events_and_keeps_what_the_ticket_does_not_say(
    app, db, department, staff
):
    department("General")
    billing = department("Billing")
    grace = staff("grace", role=Role.SUPERVISOR)
    customer = Customer(name="Brian", email="brian@example.test")
    db.session.add(customer)
    stays = lifecycle.open_ticket(customer, subject="Fridge", body="Warm.", channel=Channel.EMAIL)
    moved = lifecycle.open_ticket(customer, subject="Bill", body="Twice.", channel=Channel.EMAIL)
    lifecycle.transfer(moved, billing, by=grace)
    lifecycle.add_customer_message(stays, body="By text.", channel=Channel.SMS)
    customers.set_sms_opt_out(customer, True, line="+254700000001", source="SMS STOP")
    db.session.commit()
    ids = {"stays": stays.id, "moved": moved.id, "customer": customer.id}
    db.session.remove()
    directory = str(app.config["MIGRATIONS_DIR"])
    downgrade(directory=directory, revision="0011")
    try:  # as the older code wrote them
        db.session.execute(
            text(
                "UPDATE events SET customer_id = :customer WHERE ticket_id IS NOT NULL"
            ).bindparams(customer=ids["customer"])
        )
        for ticket_id in (ids["stays"], ids["moved"]):
            db.session.execute(
                update_data(),
                {"data": OLD_SHAPE, "ticket": ticket_id, "of_kind": "created"},
            )
        db.session.commit()
        assert _opened(db.session.get(Ticket, ids["stays"])).data == OLD_SHAPE
    finally:
        db.session.remove()
        upgrade(directory=directory)

    events = db.session.scalars(select(Event).order_by(Event.id)).all()
    assert {e.customer_id for e in events if e.ticket_id} == {None}
    [own] = [e for e in events if e.ticket_id is None]
    assert own.customer_id == ids["customer"] and own.data["source"] == "SMS STOP"
    stays, moved = db.session.get(Ticket, ids["stays"]), db.session.get(Ticket, ids["moved"])
    assert _opened(stays).data == {}
    assert _opened(moved).data == {"department": "General"}  # the ticket now says Billing
    sms = [e.data for e in stays.events if e.kind == "customer_message"]
    assert sms == [{"channel": "sms", "automated": False}]
    assert event_words.sentence(_opened(stays)) == "Customer opened the ticket by EMAIL in General"
    assert event_words.sentence(_opened(moved)) == "Customer opened the ticket by EMAIL in General"


def update_data():
    return (
        update(Event)
        .where(Event.ticket_id == bindparam("ticket"), Event.kind == bindparam("of_kind"))
        .values(data=bindparam("data"))
    )


def _events_sent(action) -> list[tuple[str, object]]:
    return statements_of(action, r"\bevents\.")


def _plan_of(statements, pattern: str) -> str:
    found = [(s, p) for s, p in statements if re.search(pattern, s, re.S)]
    assert found, f"no statement matched {pattern}"
    return " || ".join(plans(found))


def test_the_reports_read_events_through_the_partial_indexes(client, login, week):
    login(client, week.grace)
    responses = []
    statements = _events_sent(lambda: responses.append(client.get("/reports/", query_string=WEEK)))
    assert responses[0].status_code == 200
    by_kind = _plan_of(statements, r"events\.kind = ")
    for kind in ("status", "follow_up", "rated", "sms_opt_out", "call_logged", "desk"):
        assert f"ix_events_{kind}_created" in by_kind, kind
    assert "ix_events_kind_created" not in " ".join(plans(statements))


def test_filtered_sections_walk_the_periods_events_and_read_each_ticket_by_key(client, login, week):
    """With a filter (and in the after-sale outcomes, which filter by category), a section
    that reads events must take them from the period on its kind's time index and look each
    ticket up by key: `ticket_id IN (SELECT id FROM tickets ...)` made SQLite list every
    matching ticket of all time and walk the events by ticket, whatever the period."""
    login(client, week.grace)
    responses = []
    query = WEEK | {"department": str(week.after.id)}
    statements = _events_sent(lambda: responses.append(client.get("/reports/", query_string=query)))
    assert responses[0].status_code == 200
    of_tickets = r"EXISTS \(SELECT 1\s+FROM tickets|events\.ticket_id IN \(SELECT tickets\.id"
    by_kind = [(s, p) for s, p in statements if re.search(of_tickets, s)]
    assert len(by_kind) >= 4  # follow-ups, after-sale outcomes, the ratings, the latest comments
    if database.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans IN and EXISTS alike, as a semi-join")
    for plan in plans(by_kind):
        assert "SCAN tickets" not in plan and "LIST SUBQUERY" not in plan, plan
        assert re.search(r"SEARCH events USING INDEX ix_events_\w+_created", plan), plan


@pytest.mark.parametrize(
    "action, index",
    [
        (lambda customer: customers.recent_events(customer), "ix_events_customer"),
        (lambda customer: customers.merge_preview(customer), "ix_events_customer"),
        (lambda customer: alerts.breaches_noted(), "ix_events_breach_noted_created"),
    ],
)
def test_the_customer_page_and_the_digest_use_their_partial_indexes(db, action, index):
    customer = Customer(name="Achieng", phone="+254712000009")
    db.session.add(customer)
    db.session.commit()
    statements = _events_sent(lambda: action(customer))
    assert index in " ".join(plans(statements))
