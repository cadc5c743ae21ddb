"""The ticket page tells the agent the truth: a reply that cannot reach the customer says so,
says how else to reach them and is no answer; the thread holds every automatic message; the
timeline is in words and local time; the status, lateness and a moved ticket are plain."""

import re

import pytest
from harness import MONDAY_10_NAIROBI, csrf_token, page_text, seen, signed_in_with_csrf
from sqlalchemy import select

from ticketing import customers, lifecycle, lines
from ticketing.models import Customer, Event, Message, Outbox, Ticket
from ticketing.models.enums import Channel, OutboxStatus


@pytest.fixture
def desk(db, department, staff, web, login, clock):
    """An SMS ticket in Repairs from Amina (phone and email); Akinyi works in Repairs, Chege in
    Sales, Baraka in both."""
    clock.set(MONDAY_10_NAIROBI)
    repairs, sales = department("Repairs"), department("Sales")
    akinyi = staff("akinyi", departments=[repairs])
    chege = staff("chege", departments=[sales])
    baraka = staff("baraka", departments=[repairs, sales])
    amina = Customer(name="Amina Hassan", phone="+254712345678")
    db.session.add(amina)
    ticket = lifecycle.open_ticket(
        amina, subject="Fridge", body="My fridge is not cooling", channel=Channel.SMS
    )
    ticket.department = repairs
    db.session.commit()
    return {
        "ticket": ticket,
        "customer": amina,
        "akinyi": akinyi,
        "baraka": baraka,
        "sales": sales,
        "a": login(web.test_client(), akinyi),
        "b": login(web.test_client(), baraka),
        "c": login(web.test_client(), chege),
        "login": login,
        "web": web,
    }


def fresh(db, ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def reply(client, ticket, body="A technician comes tomorrow.", **extra):
    data = {"body": body, "seen": seen(ticket)} | extra
    return client.post(f"/agent/tickets/{ticket.id}/reply", data=data, follow_redirects=True)


def say_stop(db, ticket, person):
    customers.set_sms_opt_out(
        person, True, line=lines.reply_line(ticket, Channel.SMS), source="SMS STOP"
    )
    db.session.commit()


def test_the_reply_and_note_boxes_are_distinct_and_labelled(desk):
    html = desk["a"].get(f"/agent/tickets/{desk['ticket'].id}").get_data(as_text=True)
    assert '<label for="reply-body">Reply to the customer' in html
    assert re.search(r'<label for="note-body">[^<]*note', html, re.IGNORECASE)
    assert 'id="reply-body"' in html and 'id="note-body"' in html


def test_a_reply_to_a_customer_who_said_stop_is_not_delivered_nor_an_answer(db, desk, clock):
    ticket, person = desk["ticket"], desk["customer"]
    say_stop(db, ticket, person)  # STOP on SMS and no email: nothing can carry a reply
    due = ticket.first_response_due_at
    clock.advance(minutes=5)

    page = reply(desk["a"], ticket)
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "Reply not delivered" in html and "Reply sent." not in html
    assert 'href="tel:+254712345678"' in html
    assert "does not count as an answer" in html
    ticket = fresh(db, ticket)
    assert ticket.first_response_at is None  # not answered
    assert ticket.first_response_due_at == due and ticket.due_at == due  # the clock runs on
    message = db.session.scalar(select(Message).where(Message.author_id == desk["akinyi"].id))
    assert message.body == "A technician comes tomorrow."  # kept in the thread
    assert message.outbox.status == OutboxStatus.SUPPRESSED
    event = db.session.scalar(select(Event).where(Event.kind == "replied"))
    assert event.data["not_delivered"]
    assert "replied (not delivered" in page_text(html)


def test_an_undelivered_reply_names_the_email_when_there_is_one(db, desk):
    ticket, person = desk["ticket"], desk["customer"]
    say_stop(db, ticket, person)
    person.email = "amina@example.test"
    db.session.commit()
    # email carries it: delivered, and an answer
    html = reply(desk["a"], ticket).get_data(as_text=True)
    assert "Reply sent." in html and "not delivered" not in html
    assert fresh(db, ticket).first_response_at is not None


def test_a_delivered_reply_still_counts_as_the_first_answer(db, desk, clock, run_jobs):
    ticket = desk["ticket"]
    clock.advance(minutes=7)
    html = reply(desk["a"], ticket).get_data(as_text=True)
    assert "Reply sent." in html and "not delivered" not in html
    ticket = fresh(db, ticket)
    assert ticket.first_response_at == MONDAY_10_NAIROBI.replace(minute=7)
    assert ticket.due_at == ticket.resolution_due_at


def test_automatic_messages_are_in_the_thread_collapsed_with_their_state(db, desk, clock):
    ticket = desk["ticket"]
    clock.advance(minutes=3)
    reply(desk["a"], ticket, body="We are on it.")
    html = desk["a"].get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    ack = db.session.scalar(select(Outbox).where(Outbox.kind == "received"))
    block = re.search(rf'<li class="msg automatic" id="automatic-{ack.id}">(.*?)</li>', html, re.S)
    assert block, "the acknowledgment is not in the thread"
    assert "<details>" in block.group(1) and "Automatic: received" in block.group(1)
    assert ack.body.strip()[:30] in block.group(1)
    assert "Waiting to send" in block.group(1)  # its delivery state
    # in time order: the customer's message, the acknowledgment, then the agent's reply
    order = [html.index("My fridge is not cooling"), block.start(), html.index("We are on it.")]
    assert order == sorted(order)
    # the agent's reply is shown once, as a message, not again as an automatic one
    reply_row = db.session.scalar(select(Outbox).where(Outbox.kind == "reply"))
    assert f'id="automatic-{reply_row.id}"' not in html


def test_the_timeline_is_in_words_and_local_time(db, desk):
    ticket = desk["ticket"]
    desk["a"].post(
        f"/agent/tickets/{ticket.id}/status",
        data={"status": "pending_customer", "seen": seen(ticket)},
    )
    html = desk["a"].get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    timeline = html[html.index('<ol class="timeline">') :]
    text = page_text(timeline)
    assert "Status set to Waiting for customer by Akinyi" in text
    assert "Customer opened the ticket by SMS" in text
    assert "23 Nov 2026, 10:00" in text  # 07:00 UTC is 10:00 in Nairobi
    assert "07:00" not in text and "'new'" not in text and "old:" not in text


def test_the_status_dropdown_shows_the_current_status(db, desk):
    ticket = desk["ticket"]
    html = desk["a"].get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    select_html = re.search(r'<select id="status-select".*?</select>', html, re.S).group(0)
    current = fresh(db, ticket).status
    assert f'<option value="{current.value}" selected>{current.label} (current)</option>' in (
        select_html
    )
    same = desk["a"].post(
        f"/agent/tickets/{ticket.id}/status",
        data={"status": current.value, "seen": seen(ticket)},
        follow_redirects=True,
    )
    assert f"already {current.label}" in same.get_data(as_text=True)
    assert db.session.scalar(select(Event).where(Event.kind == "status")) is None


def test_overdue_deadlines_and_promises_are_flagged_in_words(db, desk, clock):
    ticket = desk["ticket"]
    promised = desk["a"].post(
        f"/agent/tickets/{ticket.id}/promise",
        data={"description": "call you back", "due_at": "2026-11-23T11:00"},
    )
    assert promised.status_code == 302
    html = desk["a"].get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Late:" not in html
    clock.advance(days=7)
    html = desk["a"].get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Late: not answered in time" in html
    assert "Late: past its resolution time" in html
    assert "Late: due time passed" in html


def test_acting_on_a_ticket_moved_away_says_where_and_keeps_the_text(db, desk, clock):
    ticket, akinyi, baraka = desk["ticket"], desk["a"], desk["b"]
    version = seen(ticket)  # Akinyi's page is open
    moved = baraka.post(
        f"/agent/tickets/{ticket.id}/transfer", data={"department_id": desk["sales"].id}
    )
    assert moved.status_code == 302
    typed = "Your fridge part <arrives> Friday."
    answer = akinyi.post(f"/agent/tickets/{ticket.id}/reply", data={"body": typed, "seen": version})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409
    text = page_text(html)
    assert f"{ticket.reference} was moved to Sales by Baraka at" in text
    assert "23 Nov 2026, 10:00" in text
    assert "Your fridge part &lt;arrives&gt; Friday." in html  # kept, escaped
    assert db.session.scalar(select(Message).where(Message.body == typed)) is None
    note = akinyi.post(f"/agent/tickets/{ticket.id}/note", data={"body": "for the file"})
    assert note.status_code == 409 and "for the file" in note.get_data(as_text=True)


def _move_to_sales(desk):
    ticket = desk["ticket"]
    moved = desk["b"].post(
        f"/agent/tickets/{ticket.id}/transfer",
        data={"department_id": desk["sales"].id, "seen": seen(ticket)},
    )
    assert moved.status_code == 302
    return ticket


def test_opening_a_ticket_that_moved_away_says_where_it_went(db, desk, department, staff):
    ticket = _move_to_sales(desk)
    answer = desk["a"].get(f"/agent/tickets/{ticket.id}")  # Akinyi had it, in Repairs
    assert answer.status_code == 200
    text = page_text(answer.get_data(as_text=True))
    assert f"{ticket.reference} was moved to Sales by Baraka at 23 Nov 2026, 10:00" in text
    assert "can no longer open it" in text and "Nothing was done" not in text
    assert "My fridge is not cooling" not in text  # where it went, not what it holds
    # someone who never could see it learns nothing, moved or not
    assert desk["c"].get("/agent/tickets/99999").status_code == 404
    never = desk["login"](
        desk["web"].test_client(), staff("wanjiru", departments=[department("Stores")])
    )
    answer = never.get(f"/agent/tickets/{ticket.id}")
    assert answer.status_code == 404 and ticket.reference not in answer.get_data(as_text=True)


def test_tagging_or_applying_a_macro_on_a_moved_ticket_says_where_it_went(
    db, desk, department, staff
):
    from ticketing import canned
    from ticketing.models import CannedScope, TicketTag

    macro = canned.save(
        None,
        canned.Fields(
            scope=CannedScope.EVERYONE,
            department=None,
            title="Parts",
            body_en="Parts ordered.",
            body_sw="",
            tags=["parts"],
        ),
        by=None,
    )
    db.session.commit()
    ticket = _move_to_sales(desk)
    for url, data in (
        (f"/agent/tickets/{ticket.id}/tags", {"add": "parts", "remove": ""}),
        (f"/agent/tickets/{ticket.id}/canned/{macro.id}/apply", {}),
    ):
        answer = desk["a"].post(url, data=data | {"seen": seen(ticket)})
        assert answer.status_code == 409, url
        text = page_text(answer.get_data(as_text=True))
        assert f"{ticket.reference} was moved to Sales by Baraka" in text
        assert "Nothing was done" in text
    assert db.session.scalar(select(TicketTag)) is None
    stores = staff("wanjiru", departments=[department("Stores")])  # never had it
    stranger = desk["login"](desk["web"].test_client(), stores)
    answer = stranger.post(f"/agent/tickets/{ticket.id}/tags", data={"add": "x"})
    assert answer.status_code == 404 and ticket.reference not in answer.get_data(as_text=True)


def test_a_stranger_to_the_ticket_still_gets_404(db, desk):
    ticket = desk["ticket"]
    stranger = desk["c"]  # Sales, never had it
    answer = stranger.post(f"/agent/tickets/{ticket.id}/reply", data={"body": "hi"})
    assert answer.status_code == 404
    assert ticket.reference not in answer.get_data(as_text=True)
    assert stranger.post("/agent/tickets/99999/note", data={"body": "x"}).status_code == 404


def test_a_reply_without_its_csrf_token_is_refused(db, desk, make_app):
    ticket = desk["ticket"]
    agent = signed_in_with_csrf(make_app(WTF_CSRF_ENABLED=True), desk["akinyi"])
    token = csrf_token(agent, f"/agent/tickets/{ticket.id}")
    for forged in ({}, {"csrf_token": "forged"}):
        data = {"body": "hi", "seen": seen(ticket)} | forged
        assert agent.post(f"/agent/tickets/{ticket.id}/reply", data=data).status_code == 400
    assert db.session.scalar(select(Message).where(Message.body == "hi")) is None
    data = {"body": "hi", "seen": seen(ticket), "csrf_token": token}
    assert agent.post(f"/agent/tickets/{ticket.id}/reply", data=data).status_code == 302
