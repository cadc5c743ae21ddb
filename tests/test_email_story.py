"""Brian's story by email, end to end against real Dovecot and SMTP servers: his mail becomes a
ticket, the acknowledgment and the agent's answer thread in his mail client, his reply lands on
the same ticket with the quoted part folded, his out-of-office never starts a loop, and SMTP
trouble is retried or shown to the agent."""

import re

import pytest
from harness import BRIAN, CORPUS, MONDAY_10_NAIROBI, brian_writes, count, reply_to, seen
from sqlalchemy import select

from ticketing import loop_guard
from ticketing.models import Event, InboundRaw, Outbox, Ticket
from ticketing.models.enums import InboundStatus, OutboxStatus, Status
from workers.sweep import sweep_stuck


@pytest.fixture
def desk(mail_desk):
    """Billing with Otieno on duty, and a way to deliver mail (conftest's mail_desk)."""
    return mail_desk


def test_email_to_ticket_to_agent_reply_to_customer_reply_on_the_same_ticket(
    db, desk, smtp_server, client, login, run_jobs
):
    billing, otieno, deliver = desk
    first = brian_writes()
    assert deliver(first) == "1 stored"

    ticket = db.session.scalar(select(Ticket))
    assert (ticket.customer.email, ticket.department, ticket.assignee) == (BRIAN, billing, otieno)
    ack = smtp_server.parsed(0)
    ack_row = db.session.scalar(select(Outbox).where(Outbox.kind == "received"))
    assert smtp_server.messages[0].rcpt_tos == (BRIAN,)
    assert ack["Message-ID"] == ack_row.message_id and ack_row.status == OutboxStatus.SENT
    assert ack["In-Reply-To"] == first["Message-ID"] and ack["References"] == first["Message-ID"]
    assert ack["Subject"].startswith(f"[{ticket.reference}] ")
    assert ack["Auto-Submitted"] == "auto-generated" and ack["X-Auto-Response-Suppress"] == "All"
    assert ack["Reply-To"] == "Fuatilia Support <support@fuatilia.test>"

    login(client, otieno)
    response = client.post(
        f"/agent/tickets/{ticket.id}/reply",
        data={
            "seen": seen(ticket),
            "body": "Sorry about that. Please send the code of the second payment.",
            "status": "pending_customer",
        },
    )
    assert response.status_code == 302
    run_jobs()
    answer = smtp_server.wait_for(2) and smtp_server.parsed(1)
    assert answer["Auto-Submitted"] is None and answer["X-Auto-Response-Suppress"] is None
    assert answer["Subject"] == f"Re: [{ticket.reference}] {ticket.subject}"
    assert answer["In-Reply-To"] == ack["Message-ID"]
    assert answer["References"].split() == [first["Message-ID"], ack["Message-ID"]]
    assert [part.get_content_type() for part in answer.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    assert ticket.status == Status.PENDING_CUSTOMER

    brian_again = reply_to(answer, "The second code is SC4HT7Y2QX.")
    assert deliver(brian_again) == "1 stored"

    db.session.refresh(ticket)
    assert count(db, Ticket.id) == 1 and ticket.status == Status.OPEN
    latest = ticket.messages[-1]
    assert latest.external_id == brian_again["Message-ID"]
    assert latest.body == "The second code is SC4HT7Y2QX."
    assert "> Sorry about that. Please send the code" in latest.full_text
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Show the full message" in page and "The second code is SC4HT7Y2QX." in page
    assert len(smtp_server.messages) == 2  # the customer's answer is not acknowledged again


def test_an_out_of_office_answering_our_acknowledgment_is_kept_and_never_answered(
    db, desk, smtp_server
):
    *_, deliver = desk
    deliver(brian_writes())
    ack = smtp_server.parsed(0)
    ticket = db.session.scalar(select(Ticket))

    for day in range(6):
        out_of_office = brian_writes(
            subject=f"Automatic reply: {ack['Subject']}",
            body="I am out of the office.",
            Auto_Submitted="auto-replied",
            In_Reply_To=ack["Message-ID"],
            References=ack["Message-ID"],
        )
        assert deliver(out_of_office) == "1 stored", day

    db.session.refresh(ticket)
    assert [m.is_automated for m in ticket.messages] == [False] + [True] * 6
    assert ticket.status == Status.NEW and ticket.last_customer_message_at == MONDAY_10_NAIROBI
    assert count(db, Outbox.id) == 1 and len(smtp_server.messages) == 1
    assert count(db, Ticket.id) == 1


@pytest.mark.config(AUTO_MESSAGES_PER_HOUR=3)
def test_a_robot_that_answers_everything_without_saying_so_is_stopped_by_repetition(
    db, desk, smtp_server
):
    *_, deliver = desk
    deliver(brian_writes(subject="Order 1"))
    answered = 0
    for round_trip in range(10):  # the robot writes anew, no headers, to each mail it gets
        if len(smtp_server.messages) == answered:
            break
        answered += 1
        deliver(
            brian_writes(
                subject=f"Thank you for your email {round_trip}",
                body="We have received your message and will respond shortly.",
            )
        )

    # acknowledgments are answers, never capped for volume: the third one in minutes is what
    # stops the robot (the same automatic message to one address, see loop_guard.guard)
    assert answered == 2 and len(smtp_server.messages) == 2
    rows = db.session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert [row.status for row in rows] == [OutboxStatus.SENT] * 2 + [OutboxStatus.SUPPRESSED]
    assert rows[-1].last_error == loop_guard.REPEATED


def test_a_transient_smtp_refusal_is_retried_with_backoff_then_sent(
    db, desk, smtp_server, clock, run_jobs
):
    *_, deliver = desk
    smtp_server.fail_next(451, "4.3.0 Try again later", times=2)
    deliver(brian_writes())
    row = db.session.scalar(select(Outbox))
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.PENDING,
        1,
        "SMTP 451: 4.3.0 Try again later",
    )
    assert row.not_before == MONDAY_10_NAIROBI.replace(minute=1)

    for minutes in (1, 2):
        clock.advance(minutes=minutes)
        sweep_stuck()
        run_jobs()
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 3, None)
    assert len(smtp_server.wait_for(1)) == 1


def test_a_permanent_smtp_refusal_is_recorded_and_shown_on_the_ticket(
    db, desk, smtp_server, clock, run_jobs, client, login
):
    _, otieno, deliver = desk
    smtp_server.fail_next(550, "5.1.1 User unknown")
    deliver(brian_writes())
    clock.advance(hours=2)
    sweep_stuck()
    run_jobs()

    row = db.session.scalar(select(Outbox))
    assert (row.status, row.attempts, row.error_code) == (OutboxStatus.FAILED, 1, "550")
    assert row.last_error == "SMTP 550: 5.1.1 User unknown" and smtp_server.messages == []
    login(client, otieno)
    page = client.get(f"/agent/tickets/{row.ticket_id}").get_data(as_text=True)
    assert f"Message to {BRIAN} failed: SMTP 550: 5.1.1 User unknown" in page


def test_a_bounce_for_our_reply_marks_it_failed_on_the_ticket_and_opens_nothing(
    db, desk, smtp_server, client, login, run_jobs
):
    _, otieno, deliver = desk
    deliver(brian_writes())
    ticket = db.session.scalar(select(Ticket))
    login(client, otieno)
    client.post(
        f"/agent/tickets/{ticket.id}/reply", data={"seen": seen(ticket), "body": "Refund sent."}
    )
    run_jobs()
    sent = smtp_server.wait_for(2) and smtp_server.parsed(1)

    dsn = (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.gmail.example>\r\n"
        f"To: support@fuatilia.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <dsn-1@mx.gmail.example>\r\nAuto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        f' boundary="R"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nMailbox full.\r\n'
        f"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {BRIAN}\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        f"Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n"
        f"--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {sent['Message-ID']}\r\nSubject: {sent['Subject']}\r\n\r\n--R--\r\n"
    )
    deliver(dsn.encode())

    reply_row = db.session.scalar(select(Outbox).where(Outbox.message_id == sent["Message-ID"]))
    assert reply_row.status == OutboxStatus.FAILED and reply_row.error_code == "5.2.2"
    assert reply_row.last_error == f"bounced: {BRIAN} 5.2.2 552 5.2.2 Mailbox full"
    assert count(db, Ticket.id) == 1 and len(ticket.messages) == 2
    assert count(db, Event.id, Event.kind == "bounced", Event.ticket_id == ticket.id) == 1
    assert (
        db.session.scalar(
            select(InboundRaw.status).where(InboundRaw.external_id == "<dsn-1@mx.gmail.example>")
        )
        == InboundStatus.DONE
    )
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "Mailbox full" in page
    assert len(smtp_server.messages) == 2  # nobody answers a bounce


@pytest.mark.parametrize(
    "name",
    [
        "082-hostile-html-kitchen-sink.eml",
        "083-hostile-html-obfuscated.eml",
        "084-html-tracking-pixel.eml",
    ],
)
def test_hostile_html_reaches_the_agent_page_with_nothing_active_or_remote(
    db, desk, client, login, name
):
    _, otieno, deliver = desk
    deliver((CORPUS / name).read_bytes())
    ticket = db.session.scalar(select(Ticket))
    ticket.department = otieno.departments[0]
    db.session.commit()

    login(client, otieno)
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    thread = re.search(r'<ol class="thread">(.*?)</ol>', page, re.DOTALL).group(1)
    shown = thread.split('<div class="msg-body msg-html">', 1)[1]  # the customer's HTML on,
    shown = re.split(r'<li class="msg ', shown)[0]  # up to the thread's next item (ours)
    for active in (
        r"<script",
        r"<iframe",
        r"<img",
        r"<svg",
        r"<object",
        r"<embed",
        r"<form",
        r"<style",
        r"<base",
        r"<meta",
        r"<link",
        r"\son\w+\s*=",
        r"javascript",
        r"vbscript",
        r"data:",
        r"style=",
    ):
        assert not re.search(active, shown, re.IGNORECASE), active
    assert not re.search(r"evil\.example|tracker\.|mailspy|badhost", page)
    assert sorted(re.findall(r"<script[^>]*>", page)) == [
        f'<script defer src="/static/{name}.js">' for name in ("app", "canned", "keys", "live")
    ]
    assert re.search(
        r"warranty number is BRD-7781-2290|delivery date for order 60114|"
        r"confirm that the spare shelf was dispatched",
        shown,
    )


def test_line_breaks_in_a_subject_cannot_add_headers_to_our_mail(
    db, desk, smtp_server, client, login, run_jobs
):
    _, otieno, deliver = desk
    deliver(brian_writes())
    ticket = db.session.scalar(select(Ticket))
    ticket.subject = "Refund\r\nBcc: thief@evil.example"
    db.session.commit()

    login(client, otieno)
    client.post(
        f"/agent/tickets/{ticket.id}/reply", data={"seen": seen(ticket), "body": "Refund sent."}
    )
    run_jobs()
    received = smtp_server.wait_for(2)[1]
    reply = smtp_server.parsed(1)
    assert received.rcpt_tos == (BRIAN,) and reply["Bcc"] is None
    assert reply["Subject"] == f"Re: [{ticket.reference}] Refund Bcc: thief@evil.example"
