"""No collision reaches a customer: a reply, note or status change made against a version of
the ticket that someone else has changed since the page was loaded is not carried out; the
agent sees what changed and confirms (or edits). And the ticket page's live endpoint."""

import re
import socket
import threading

import pytest
from harness import MONDAY_10_NAIROBI
from redis import Redis
from sqlalchemy import func, select

from ticketing import lifecycle, presence
from ticketing.models import Customer, Message, Outbox, Ticket
from ticketing.models.enums import Channel, Direction, Status


@pytest.fixture
def desk(db, department, staff, web, login, clock):
    """One SMS ticket in Repairs; Akinyi and Baraka both work there, Chege is in Sales."""
    clock.set(MONDAY_10_NAIROBI)
    repairs, sales = department("Repairs"), department("Sales")
    akinyi = staff("akinyi", departments=[repairs])
    baraka = staff("baraka", departments=[repairs])
    chege = staff("chege", departments=[sales])
    amina = Customer(name="Amina Hassan", phone="+254712345678")
    db.session.add(amina)
    ticket = lifecycle.open_ticket(
        amina,
        subject="Fridge",
        body="My fridge is not cooling",
        channel=Channel.SMS,
        department=repairs,
    )
    db.session.commit()
    clients = {}
    for user in (akinyi, baraka, chege):
        clients[user.name] = login(web.test_client(), user)
    return {
        "ticket": ticket,
        "akinyi": akinyi,
        "a": clients["Akinyi"],
        "b": clients["Baraka"],
        "c": clients["Chege"],
    }


def seen_on(page) -> str:
    """The version the page's reply form carries."""
    html = page.get_data(as_text=True)
    found = re.search(r'name="seen" value="(\d+)"', html)
    assert found, "no seen field on the page"
    return found.group(1)


def replies(db, ticket) -> list[str]:
    """What the customer is owed by agents' replies (the Outbox rows), without the reference."""
    db.session.expire_all()
    bodies = db.session.scalars(
        select(Outbox.body)
        .where(Outbox.ticket_id == ticket.id, Outbox.kind == "reply")
        .order_by(Outbox.id)
    )
    return [body.removeprefix(f"{ticket.reference}: ") for body in bodies]


def thread(db, ticket) -> list[str]:
    db.session.expire_all()
    return db.session.scalars(
        select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.id)
    ).all()


def url(ticket, action="") -> str:
    return f"/agent/tickets/{ticket.id}" + (f"/{action}" if action else "")


def test_second_reply_waits_for_confirmation_then_goes_once(db, desk, clock):
    ticket, a, b = desk["ticket"], desk["a"], desk["b"]
    a_seen, b_seen = seen_on(a.get(url(ticket))), seen_on(b.get(url(ticket)))
    clock.advance(minutes=2)
    sent = a.post(
        url(ticket, "reply"), data={"body": "A technician comes tomorrow.", "seen": a_seen}
    )
    assert sent.status_code == 302

    clock.advance(minutes=1)
    draft = "We will replace the fridge."
    refused = b.post(url(ticket, "reply"), data={"body": draft, "seen": b_seen})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert replies(db, ticket) == ["A technician comes tomorrow."]  # the customer got one
    assert draft not in thread(db, ticket)
    assert "Your reply has not been sent" in html
    assert "Akinyi replied 10:02: A technician comes tomorrow." in html  # Nairobi time
    assert draft in html and "Send anyway" in html  # the draft is kept in the box
    newer = seen_on(refused)
    assert int(newer) > int(b_seen)

    confirmed = b.post(url(ticket, "reply"), data={"body": draft, "seen": newer})
    assert confirmed.status_code == 302
    assert replies(db, ticket) == ["A technician comes tomorrow.", draft]


def test_own_changes_do_not_block(db, desk):
    ticket, a = desk["ticket"], desk["a"]
    seen = seen_on(a.get(url(ticket)))
    assert (
        a.post(url(ticket, "note"), data={"body": "Checked stock", "seen": seen}).status_code == 302
    )
    # the same page, still carrying the old version: only Akinyi changed the ticket since
    answer = a.post(url(ticket, "reply"), data={"body": "On its way", "seen": seen})
    assert answer.status_code == 302
    status = a.post(url(ticket, "status"), data={"status": "pending_customer", "seen": seen})
    assert status.status_code == 302
    assert replies(db, ticket) == ["On its way"]


def test_a_customer_message_in_between_blocks(db, desk, clock):
    ticket, a = desk["ticket"], desk["a"]
    seen = seen_on(a.get(url(ticket)))
    clock.advance(minutes=3)
    lifecycle.add_customer_message(
        db.session.get(Ticket, ticket.id), body="It works again, no need", channel=Channel.SMS
    )
    db.session.commit()
    refused = a.post(url(ticket, "reply"), data={"body": "Technician booked", "seen": seen})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Customer wrote 10:03: It works again, no need" in html
    assert replies(db, ticket) == []


def test_note_against_a_changed_ticket_is_not_saved(db, desk):
    ticket, a, b = desk["ticket"], desk["a"], desk["b"]
    seen = seen_on(b.get(url(ticket)))
    a.post(url(ticket, "status"), data={"status": "pending_customer", "seen": seen})
    refused = b.post(url(ticket, "note"), data={"body": "Call her", "seen": seen})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Status set to Waiting for customer by Akinyi" in html
    assert "Call her" not in thread(db, ticket) and "Add note anyway" in html
    assert (
        b.post(url(ticket, "note"), data={"body": "Call her", "seen": seen_on(refused)}).status_code
        == 302
    )
    assert thread(db, ticket)[-1] == "Call her"


def test_status_change_against_a_changed_ticket_asks_first(db, desk):
    ticket, a, b = desk["ticket"], desk["a"], desk["b"]
    seen = seen_on(b.get(url(ticket)))
    a.post(url(ticket, "reply"), data={"body": "Is it cooling now?", "seen": seen})
    refused = b.post(url(ticket, "status"), data={"status": "resolved", "seen": seen})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "The status has not been changed" in html and "Set status anyway" in html
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == Status.OPEN
    newer = re.search(
        r'name="seen" value="(\d+)"><input type="hidden" name="status" value="resolved"', html
    )
    assert newer, "the notice's form carries the status and the newer version"
    assert (
        b.post(
            url(ticket, "status"), data={"status": "resolved", "seen": newer.group(1)}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == Status.RESOLVED


@pytest.mark.parametrize("seen", [None, "", "abc", "-1", "1e3", "9" * 40, "0x10"])
def test_a_form_without_a_usable_version_is_shown_the_changes(db, desk, seen):
    """An old page (from before the guard) or a garbled field: treated as having seen nothing,
    so the agent is shown what happened and confirms; nothing is sent meanwhile."""
    ticket, a = desk["ticket"], desk["a"]
    data = {"body": "Hello"} | ({} if seen is None else {"seen": seen})
    refused = a.post(url(ticket, "reply"), data=data)
    assert refused.status_code == 409
    assert "Customer wrote 10:00: My fridge is not cooling" in refused.get_data(as_text=True)
    assert replies(db, ticket) == []
    assert (
        a.post(url(ticket, "reply"), data={"body": "Hello", "seen": seen_on(refused)}).status_code
        == 302
    )
    assert replies(db, ticket) == ["Hello"]


def test_an_empty_reply_is_refused_before_the_version_is_looked_at(db, desk):
    ticket, a = desk["ticket"], desk["a"]
    seen = seen_on(a.get(url(ticket)))
    refused = a.post(url(ticket, "reply"), data={"body": "  ", "seen": seen})
    assert refused.status_code == 400
    assert seen_on(refused) == seen  # the version the agent loaded, still guarded
    assert replies(db, ticket) == []


def test_another_departments_agent_gets_404(db, desk):
    ticket, c = desk["ticket"], desk["c"]
    assert c.get(url(ticket)).status_code == 404
    assert c.get(url(ticket, "live") + "?since=0").status_code == 404
    assert c.post(url(ticket, "reply"), data={"body": "x", "seen": "0"}).status_code == 404
    assert c.post(url(ticket, "note"), data={"body": "x", "seen": "0"}).status_code == 404
    assert c.post(url(ticket, "status"), data={"status": "closed", "seen": "0"}).status_code == 404
    assert replies(db, ticket) == [] and len(thread(db, ticket)) == 1


# -- the live endpoint ----------------------------------------------------------------------


def test_live_shows_who_else_is_viewing_and_typing(desk):
    ticket, a, b = desk["ticket"], desk["a"], desk["b"]
    live = url(ticket, "live")
    first = a.get(f"{live}?since=0&typing=0").get_json()
    assert first["viewers"] == [] and first["typing"] == []  # nobody else yet
    b.get(f"{live}?since=0&typing=1")
    seen_by_a = a.get(f"{live}?since=0&typing=0").get_json()
    assert seen_by_a["viewers"] == ["Baraka"] and seen_by_a["typing"] == ["Baraka"]
    seen_by_b = b.get(f"{live}?since=0&typing=0").get_json()
    assert seen_by_b["viewers"] == ["Akinyi"] and seen_by_b["typing"] == []
    assert a.get(f"{live}?since=0").get_json()["typing"] == []  # Baraka stopped typing


def test_a_closed_page_drops_out_after_the_ttl(app, desk, staff):
    ticket, a = desk["ticket"], desk["a"]
    gone = staff("wanjiru")
    redis = Redis.from_url(app.config["REDIS_URL"])
    redis.hset(presence.key(ticket.id), str(gone.id), "viewing 1000 Wanjiru")  # long ago
    redis.hset(presence.key(ticket.id), "junk", b"\xff\xfe")  # unreadable: dropped, no 500
    assert a.get(url(ticket, "live") + "?since=0").get_json()["viewers"] == []
    assert redis.hkeys(presence.key(ticket.id)) == [str(desk["akinyi"].id).encode()]
    assert 0 < redis.ttl(presence.key(ticket.id)) <= presence.TTL


def test_live_lists_changes_since_in_words(db, desk, clock):
    ticket, a, b = desk["ticket"], desk["a"], desk["b"]
    live = url(ticket, "live")
    start = b.get(f"{live}?since=0").get_json()["newest"]
    clock.advance(minutes=5)
    a.post(url(ticket, "reply"), data={"body": "Fundi atakuja kesho.", "seen": str(start)})
    news = b.get(f"{live}?since={start}").get_json()
    assert [change["kind"] for change in news["changes"]] == ["replied", "status"]
    assert news["changes"][0]["who"] == "Akinyi"
    assert news["changes"][0]["words"] == "Akinyi replied 10:05: Fundi atakuja kesho."
    assert news["changes"][0]["when"] == "2026-11-23T07:05:00Z"
    assert news["newest"] > start
    assert b.get(f"{live}?since={news['newest']}").get_json()["changes"] == []
    # one's own changes are not news to oneself
    assert a.get(f"{live}?since={start}").get_json()["changes"] == []


@pytest.mark.parametrize("since", ["", "abc", "-1", "1.5", "9" * 30])
def test_live_with_a_bad_since_is_400(desk, since):
    response = desk["a"].get(url(desk["ticket"], "live") + f"?since={since}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_since"


def test_live_answers_without_presence_when_redis_is_down(make_app, desk, login, clock):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    cut_off = make_app(REDIS_URL=f"redis://127.0.0.1:{closed}/0")
    client = login(cut_off.test_client(), desk["akinyi"])
    ticket = desk["ticket"]
    response = client.get(url(ticket, "live") + "?since=0&typing=1")
    assert response.status_code == 200
    body = response.get_json()
    assert body["viewers"] == [] and body["typing"] == []
    assert body["changes"][0]["kind"] == "created" and body["newest"] > 0
    # and the guard does not need Redis either
    refused = client.post(url(ticket, "reply"), data={"body": "Hi", "seen": "0"})
    assert refused.status_code == 409


def test_two_replies_on_one_version_reach_the_customer_once(db, desk):
    """The race the guard exists for: both agents press Send on the same version."""
    ticket, a, b = desk["ticket"], desk["a"], desk["b"]
    seen = seen_on(a.get(url(ticket)))
    answers = [
        a.post(url(ticket, "reply"), data={"body": "Tomorrow at 10", "seen": seen}).status_code,
        b.post(url(ticket, "reply"), data={"body": "Friday at 2", "seen": seen}).status_code,
    ]
    assert answers == [302, 409]
    assert replies(db, ticket) == ["Tomorrow at 10"]
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count()).where(
                Message.ticket_id == ticket.id, Message.direction == Direction.OUTBOUND
            )
        )
        == 1
    )


def test_two_agents_pressing_send_at_once_reach_the_customer_once(db, desk):
    """At the same instant, on the same version: the ticket's row lock (PostgreSQL) makes the
    second check wait for the first reply's commit, so it sees it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite is for development, one writer at a time)")
    ticket, a, b = desk["ticket"], desk["a"], desk["b"]
    seen = seen_on(a.get(url(ticket)))
    start, answers = threading.Barrier(2), {}

    def send(name, client, body):
        start.wait()
        answers[name] = client.post(url(ticket, "reply"), data={"body": body, "seen": seen})

    threads = [
        threading.Thread(target=send, args=("a", a, "Tomorrow at 10")),
        threading.Thread(target=send, args=("b", b, "Friday at 2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(response.status_code for response in answers.values()) == [302, 409]
    assert len(replies(db, ticket)) == 1
