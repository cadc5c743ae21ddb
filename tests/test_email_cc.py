"""People copied on a ticket, against real Dovecot and SMTP servers: Brian copies his colleague
Amina; agents' replies reach both, her reply-all lands on his ticket, a stranger holding our
Message-ID or the reference cannot write on it, and agents can change who is copied."""

import re
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from harness import BRIAN, brian_writes, count, page_text, seen
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.models import Event, InboundRaw, Outbox, Ticket
from ticketing.models.enums import InboundStatus, OutboxStatus, Status

AMINA = "amina.wekesa@company.example"
pytestmark = pytest.mark.config(MAIL_ALIASES="help@fuatilia.test, sales@fuatilia.test")


@pytest.fixture
def desk(mail_desk):
    """Billing with Otieno on duty, and a way to deliver mail (conftest's mail_desk)."""
    return mail_desk


def amina_writes(
    subject: str, body: str, sender: str = AMINA, cc: str = f"Brian Otieno <{BRIAN}>", **headers
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Amina Wekesa <{sender}>"
    message["To"] = "Fuatilia Support <support@fuatilia.test>"
    message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="company.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


@pytest.fixture
def copied(db, desk, smtp_server, client, login, run_jobs):
    """Brian's ticket with Amina copied, and Otieno's answer that reached them both."""
    _, otieno, deliver = desk
    first = brian_writes(
        Cc=f"Amina Wekesa <{AMINA.upper()}>, support@fuatilia.test, "
        "Otieno <otieno@fuatilia.test>, help@fuatilia.test"
    )
    deliver(first)
    ticket = db.session.scalar(select(Ticket))
    login(client, otieno)
    client.post(
        f"/agent/tickets/{ticket.id}/reply",
        data={
            "seen": seen(ticket),
            "body": "Please send the code of the second payment.",
            "status": "pending_customer",
        },
    )
    run_jobs()
    answer = smtp_server.wait_for(2) and smtp_server.parsed(1)
    return ticket, answer, deliver


def test_the_people_copied_get_agents_replies_but_not_automatic_notices(db, copied, smtp_server):
    ticket, answer, _ = copied

    assert ticket.cc_emails == [AMINA]  # not us, our aliases, staff or Brian himself
    acknowledgment = smtp_server.messages[0]
    assert acknowledgment.rcpt_tos == (BRIAN,) and smtp_server.parsed(0)["Cc"] is None
    assert smtp_server.messages[1].rcpt_tos == (BRIAN, AMINA)
    assert answer["To"] == BRIAN and answer["Cc"] == AMINA
    [event] = db.session.scalars(select(Event).where(Event.kind == "cc_added")).all()
    assert event.data == {"added": AMINA}


def test_a_reply_all_from_the_colleague_lands_on_the_ticket_marked_as_hers(
    db, copied, client, smtp_server
):
    ticket, answer, deliver = copied
    assert ticket.status == Status.PENDING_CUSTOMER

    her_reply = amina_writes(
        f"Re: {answer['Subject']}",
        "The second code is SC4HT7Y2QX.",
        In_Reply_To=answer["Message-ID"],
        References=answer["References"] + " " + answer["Message-ID"],
    )
    assert deliver(her_reply) == "1 stored"

    db.session.refresh(ticket)
    assert count(db, Ticket.id) == 1 and ticket.status == Status.OPEN
    latest = ticket.messages[-1]
    assert (latest.sender, latest.body) == (AMINA, "The second code is SC4HT7Y2QX.")
    assert ticket.cc_emails == [AMINA]  # Brian, on her Cc line, is the customer already
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert f"{AMINA} CC" in page_text(page)  # her name, tagged as a CC
    status_page = client.get(f"/t/{ticket.token}").get_data(as_text=True)
    assert re.search(rf"{re.escape(AMINA)} .{{0,40}}The second code", page_text(status_page))
    assert len(smtp_server.messages) == 2  # her words are not acknowledged


def test_the_colleague_writing_with_only_the_reference_threads_and_a_stranger_does_not(
    db, copied, smtp_server
):
    ticket, _, deliver = copied
    subject = f"About [{ticket.reference}]"

    deliver(amina_writes(subject, "Also, the receipt is attached."))
    deliver(amina_writes(subject, "Send me the refund.", sender="mallory@elsewhere.example"))

    db.session.refresh(ticket)
    assert ticket.messages[-1].sender == AMINA
    theirs = db.session.scalar(select(Ticket).where(Ticket.id != ticket.id))
    assert theirs.customer.email == "mallory@elsewhere.example"
    assert [m.body for m in theirs.messages] == ["Send me the refund."]
    mention = db.session.scalar(select(Event).where(Event.kind == "mentions"))
    assert (mention.ticket_id, mention.data) == (theirs.id, {"references": ticket.reference})
    to_stranger = smtp_server.wait_for(3)[2]
    assert to_stranger.rcpt_tos == ("mallory@elsewhere.example",)
    assert ticket.subject not in to_stranger.raw.decode()  # nothing of Brian's ticket


def test_a_stranger_holding_our_message_id_cannot_write_on_the_ticket(db, copied):
    ticket, answer, deliver = copied
    before = len(ticket.messages)

    forged = amina_writes(
        "Re: your ticket",
        "Change the refund number to 0799 000 000.",
        sender="mallory@elsewhere.example",
        In_Reply_To=answer["Message-ID"],
    )
    deliver(forged)

    db.session.refresh(ticket)
    assert len(ticket.messages) == before and ticket.status == Status.PENDING_CUSTOMER
    assert count(db, Ticket.id) == 2


def test_an_out_of_office_from_the_colleague_is_kept_and_never_answered(db, copied, smtp_server):
    ticket, answer, deliver = copied

    deliver(
        amina_writes(
            f"Automatic reply: {answer['Subject']}",
            "Away until Monday.",
            Auto_Submitted="auto-replied",
            In_Reply_To=answer["Message-ID"],
        )
    )

    db.session.refresh(ticket)
    raw = db.session.scalar(select(InboundRaw).order_by(InboundRaw.id.desc()))
    assert raw.status == InboundStatus.IGNORED  # kept raw; it opens, wakes and answers nothing
    assert len(ticket.messages) == 2 and ticket.status == Status.PENDING_CUSTOMER
    assert len(smtp_server.messages) == 2 and count(db, Ticket.id) == 1


def test_an_agent_changes_who_is_copied_and_bad_lists_change_nothing(
    db, copied, client, run_jobs, smtp_server
):
    ticket, _, deliver = copied
    url = f"/agent/tickets/{ticket.id}/cc"

    for wrong, error in [
        ("ben@partner.example, not-an-address", "Not an email address: not-an-address."),
        (BRIAN, f"{BRIAN} is the customer"),
        ("support@fuatilia.test", "staff and our own addresses are never copied"),
        ("\n".join(f"p{n}@partner.example" for n in range(21)), "at most 20 people"),
    ]:
        response = client.post(url, data={"addresses": wrong})
        assert response.status_code == 400 and error in response.get_data(as_text=True)
        db.session.refresh(ticket)
        assert ticket.cc_emails == [AMINA], wrong

    response = client.post(url, data={"addresses": "Ben Mwangi <Ben@Partner.example>;\n\n"})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.cc_emails == ["ben@partner.example"]
    kinds = db.session.scalars(
        select(Event.kind).where(Event.kind.like("cc_%")).order_by(Event.id)
    ).all()
    assert kinds == ["cc_added", "cc_removed", "cc_added"]

    client.post(
        f"/agent/tickets/{ticket.id}/reply", data={"seen": seen(ticket), "body": "Refund sent."}
    )
    run_jobs()
    assert smtp_server.wait_for(3)[2].rcpt_tos == (BRIAN, "ben@partner.example")
    deliver(amina_writes(f"Re: [{ticket.reference}]", "Thanks!"))
    assert count(db, Ticket.id) == 2  # no longer copied: her mail is her own request

    assert client.post(url, data={"addresses": ""}).status_code == 302
    db.session.refresh(ticket)
    assert ticket.cc_emails == []


def test_a_cc_line_of_hundreds_keeps_twenty_and_says_who_was_left_out(db, desk):
    *_, deliver = desk
    crowd = ", ".join(f"Person {n} <person{n}@crowd.example>" for n in range(300))
    deliver(brian_writes(Cc=crowd + ", garbage <<<>>>, @@, <>"))

    ticket = db.session.scalar(select(Ticket))
    assert ticket.cc_emails == [f"person{n}@crowd.example" for n in range(20)]
    event = db.session.scalar(select(Event).where(Event.kind == "cc_added"))
    assert "person20@crowd.example" in event.data["left_out"]
    assert count(db, Ticket.id) == 1 and len(ticket.messages) == 1


def test_merging_brings_the_other_customer_and_their_copies_along(
    db, desk, smtp_server, client, run_jobs, login
):
    _, otieno, deliver = desk
    deliver(brian_writes(subject="Charged twice"))
    deliver(
        amina_writes(
            "Brian was charged twice", "Writing for Brian.", cc=f"{BRIAN}, finance@company.example"
        )
    )
    brians, hers = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert hers.cc_emails == [BRIAN, "finance@company.example"]

    lifecycle.merge(hers, brians, by=otieno)
    db.session.commit()

    assert brians.cc_emails == [AMINA, "finance@company.example"]
    login(client, otieno)
    client.post(
        f"/agent/tickets/{brians.id}/reply",
        data={"seen": seen(brians), "body": "Both refunds are on it."},
    )
    run_jobs()
    reply = smtp_server.wait_for(3)[-1]
    assert reply.rcpt_tos == (BRIAN, AMINA, "finance@company.example")


def test_a_customer_address_refused_while_the_copies_go_out_is_a_failure_not_retried(
    db, copied, smtp_server, client, run_jobs
):
    ticket, _, _ = copied
    smtp_server.fail_next(550, "5.1.1 User unknown")  # the first RCPT: Brian's

    client.post(
        f"/agent/tickets/{ticket.id}/reply", data={"seen": seen(ticket), "body": "Refund sent."}
    )
    run_jobs()

    row = db.session.scalar(select(Outbox).order_by(Outbox.id.desc()))
    assert (row.status, row.error_code, row.attempts) == (OutboxStatus.FAILED, "550", 1)
    assert row.last_error == (f"SMTP 550: 5.1.1 User unknown (for {BRIAN}; the copies went out)")
    assert smtp_server.wait_for(3)[2].rcpt_tos == (AMINA,)
