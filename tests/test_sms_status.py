"""Delivery status callbacks, sent by the stub over real HTTP: signed, idempotent, monotonic,
and safe when they overtake our own record of the send."""

from harness import (
    STATUS,
    outbox_rows,
)
from sqlalchemy import func, select

from ticketing import lifecycle
from ticketing.extensions import db
from ticketing.models import OptOut, Outbox
from ticketing.models.enums import OutboxStatus


def send_reply(live_sms, run_jobs, body: str) -> Outbox:
    _, agent, ticket = live_sms
    message = lifecycle.reply(ticket, by=agent, body=body)
    db.session.commit()
    run_jobs()
    return fresh(message.outbox)


def fresh(row: Outbox) -> Outbox:
    db.session.expire_all()
    return db.session.get(Outbox, row.id)


def test_callbacks_out_of_order_or_twice_never_move_a_message_back(
    live_sms, run_jobs, twilio, clock, login, sms_app
):
    good = send_reply(live_sms, run_jobs, "A technician comes tomorrow")
    bad = send_reply(live_sms, run_jobs, "Please confirm")
    for status in ("sent", "delivered", "sent", "queued"):
        assert twilio.send_status(good.provider_id, status) == 204
        if status == "delivered":
            delivered_at = fresh(good).delivered_at
            clock.advance(minutes=5)
    assert twilio.send_status(good.provider_id, "delivered") == 204  # Twilio retried it
    assert (fresh(good).status, fresh(good).delivered_at) == (OutboxStatus.DELIVERED, delivered_at)

    assert twilio.send_status(bad.provider_id, "undelivered", error_code=30003) == 204
    assert twilio.send_status(bad.provider_id, "failed", error_code=30005) == 204
    assert twilio.send_status(bad.provider_id, "sent") == 204
    failed = fresh(bad)
    assert (failed.status, failed.error_code) == (OutboxStatus.FAILED, "30003")
    assert failed.last_error == "Twilio undelivered (error 30003)"

    html = (
        login(sms_app.test_client(), live_sms[1])
        .get(f"/agent/tickets/{live_sms[2].id}")
        .get_data(as_text=True)
    )
    assert 'class="ticks delivered"' in html and 'class="ticks failed"' in html
    assert "(code 30003)" in html


def test_unknown_forged_and_unsigned_callbacks(live_sms, run_jobs, twilio):
    row = send_reply(live_sms, run_jobs, "Hello")
    base = live_sms[0]
    twilio._resources["SMunknown"] = dict(twilio._resources[row.provider_id], sid="SMunknown")
    assert twilio.send_status("SMunknown", "delivered", url=base + STATUS) == 204
    assert twilio.send_status(row.provider_id, "delivered", signature="forged") == 403
    assert twilio.send_status(row.provider_id, "delivered", signature="") == 403
    assert fresh(row).status == OutboxStatus.QUEUED
    assert twilio.send_status(row.provider_id, "bogus-status") == 204
    assert fresh(row).status == OutboxStatus.QUEUED


def test_a_callback_for_another_rows_id_never_touches_it(live_sms, run_jobs, twilio):
    first = send_reply(live_sms, run_jobs, "First")
    second = send_reply(live_sms, run_jobs, "Second")
    url = live_sms[0] + STATUS + f"?outbox={second.id}"
    assert twilio.send_status(first.provider_id, "delivered", url=url) == 204
    assert fresh(first).status == OutboxStatus.DELIVERED  # found by its own SID
    assert fresh(second).status == OutboxStatus.QUEUED


def test_callbacks_that_overtake_our_record_of_the_send_still_count(
    live_sms, run_jobs, twilio, monkeypatch
):
    accept = twilio._accept

    def report_before_answering(fields):
        reply = accept(fields)
        sid = reply.body["sid"]
        assert twilio.send_status(sid, "sent") == 204
        assert twilio.send_status(sid, "delivered") == 204
        return reply

    monkeypatch.setattr(twilio, "_accept", report_before_answering)
    row = send_reply(live_sms, run_jobs, "Quick news")
    assert row.status == OutboxStatus.DELIVERED  # the API's later "queued" did not undo it
    assert row.provider_id == twilio.messages[0]["sid"]
    assert row.claimed_at is None and row.attempts == 1


def test_a_21610_failure_callback_marks_the_customer_opted_out(live_sms, run_jobs, twilio):
    row = send_reply(live_sms, run_jobs, "Hello")
    assert twilio.send_status(row.provider_id, "failed", error_code=21610) == 204
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OptOut.id))) == 1
    later = send_reply(live_sms, run_jobs, "Anyone there?")
    assert later.status == OutboxStatus.SUPPRESSED and len(twilio.messages) == 1
    assert [r.status for r in outbox_rows(kind="reply")] == [
        OutboxStatus.FAILED,
        OutboxStatus.SUPPRESSED,
    ]
