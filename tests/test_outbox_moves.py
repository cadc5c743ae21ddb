"""Every move of an Outbox row after creation goes through ticketing/outbox.py's one status
table: forward only, final statuses stay final, and an opt-out follows the channel's flag."""

from datetime import datetime

import pytest
from sqlalchemy import select

from ticketing import customers, lifecycle, outbox
from ticketing.channels import Bounce, Sent, StatusReport
from ticketing.models import Customer, Event, Outbox
from ticketing.models.enums import Channel, OutboxStatus

SID = "SM0123456789abcdef0123456789abcdef"


@pytest.fixture
def owed(db, department, staff, clock):
    """The acknowledgment owed to a customer who wrote on `channel`, claimed by a worker."""
    clock.set(datetime(2025, 3, 3, 7, 0))
    staff("otieno", departments=[department("General")])

    def make(channel: Channel = Channel.SMS) -> Outbox:
        contact = (
            {"phone": "+254712000001"}
            if channel == Channel.SMS
            else {"email": "wanjiku@example.test"}
        )
        person = Customer(name="Wanjiku", **contact)
        db.session.add(person)
        ticket = lifecycle.open_ticket(
            person, subject="Fridge", body="Friji haipoi", channel=channel
        )
        db.session.commit()
        row = db.session.scalar(select(Outbox).where(Outbox.ticket_id == ticket.id))
        assert outbox.claim(row.id)
        db.session.commit()
        return row

    return make


def said(status: OutboxStatus, code: str | None = None, opted_out: bool = False) -> StatusReport:
    return StatusReport(
        provider_id=SID,
        status=status,
        error_code=code,
        description=f"provider {status} ({code})",
        opted_out=opted_out,
    )


def reported(db, row: Outbox, report: StatusReport) -> Outbox:
    outbox.record_report(Channel.SMS, report, row.id)
    db.session.commit()
    return db.session.get(Outbox, row.id)


def test_reports_only_move_forward_and_a_final_status_stays(db, owed):
    row = owed()
    outbox.record_sent(row, Sent(provider_id=SID, status=OutboxStatus.QUEUED))
    db.session.commit()
    assert reported(db, row, said(OutboxStatus.DELIVERED)).status == OutboxStatus.DELIVERED
    delivered_at = row.delivered_at
    for late in (OutboxStatus.SENT, OutboxStatus.QUEUED, OutboxStatus.FAILED):
        row = reported(db, row, said(late, code="30003"))
    assert (row.status, row.delivered_at, row.error_code) == (
        OutboxStatus.DELIVERED,
        delivered_at,
        None,
    )


def test_a_send_recorded_after_a_callback_keeps_the_callbacks_status(db, owed):
    row = reported(db, owed(), said(OutboxStatus.DELIVERED))  # found by the URL's outbox id
    outbox.record_sent(row, Sent(provider_id=SID, status=OutboxStatus.QUEUED))
    db.session.commit()
    assert (row.status, row.provider_id, row.claimed_at) == (OutboxStatus.DELIVERED, SID, None)


def test_a_retry_never_undoes_a_delivery_reported_meanwhile(db, owed):
    row = reported(db, owed(), said(OutboxStatus.DELIVERED))
    outbox.retry_later(row, "read timeout", "timeout")
    db.session.commit()
    assert (row.status, row.not_before, row.last_error) == (OutboxStatus.DELIVERED, None, None)


def test_retries_back_off_then_give_up_for_good(db, owed, clock):
    row = owed()
    for minutes in outbox.BACKOFF_MINUTES:
        outbox.retry_later(row, "provider down", "503")
        db.session.commit()
        assert row.status == OutboxStatus.PENDING
        assert not outbox.claim(row.id)  # not due yet
        clock.advance(minutes=minutes)
        assert outbox.claim(row.id)
        db.session.commit()
    outbox.retry_later(row, "provider down", "503")
    db.session.commit()
    attempts = len(outbox.BACKOFF_MINUTES) + 1
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, attempts)
    assert row.last_error == f"gave up after {attempts} attempts: provider down"
    assert not outbox.claim(row.id)


def test_an_opted_out_failure_opts_the_customer_out_whatever_the_code(db, owed):
    row = owed()
    outbox.fail(row, "recipient unsubscribed", "STOPPED", opted_out=True)
    db.session.commit()
    person = db.session.scalar(select(Customer))
    assert (row.status, row.error_code, [o.line for o in person.opt_outs]) == (
        OutboxStatus.FAILED,
        "STOPPED",
        [row.line],
    )
    [event] = db.session.scalars(select(Event).where(Event.kind == "sms_opt_out")).all()
    assert event.data == {"source": "provider error STOPPED", "line": row.line}


def test_a_replayed_opt_out_report_does_not_undo_a_later_opt_in(db, owed):
    row = reported(db, owed(), said(OutboxStatus.FAILED, code="21610", opted_out=True))
    person = db.session.scalar(select(Customer))
    assert customers.is_opted_out(person, row.line)
    customers.set_sms_opt_out(person, False, line=row.line, source="SMS START")
    db.session.commit()
    reported(db, row, said(OutboxStatus.FAILED, code="21610", opted_out=True))
    assert db.session.scalar(select(Customer)).opt_outs == []


def test_a_failure_without_the_flag_leaves_consent_alone(db, owed):
    row = reported(db, owed(), said(OutboxStatus.FAILED, code="30003"))
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "provider failed (30003)")
    assert db.session.scalar(select(Customer)).opt_outs == []


def test_a_report_on_a_suppressed_row_is_ignored(db, owed):
    row = owed()
    outbox.suppress(row, "customer opted out of SMS")
    db.session.commit()
    assert outbox.record_report(Channel.SMS, said(OutboxStatus.DELIVERED), row.id) is None
    assert reported(db, row, said(OutboxStatus.DELIVERED)).status == OutboxStatus.SUPPRESSED


def test_a_bounce_fails_a_sent_email_once_and_a_delay_only_notes_it(db, owed):
    row = owed(Channel.EMAIL)
    outbox.record_sent(row, Sent(provider_id=row.message_id, status=OutboxStatus.SENT))
    db.session.commit()
    outbox.record_bounce(Bounce(message_id=row.message_id, reason="greylisted", is_permanent=False))
    assert row.status == OutboxStatus.SENT
    ticket = outbox.record_bounce(
        Bounce(message_id=row.message_id, reason="Mailbox full", status="5.2.2")
    ).ticket  # the row it failed
    outbox.record_bounce(Bounce(message_id=row.message_id, reason="User unknown", status="5.1.1"))
    db.session.commit()
    assert (row.status, row.error_code, row.last_error) == (
        OutboxStatus.FAILED,
        "5.2.2",
        "bounced: Mailbox full",
    )
    kinds = db.session.scalars(
        select(Event.kind).where(
            Event.ticket_id == ticket.id, Event.kind.in_(["bounced", "delivery_delayed"])
        )
    ).all()
    assert sorted(kinds) == ["bounced", "bounced", "delivery_delayed"]
