"""Every message of the email corpus, through the webhook (one by one) and through IMAP (all at
once): each ends as exactly one raw row and the right outcome, and nothing is doubled."""

import json
import re

import pytest
from harness import CORPUS, count
from sqlalchemy import select

from ticketing import lifecycle
from ticketing.models import Customer, Event, InboundRaw, Message, Outbox, Ticket
from ticketing.models.enums import Channel, InboundStatus, OutboxStatus

MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
BODY_ONLY_REFERENCES = {"012-reply-ref-in-body-only.eml": "FT-X2H7S"}  # manifest: subject only
QUOTED_INSIDE_AN_ATTACHMENT = {"067-forward-as-attachment-rfc822.eml"}
HOSTILE = re.compile(
    r"<script|<iframe|<img|<style|<form|<object|<embed|\son\w+\s*=|"
    r"javascript:|vbscript:|data:",
    re.IGNORECASE,
)
AUTH = {"Authorization": "Bearer inbound-secret", "Content-Type": "message/rfc822"}


def norm(text: str | None) -> str:
    return " ".join((text or "").split())


def our_refs(entry) -> list[str]:
    return [ref for ref in entry["in_reply_to"] + entry["references"] if "@fuatilia.test" in ref]


def reference_of(entry) -> str | None:
    return entry["ticket_ref"] or BODY_ONLY_REFERENCES.get(entry["file"])


def expected_outcome(entry) -> str:
    threads = bool(reference_of(entry) or our_refs(entry))
    if entry["is_bounce"]:
        return "bounce recorded"
    if entry["from"] is None:
        return "rejected"
    if entry["is_automated"]:
        return "stored, unanswered" if threads else "ignored"
    return "follow-up" if threads else "new ticket"


@pytest.fixture
def seeded(db, department, clock):
    """The ticket (and the mail we sent on it) that a corpus message replies to or bounces."""
    from datetime import datetime

    clock.set(datetime(2025, 3, 3, 7, 0))
    department("General")

    def seed(entry) -> tuple[Ticket | None, Outbox | None]:
        reference, refs = reference_of(entry), our_refs(entry)
        bounced = entry["bounced_message_id"]
        if not (reference or refs or bounced):
            return None, None
        owner = "recipient@example.test" if bounced else entry["from"]
        customer = Customer(name="Seeded", email=owner)
        db.session.add(customer)
        ticket = lifecycle.open_ticket(
            customer,
            subject="Earlier request",
            body="Earlier text",
            channel=Channel.EMAIL,
            external_id="<first@example.test>",
        )
        if reference:
            ticket.reference = reference
        sent = db.session.scalar(select(Outbox).where(Outbox.ticket_id == ticket.id))
        sent.message_id = bounced or (refs[0] if refs else sent.message_id)
        sent.status = OutboxStatus.SENT
        db.session.commit()
        return ticket, sent

    return seed


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"][:3] for e in MANIFEST])
def test_corpus_message_through_the_webhook(db, client, run_jobs, seeded, entry):
    ticket, sent = seeded(entry)
    outbox_before = count(db, Outbox.id)
    raw = (CORPUS / entry["file"]).read_bytes()

    response = client.post("/webhooks/email", data=raw, headers=AUTH)
    assert response.status_code == 200 and response.json["status"] == "stored"
    run_jobs()

    [row] = db.session.scalars(select(InboundRaw)).all()  # stored once, never lost
    outcome = expected_outcome(entry)
    CHECKS[outcome](db, entry, row, ticket, sent, outbox_before)
    stored = db.session.scalars(
        select(Message).where(
            Message.external_id == row.external_id, Message.channel == Channel.EMAIL
        )
    ).all()
    assert len(stored) <= 1
    if stored:
        assert_content(entry, stored[0])


def assert_content(entry, message: Message) -> None:
    if entry["text_must_contain"] and entry["category"] != "bounce":
        assert norm(entry["text_must_contain"]) in norm(message.body)
    quoted = entry["quoted_must_not_be_in_new_text"]
    if quoted and entry["file"] not in QUOTED_INSIDE_AN_ATTACHMENT:
        assert norm(quoted) not in norm(message.body)
        assert norm(quoted) in norm(message.full_text)
    names = [file.filename for file in message.attachments]
    assert set(entry["attachments"]) <= set(names)
    assert not HOSTILE.search(message.html)


def check_new_ticket(db, entry, row, ticket, sent, outbox_before):
    assert row.status == InboundStatus.DONE, row.error
    new = db.session.get(Ticket, row.ticket_id)
    assert new.customer.email == entry["from"] and new.channel == Channel.EMAIL
    assert count(db, Ticket.id) == 1
    ack = db.session.scalars(select(Outbox).where(Outbox.ticket_id == new.id)).all()
    assert [(a.kind, a.recipient) for a in ack] == [("received", entry["from"])]


def check_follow_up(db, entry, row, ticket, sent, outbox_before):
    assert row.status == InboundStatus.DONE, row.error
    assert row.ticket_id == ticket.id and count(db, Ticket.id) == 1
    latest = ticket.messages[-1]
    assert latest.external_id == row.external_id and not latest.is_automated
    assert count(db, Outbox.id) == outbox_before  # a follow-up is not acknowledged again


def check_unanswered(db, entry, row, ticket, sent, outbox_before):
    assert row.status == InboundStatus.DONE and row.ticket_id == ticket.id
    assert ticket.messages[-1].is_automated
    assert count(db, Ticket.id) == 1
    assert count(db, Outbox.id) == outbox_before  # never answered


def check_ignored(db, entry, row, ticket, sent, outbox_before):
    assert row.status == InboundStatus.IGNORED
    assert count(db, Ticket.id) == 0 and count(db, Outbox.id) == 0
    assert count(db, Customer.id) == 0  # a robot does not become a customer


def check_bounce(db, entry, row, ticket, sent, outbox_before):
    assert row.status == InboundStatus.DONE and row.ticket_id == ticket.id
    db.session.refresh(sent)
    assert sent.status == OutboxStatus.FAILED and sent.last_error.startswith("bounced: ")
    assert "5.1.1" in sent.last_error and sent.error_code == "5.1.1"
    bounced = db.session.scalars(select(Event).where(Event.kind == "bounced")).all()
    assert [event.ticket_id for event in bounced] == [ticket.id]
    assert count(db, Ticket.id) == 1 and count(db, Message.id) == 1
    assert count(db, Outbox.id) == outbox_before


def check_rejected(db, entry, row, ticket, sent, outbox_before):
    assert row.status == InboundStatus.FAILED
    assert "no sender address" in row.error
    assert count(db, Ticket.id) == 0


CHECKS = {
    "new ticket": check_new_ticket,
    "follow-up": check_follow_up,
    "stored, unanswered": check_unanswered,
    "ignored": check_ignored,
    "bounce recorded": check_bounce,
    "rejected": check_rejected,
}


def test_the_corpus_covers_every_outcome():
    outcomes = {expected_outcome(entry) for entry in MANIFEST}
    assert outcomes == set(CHECKS)
    assert len(MANIFEST) >= 60


def test_a_duplicate_delivery_is_stored_once(db, client, run_jobs, department):
    department("General")
    for name in (
        "017-new-plain-english.eml",
        "057-duplicate-delivery.eml",
        "017-new-plain-english.eml",
    ):
        response = client.post("/webhooks/email", data=(CORPUS / name).read_bytes(), headers=AUTH)
        assert response.status_code == 200
    run_jobs()
    assert count(db, InboundRaw.id) == 1
    assert count(db, Ticket.id) == 1 and count(db, Message.id) == 1


def test_the_whole_corpus_by_imap_then_again_by_webhook_is_stored_once(
    db, client, mail_app, dovecot, run_jobs, department
):
    department("General")
    for entry in MANIFEST:
        dovecot.deliver((CORPUS / entry["file"]).read_bytes())

    result = mail_app.test_cli_runner().invoke(args=["poll-mail"])
    assert result.exit_code == 0, result.output
    run_jobs()
    for entry in MANIFEST:
        response = client.post(
            "/webhooks/email", data=(CORPUS / entry["file"]).read_bytes(), headers=AUTH
        )
        assert response.json["status"] == "duplicate", entry["file"]
    run_jobs()

    assert "83 stored" in result.output and "1 duplicate" in result.output  # 057 repeats 017
    rows = db.session.scalars(select(InboundRaw)).all()
    assert len(rows) == 83 and {row.source for row in rows} == {"imap"}
    by_status = {status: sum(row.status == status for row in rows) for status in InboundStatus}
    automated = sum(e["is_automated"] or e["is_bounce"] for e in MANIFEST)
    assert by_status[InboundStatus.FAILED] == 1  # 054: no sender address
    assert by_status[InboundStatus.IGNORED] == automated  # nothing of ours to thread onto
    assert by_status[InboundStatus.DONE] == 83 - 1 - automated
    assert count(db, Ticket.id) == by_status[InboundStatus.DONE]
    assert count(db, Message.id) == count(db, Ticket.id)


def test_a_reference_alone_from_a_stranger_opens_a_new_ticket(db, client, run_jobs, seeded):
    entry = next(e for e in MANIFEST if e["file"].startswith("010"))
    theirs, _ = seeded(entry | {"from": "owner@example.test"})
    client.post("/webhooks/email", data=(CORPUS / entry["file"]).read_bytes(), headers=AUTH)
    run_jobs()

    [row] = db.session.scalars(select(InboundRaw)).all()
    mine = db.session.get(Ticket, row.ticket_id)
    assert mine.id != theirs.id and mine.customer.email == entry["from"]
    assert len(theirs.messages) == 1
