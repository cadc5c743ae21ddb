"""Outbound SMS through the real twilio client and the stub: transient failures retried with
back-off until delivered, permanent ones recorded and shown, opt-outs honoured, rate kept."""

import time
from datetime import UTC

import pytest
from harness import (
    CUSTOMER,
    MONDAY_10_NAIROBI,
    OUR_NUMBER,
    SERVICE_SID,
    serving,
    sms_ticket,
)
from sqlalchemy import select

from ticketing import hours, lifecycle
from ticketing.extensions import db
from ticketing.models import Customer, Event, Outbox
from ticketing.models.enums import OutboxStatus
from workers.sweep import sweep_stuck


@pytest.fixture
def desk(sms_app, department, staff, clock, run_jobs, twilio):
    """An SMS ticket whose acknowledgment has gone out; returns (agent, ticket)."""
    clock.set(MONDAY_10_NAIROBI)
    agent, ticket = sms_ticket(department, staff)
    run_jobs()
    assert len(twilio.sent_to(CUSTOMER)) == 1
    twilio.clear()
    return agent, ticket


def reply(desk, body: str) -> Outbox:
    agent, ticket = desk
    message = lifecycle.reply(ticket, by=agent, body=body)
    db.session.commit()
    return message.outbox


def retry_when_due(clock, run_jobs, minutes: int) -> int:
    """Let the back-off pass, then do what the scheduler's sweep and a worker would do."""
    clock.advance(minutes=minutes)
    sweep_stuck()
    return run_jobs()


def row(outbox: Outbox) -> Outbox:
    db.session.expire_all()
    return db.session.get(Outbox, outbox.id)


@pytest.mark.parametrize(
    "failure",
    [
        ("http", 503, None, "Service Unavailable"),
        ("http", 500, 20500, "Internal Server Error"),
        ("http", 429, 20429, "Too Many Requests"),
        ("drop",),
    ],
    ids=["503", "500", "429", "connection dropped"],
)
def test_a_transient_failure_is_retried_with_back_off_and_delivered_once(
    desk, twilio, run_jobs, clock, failure
):
    twilio.script(CUSTOMER, failure)
    owed = reply(desk, "A technician will come tomorrow at 10")
    run_jobs()
    first = row(owed)
    assert (first.status, first.attempts) == (OutboxStatus.PENDING, 1)
    assert first.not_before == MONDAY_10_NAIROBI.replace(minute=1) and first.last_error
    assert sweep_stuck()["outbox"] == 0  # not due yet: nothing is handed over early
    assert retry_when_due(clock, run_jobs, minutes=1) == 1
    done = row(owed)
    assert (done.status, done.attempts, done.last_error) == (OutboxStatus.QUEUED, 2, None)
    assert twilio.sent_to(CUSTOMER) == [
        f"{desk[1].reference}: A technician will come tomorrow at 10"
    ]
    assert retry_when_due(clock, run_jobs, minutes=10) == 0


def test_a_read_timeout_is_retried_without_a_second_send(
    sms_app, desk, twilio, run_jobs, clock, monkeypatch
):
    """Twilio accepted both first tries but answered after our timeout (TWILIO_TIMEOUT=1 s):
    one is settled by its late status callback, the other found at Twilio before a resend
    (more in test_no_double_send.py)."""
    monkeypatch.setattr(twilio, "clock", lambda: hours.now().replace(tzinfo=UTC))
    with serving(sms_app) as base:
        sms_app.config["PUBLIC_BASE_URL"] = base
        twilio.script(CUSTOMER, ("hang", 3))
        reported = reply(desk, "First answer")
        twilio.script(CUSTOMER, ("hang", 3))
        unreported = reply(desk, "Second answer")
        run_jobs()
        assert [row(o).status for o in (reported, unreported)] == [OutboxStatus.PENDING] * 2
        assert "ReadTimeout" in row(reported).last_error
        first_sid, second_sid = (m["sid"] for m in twilio.messages)
        assert twilio.send_status(first_sid, "delivered") == 204  # the late news arrives
        assert retry_when_due(clock, run_jobs, minutes=1) == 1
    assert row(reported).status == OutboxStatus.DELIVERED and row(reported).attempts == 1
    assert row(reported).provider_id == first_sid
    assert row(unreported).status == OutboxStatus.QUEUED and row(unreported).attempts == 2
    assert row(unreported).provider_id == second_sid
    assert [m["body"] for m in twilio.messages] == [
        f"{desk[1].reference}: First answer",
        f"{desk[1].reference}: Second answer",
    ]


def test_provider_down_then_back_delivers_everything_once_in_order(desk, twilio, run_jobs, clock):
    twilio.go_down()
    owed = [reply(desk, f"Update {n}") for n in range(1, 4)]
    run_jobs()
    assert retry_when_due(clock, run_jobs, minutes=1) == 3
    assert [row(o).attempts for o in owed] == [2, 2, 2]
    assert {row(o).error_code for o in owed} == {"503"}
    twilio.come_back()
    assert retry_when_due(clock, run_jobs, minutes=1) == 0  # back-off is now 2 minutes
    assert retry_when_due(clock, run_jobs, minutes=1) == 3
    reference = desk[1].reference
    assert twilio.sent_to(CUSTOMER) == [f"{reference}: Update {n}" for n in range(1, 4)]
    assert [row(o).status for o in owed] == [OutboxStatus.QUEUED] * 3
    assert retry_when_due(clock, run_jobs, minutes=60) == 0


def test_a_permanent_failure_ends_failed_with_twilios_code_on_the_ticket_page(
    sms_app, desk, twilio, run_jobs, clock, login
):
    twilio.script(CUSTOMER, ("http", 400, 21211, "The 'To' number is not a valid phone number."))
    owed = reply(desk, "Please call us")
    run_jobs()
    failed = row(owed)
    assert (failed.status, failed.error_code, failed.attempts) == (OutboxStatus.FAILED, "21211", 1)
    assert "not a valid phone number" in failed.last_error
    assert retry_when_due(clock, run_jobs, minutes=60) == 0
    assert len(twilio.rejected) == 1 and twilio.messages == []
    page = login(sms_app.test_client(), desk[0]).get(f"/agent/tickets/{desk[1].id}")
    html = page.get_data(as_text=True)
    assert f"Message to {CUSTOMER} failed:" in html and "(code 21211)" in html
    assert 'class="ticks failed"' in html


def test_twilio_21610_marks_the_customer_opted_out_and_later_sms_are_suppressed(
    desk, twilio, run_jobs, clock
):
    twilio.script(CUSTOMER, ("http", 400, 21610, "Attempt to send to unsubscribed recipient"))
    owed = reply(desk, "Is it working now?")
    run_jobs()
    assert (row(owed).status, row(owed).error_code) == (OutboxStatus.FAILED, "21610")
    person = db.session.scalar(select(Customer).where(Customer.phone == CUSTOMER))
    assert person.opt_outs
    [event] = db.session.scalars(select(Event).where(Event.kind == "sms_opt_out")).all()
    assert event.data == {"source": "provider error 21610", "line": row(owed).line}
    later = reply(desk, "Hello again")
    run_jobs()
    assert row(later).status == OutboxStatus.SUPPRESSED
    assert len(twilio.rejected) == 1 and twilio.messages == []
    assert retry_when_due(clock, run_jobs, minutes=60) == 0


def test_rejected_credentials_are_retried_not_given_up(sms_app, desk, twilio, run_jobs, clock):
    sms_app.config["TWILIO_AUTH_TOKEN"] = "rotated-away"
    owed = reply(desk, "Hello")
    run_jobs()
    assert (row(owed).status, row(owed).error_code) == (OutboxStatus.PENDING, "20003")
    sms_app.config["TWILIO_AUTH_TOKEN"] = twilio.auth_token
    retry_when_due(clock, run_jobs, minutes=1)
    assert row(owed).status == OutboxStatus.QUEUED


def test_sends_keep_to_the_rate_per_sender(sms_app, desk, twilio, run_jobs, monkeypatch):
    sms_app.config["SMS_PER_SECOND"] = 2
    accepted_at = []
    accept = twilio._accept

    def timed(fields):
        accepted_at.append(time.monotonic())
        return accept(fields)

    monkeypatch.setattr(twilio, "_accept", timed)
    for n in range(5):
        reply(desk, f"Message {n}")
    assert run_jobs() == 5
    span = accepted_at[-1] - accepted_at[0]
    gaps = [b - a for a, b in zip(accepted_at, accepted_at[1:], strict=False)]
    print(f"\n5 SMS at SMS_PER_SECOND=2: span {span:.3f} s, gaps {[round(g, 3) for g in gaps]}")
    assert span >= 1.95 and min(gaps) >= 0.45
    assert len(twilio.messages) == 5


def test_a_messaging_service_sends_with_a_status_callback_per_row(sms_app, desk, twilio, run_jobs):
    sms_app.config["TWILIO_FROM"] = SERVICE_SID
    owed = reply(desk, "From the service")
    run_jobs()
    [sent] = twilio.messages
    assert (sent["messaging_service_sid"], sent["from_"]) == (SERVICE_SID, None)
    assert (
        sent["status_callback"] == f"http://fuatilia.test/webhooks/twilio/status?outbox={owed.id}"
    )
    assert row(owed).status == OutboxStatus.QUEUED  # Twilio's "accepted"
    assert row(owed).provider_id == sent["sid"]


def test_a_reply_longer_than_twilio_takes_is_cut_with_a_link_to_the_rest(desk, twilio, run_jobs):
    owed = reply(desk, "Step by step: " + "open the back panel and check the fan. " * 60)
    run_jobs()
    [sent] = twilio.sent_to(CUSTOMER)
    link = f"http://fuatilia.test/t/{desk[1].token}"
    assert len(sent) == 1600 and sent.endswith(f"... {link}")
    assert row(owed).status == OutboxStatus.QUEUED
    assert twilio.messages[0]["from_"] == OUR_NUMBER
