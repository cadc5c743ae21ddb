"""POST /webhooks/email: authenticated before anything is read, size-limited, and "200" only
once the raw message is stored; what cannot be filed stays visible to admins."""

import pytest
from harness import oversized_message
from sqlalchemy import func, select

from ticketing.models import Event, InboundRaw, Ticket
from ticketing.models.enums import InboundStatus, Role

MAIL = (
    b"From: Amina <amina@example.test>\r\nSubject: Delivery late\r\n"
    b"Message-ID: <amina-1@example.test>\r\n\r\nMy order has not arrived.\r\n"
)


AUTH = {"Authorization": "Bearer inbound-secret"}


def stored(db) -> int:
    return db.session.scalar(select(func.count(InboundRaw.id)))


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer ",
        "Bearer inbound-secreT",
        "Bearer inbound-secret2",
        "inbound-secret2",
        "Basic aW5ib3VuZC1zZWNyZXQ=",
    ],
)
def test_without_the_right_secret_nothing_is_stored(db, client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.post("/webhooks/email", data=MAIL, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert stored(db) == 0


def test_a_30_mb_message_is_refused_with_413_and_nothing_is_stored(db, client):
    response = client.post(
        "/webhooks/email",
        data=oversized_message(30 * 1024 * 1024),
        headers={"Authorization": "Bearer inbound-secret"},
    )
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"
    assert stored(db) == 0


def test_an_empty_body_is_a_bad_request(db, client):
    response = client.post(
        "/webhooks/email", data=b"  \r\n", headers={"Authorization": "Bearer inbound-secret"}
    )
    assert response.status_code == 400 and stored(db) == 0


def test_a_message_that_cannot_be_filed_is_kept_and_shown_to_admins(
    db, client, run_jobs, staff, login, department
):
    department("General")
    garbage = b"\x00\xff\xfe not an RFC 5322 message at all"
    for body in (garbage, garbage, MAIL):
        response = client.post(
            "/webhooks/email", data=body, headers={"Authorization": "Bearer inbound-secret"}
        )
        assert response.status_code == 200
    run_jobs()

    rows = db.session.scalars(select(InboundRaw).order_by(InboundRaw.id)).all()
    assert [(row.status, row.source) for row in rows] == [
        (InboundStatus.FAILED, "webhook"),
        (InboundStatus.DONE, "webhook"),
    ]
    assert rows[0].payload == garbage and rows[0].external_id.startswith("sha256:")
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    login(client, staff("admin", role=Role.ADMIN))
    page = client.get("/admin/").get_data(as_text=True)
    assert "UnusableMessage: no sender address in From: nobody to answer" in page


@pytest.mark.config(MAX_ATTACHMENT_BYTES=1024)
def test_a_file_over_the_limit_is_left_out_with_a_note_agents_see(
    db, client, run_jobs, staff, login, department
):
    from email.message import EmailMessage

    general = department("General")
    message = EmailMessage()
    message["From"] = "amina@example.test"
    message["Subject"] = "Photos of the delivery note"
    message.set_content("Two photos attached.")
    message.add_attachment(b"p" * 900, maintype="image", subtype="jpeg", filename="note.jpg")
    message.add_attachment(b"v" * 5000, maintype="video", subtype="mp4", filename="van.mp4")
    client.post(
        "/webhooks/email",
        data=message.as_bytes(),
        headers={"Authorization": "Bearer inbound-secret"},
    )
    run_jobs()

    ticket = db.session.scalar(select(Ticket))
    assert [file.filename for file in ticket.messages[0].attachments] == ["note.jpg"]
    login(client, staff("otieno", departments=[general]))
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "van.mp4 (5 KB) not kept: over the 1 KB limit per file" in page
    assert "note.jpg" in page


def test_nul_bytes_and_control_characters_never_reach_the_database(
    db, client, run_jobs, department
):
    department("General")
    raw = (
        b"From: Amina \x00<amina@example.test>\r\nSubject: Late\x00 order\x07\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nMy order\x00 is late.\r\n"
    )
    client.post("/webhooks/email", data=raw, headers={"Authorization": "Bearer inbound-secret"})
    run_jobs()
    [row] = db.session.scalars(select(InboundRaw)).all()
    assert row.status == InboundStatus.DONE, row.error
    ticket = db.session.get(Ticket, row.ticket_id)
    assert (ticket.subject, ticket.messages[0].body) == ("Late order", "My order is late.")


def test_a_different_message_reusing_a_message_id_is_kept_too_and_flagged(
    db, client, run_jobs, department
):
    department("General")
    relayed = b"Received: from mx.example.test by us\r\n" + MAIL  # the same mail, via a relay
    piped = MAIL.replace(b"\r\n", b"\n")  # the same mail, LF line endings
    other = MAIL.replace(b"Delivery late", b"Wrong colour").replace(
        b"My order has not arrived.", b"The fridge I got is red, not white."
    )
    outcomes = [
        client.post("/webhooks/email", data=body, headers=AUTH).json["status"]
        for body in (MAIL, relayed, piped, other, other)
    ]
    run_jobs()

    assert outcomes == ["stored", "duplicate", "duplicate", "stored", "duplicate"]
    first, second = db.session.scalars(select(InboundRaw).order_by(InboundRaw.id)).all()
    assert first.external_id == "<amina-1@example.test>"
    assert second.external_id.startswith("<amina-1@example.test>~")
    assert second.payload == other and second.status == InboundStatus.DONE
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert [t.subject for t in tickets] == ["Delivery late", "Wrong colour"]
    note = db.session.scalar(select(Event).where(Event.kind == "inbound_notes"))
    assert note.ticket_id == tickets[1].id
    assert "the same Message-ID <amina-1@example.test>" in note.data["notes"]


@pytest.mark.config(MAIL_ALIASES="sales@fuatilia.test, billing@fuatilia.test")
def test_one_mail_to_two_of_our_addresses_is_one_ticket_and_neither_is_a_cc(
    db, client, run_jobs, department
):
    department("General")
    mail = MAIL.replace(
        b"Subject:", b"To: sales@fuatilia.test\r\nCc: Billing <billing@fuatilia.test>\r\nSubject:"
    )
    for _ in ("sales", "billing"):  # each alias delivers its own copy
        client.post("/webhooks/email", data=mail, headers=AUTH)
    run_jobs()

    [ticket] = db.session.scalars(select(Ticket)).all()
    assert ticket.cc_emails == [] and len(ticket.messages) == 1
