"""The agent's queue and ticket page: views, filters, actions, and who may see what."""

import pytest
from harness import seen
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.models import Customer, Event, Outbox, Ticket
from ticketing.models.enums import Channel, OutboxStatus, Priority, Role, Status


@pytest.fixture
def desk(db, department, staff):
    general = department("General")
    billing = department("Billing", keywords="refund, charged")
    kamau = staff("kamau", departments=[billing])
    achieng = staff("achieng", departments=[general])
    grace = staff("grace", role=Role.SUPERVISOR)
    brian = Customer(name="Brian", email="brian@example.co.ke")
    amina = Customer(name="Amina", phone="+254722000003")
    db.session.add_all([brian, amina])
    charge = lifecycle.open_ticket(
        brian, subject="Charged twice", body="I was charged twice", channel=Channel.EMAIL
    )
    late = lifecycle.open_ticket(
        amina,
        subject="Late delivery",
        body="Where is my order?",
        channel=Channel.SMS,
        priority=Priority.HIGH,
    )
    db.session.commit()
    return {"kamau": kamau, "achieng": achieng, "grace": grace, "charge": charge, "late": late}


def test_agent_sees_only_their_departments_tickets(client, login, desk):
    login(client, desk["kamau"])
    page = client.get("/agent/?view=departments").get_data(as_text=True)
    assert desk["charge"].reference in page and desk["late"].reference not in page
    assert client.get(f"/agent/tickets/{desk['late'].id}").status_code == 404
    response = client.post(
        f"/agent/tickets/{desk['late'].id}/reply", data={"seen": seen(desk["late"]), "body": "hi"}
    )
    assert response.status_code == 404


def test_supervisor_sees_everything(client, login, desk):
    login(client, desk["grace"])
    page = client.get("/agent/?view=all").get_data(as_text=True)
    assert desk["charge"].reference in page and desk["late"].reference in page


@pytest.mark.parametrize(
    "query, expected, absent",
    [
        ({"q": "charged"}, "charge", "late"),
        ({"q": "brian@example.co.ke"}, "charge", "late"),
        ({"channel": "sms"}, "late", "charge"),
        ({"priority": "high"}, "late", "charge"),
        ({"status": "closed"}, None, "charge"),
        ({"priority": "<script>"}, "charge", None),
    ],
)
def test_queue_filters(client, login, desk, query, expected, absent):
    login(client, desk["grace"])
    page = client.get("/agent/", query_string={"view": "all"} | query).get_data(as_text=True)
    if expected:
        assert desk[expected].reference in page
    if absent:
        assert desk[absent].reference not in page
    assert "<script>" not in page


def test_search_by_reference_and_phone(client, login, desk):
    login(client, desk["grace"])
    late = desk["late"]
    for q in (late.reference, late.reference.lower(), late.reference[3:], "0722000003"[1:]):
        assert late.reference in client.get("/agent/", query_string={"view": "all", "q": q}).text


def test_my_and_unassigned_views(db, client, login, desk):
    login(client, desk["kamau"])
    assert desk["charge"].reference in client.get("/agent/?view=mine").text
    lifecycle.assign(db.session.get(Ticket, desk["charge"].id), None, by=None)
    db.session.commit()
    assert desk["charge"].reference in client.get("/agent/?view=unassigned").text
    assert client.get("/agent/?view=bogus").status_code == 404


def test_ticket_page_shows_customer_thread_and_delivery(db, client, login, desk, run_jobs):
    run_jobs()
    login(client, desk["kamau"])
    page = client.get(f"/agent/tickets/{desk['charge'].id}").text
    assert "brian@example.co.ke" in page and "I was charged twice" in page
    assert "Next follow-up" in page and "created" in page


def test_reply_note_status_priority_and_promise(db, client, login, desk, run_jobs):
    login(client, desk["kamau"])
    ticket_id = desk["charge"].id
    base = f"/agent/tickets/{ticket_id}"
    assert (
        client.post(
            f"{base}/reply",
            data={
                "seen": seen(desk["charge"]),
                "body": "Refund on its way",
                "status": "pending_customer",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{base}/note", data={"seen": seen(desk["charge"]), "body": "checked M-Pesa"}
        ).status_code
        == 302
    )
    assert client.post(f"{base}/priority", data={"priority": "urgent"}).status_code == 302
    assert (
        client.post(
            f"{base}/promise", data={"description": "call you back", "due_at": "2099-01-01T10:00"}
        ).status_code
        == 302
    )
    run_jobs()
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.status == Status.PENDING_CUSTOMER and ticket.priority == Priority.URGENT
    assert [p.description for p in ticket.promises] == ["call you back"]
    reply = db.session.scalar(select(Outbox).where(Outbox.kind == "reply"))
    assert reply.recipient == "brian@example.co.ke" and reply.status == OutboxStatus.DELIVERED
    kinds = db.session.scalars(select(Event.kind).where(Event.ticket_id == ticket_id)).all()
    assert {"replied", "noted", "priority", "promised", "status"} <= set(kinds)


@pytest.mark.parametrize(
    "path, data, message",
    [
        ("reply", {"body": ""}, "The reply is empty."),
        ("note", {"body": "  "}, "The note is empty."),
        ("status", {"status": "nonsense"}, "Unknown status"),
        ("priority", {"priority": "meh"}, "Unknown priority"),
        (
            "promise",
            {"description": "call", "due_at": "2000-01-01T10:00"},
            "must be due in the future",
        ),
        ("promise", {"description": "call", "due_at": "tomorrow"}, "When will you do it?"),
        ("merge", {"target": "FT-NOPE1"}, "No ticket FT-NOPE1"),
    ],
)
def test_bad_actions_are_refused_clearly(db, client, login, desk, path, data, message):
    login(client, desk["kamau"])
    response = client.post(f"/agent/tickets/{desk['charge'].id}/{path}", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert db.session.get(Ticket, desk["charge"].id).status == Status.NEW


def test_reply_to_a_closed_ticket_is_refused(db, client, login, desk):
    login(client, desk["kamau"])
    base = f"/agent/tickets/{desk['charge'].id}"
    client.post(f"{base}/status", data={"seen": seen(desk["charge"]), "status": "closed"})
    response = client.post(f"{base}/reply", data={"seen": seen(desk["charge"]), "body": "hello?"})
    assert response.status_code == 400 and "reopen it" in response.text


def test_merge_and_transfer(db, client, login, desk):
    login(client, desk["grace"])
    charge, late = desk["charge"], desk["late"]
    response = client.post(f"/agent/tickets/{late.id}/merge", data={"target": charge.reference})
    assert response.headers["Location"].endswith(f"/agent/tickets/{charge.id}")
    client.post(
        f"/agent/tickets/{charge.id}/transfer",
        data={"department_id": desk["achieng"].departments[0].id},
    )
    db.session.expire_all()
    assert db.session.get(Ticket, late.id).merged_into_id == charge.id
    assert db.session.get(Ticket, charge.id).department.name == "General"


def test_api_token_page_shows_a_token_once(client, login, desk):
    login(client, desk["kamau"])
    page = client.post("/agent/token").text
    assert "ft_" in page
    assert "ft_" not in client.get("/agent/token").text
