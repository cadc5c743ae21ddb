"""The public form and the customer's status page, through real requests."""

import io

import pytest
from harness import SUPPORT_FORM, seen
from sqlalchemy import func, select

from ticketing.models import Attachment, Customer, Message, Outbox, Ticket
from ticketing.models.enums import Channel, OutboxStatus, Status

FORM = SUPPORT_FORM


@pytest.fixture
def desk(department, staff):
    sales = department("Sales", keywords="delivery, order")
    return staff("achieng", departments=[sales])


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_customer_gets_reference_link_and_an_sms_acknowledgment(db, client, desk, run_jobs):
    response = client.post("/support", data=FORM)
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert response.headers["Location"].endswith(f"/t/{ticket.token}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ticket.reference in page and "Delivery is late" in page
    assert ticket.customer.phone == "+254712345678"
    assert ticket.department.name == "Sales" and ticket.assignee == desk
    assert run_jobs() >= 1
    ack = db.session.scalar(select(Outbox).where(Outbox.kind == "received"))
    assert ack.channel == Channel.SMS and ack.status == OutboxStatus.DELIVERED
    assert ticket.reference in ack.body


@pytest.mark.parametrize(
    "change, message",
    [
        ({"name": ""}, "Please tell us your name."),
        ({"phone": "", "email": ""}, "Give an email address or a mobile number"),
        ({"email": "not-an-email", "phone": ""}, "That email address looks wrong."),
        ({"phone": "12345"}, "is not a valid phone number"),
        ({"subject": ""}, "Please give a short subject."),
        ({"description": ""}, "Please describe the problem."),
        ({"subject": "x" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_input_is_refused_clearly_and_keeps_what_was_typed(db, client, desk, change, message):
    response = client.post("/support", data=FORM | change)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'value="Amina Hassan"' in page or change.get("name") == ""
    assert "My delivery to Kisumu is 5 days late." in page or change.get("description") == ""
    assert count(db, Ticket) == 0


def test_attachment_is_stored_and_an_oversized_one_is_refused(db, client, desk, app):
    photo = (io.BytesIO(b"\x89PNG fake delivery note"), "delivery-note.png")
    assert client.post("/support", data=FORM | {"attachment": photo}).status_code == 302
    stored = db.session.scalar(select(Attachment))
    assert stored.filename == "delivery-note.png" and stored.size == 23
    big = (io.BytesIO(b"x" * (app.config["MAX_ATTACHMENT_BYTES"] + 1)), "big.jpg")
    response = client.post("/support", data=FORM | {"attachment": big})
    assert response.status_code == 400 and "larger than" in response.get_data(as_text=True)
    assert count(db, Ticket) == 1


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_form_without_csrf_token_is_refused(db, client, desk):
    response = client.post("/support", data=FORM)
    assert response.status_code == 400
    assert count(db, Ticket) == 0


def test_status_page_hides_internal_notes_and_takes_a_reply(db, client, desk, login):
    client.post("/support", data=FORM)
    ticket = db.session.scalar(select(Ticket))
    agent = login(client.application.test_client(), desk)
    agent.post(
        f"/agent/tickets/{ticket.id}/note",
        data={"seen": seen(ticket), "body": "customer is a VIP, be quick"},
    )
    agent.post(
        f"/agent/tickets/{ticket.id}/reply", data={"seen": seen(ticket), "body": "It leaves today."}
    )
    page = client.get(f"/t/{ticket.token}").get_data(as_text=True)
    assert "It leaves today." in page and "VIP" not in page
    client.post(f"/t/{ticket.token}/reply", data={"body": "Thank you!"})
    db.session.expire_all()
    texts = [m.body for m in db.session.scalars(select(Message).order_by(Message.id))]
    assert texts[-1] == "Thank you!"


def test_unknown_status_token_is_404(client):
    assert client.get("/t/not-a-token").status_code == 404
    assert client.get("/t/" + "x" * 500).status_code == 404


def test_same_contact_is_one_customer(db, client, desk):
    client.post("/support", data=FORM)
    client.post("/support", data=FORM | {"phone": "+254 712 345678", "subject": "Again"})
    assert count(db, Customer) == 1 and count(db, Ticket) == 2


def test_customer_confirms_and_rates_by_link(db, client, desk, login):
    client.post("/support", data=FORM | {"category": "after_sale", "subject": "Fridge broken"})
    ticket = db.session.scalar(select(Ticket))
    agent = login(client.application.test_client(), desk)
    agent.post(
        f"/agent/tickets/{ticket.id}/status", data={"seen": seen(ticket), "status": "resolved"}
    )
    client.post(f"/t/{ticket.token}/confirm", data={"fixed": "1"})
    db.session.expire_all()
    assert ticket.status == Status.CLOSED
    client.post(f"/t/{ticket.token}/rate", data={"score": "4", "comment": "Quick"})
    client.post(f"/t/{ticket.token}/rate", data={"score": "1"})
    db.session.expire_all()
    assert (ticket.satisfaction_score, ticket.satisfaction_comment) == (4, "Quick")
