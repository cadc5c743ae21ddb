"""No double send: an attempt whose answer never came (the provider was slow, or the worker
died mid-send) is looked up at Twilio before the message goes again. Every test counts, at the
stub, the duplicates and the messages lost: both must be 0."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from conftest import smtp_settings
from harness import CUSTOMER, MONDAY_10_NAIROBI, OUR_NUMBER, SERVICE_SID, serving, sms_ticket
from sqlalchemy import select

from ticketing import hours, lifecycle, outbox, queues
from ticketing.channels.email import send as send_by_smtp
from ticketing.extensions import db
from ticketing.models import Customer, Outbox
from ticketing.models.enums import Channel, Language, OutboxStatus
from workers.deliver import deliver
from workers.sweep import sweep_stuck

ROOT = Path(__file__).resolve().parents[1]
HANDED_OVER = (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.DELIVERED)
SLOW = ("hang", 1.5)  # Twilio takes the message, and answers after TWILIO_TIMEOUT (1 s)


@pytest.fixture
def desk(sms_app, department, staff, clock, twilio, monkeypatch):
    """An SMS ticket at Monday 10:00; the stub dates its messages by the same frozen clock."""
    clock.set(MONDAY_10_NAIROBI)
    monkeypatch.setattr(twilio, "clock", lambda: hours.now().replace(tzinfo=UTC))
    return sms_ticket(department, staff, acknowledge=False)


def owe(desk, *bodies: str) -> list[Outbox]:
    agent, ticket = desk
    rows = [lifecycle.reply(ticket, by=agent, body=body).outbox for body in bodies]
    db.session.commit()
    return rows


def fresh(rows: list[Outbox]) -> list[Outbox]:
    db.session.expire_all()
    return [db.session.get(Outbox, row.id) for row in rows]


def retry_when_due(clock, run_jobs, minutes: int) -> int:
    """Let the back-off pass, then do what the scheduler's sweep and a worker would do."""
    clock.advance(minutes=minutes)
    sweep_stuck()
    return run_jobs()


def tally(twilio, rows: list[Outbox]) -> dict:
    """Duplicates at the stub, and owed messages that never reached it or are not recorded
    as handed over with the stub's SID."""
    bodies = Counter(m["body"] for m in twilio.messages)
    sid_of = {m["body"]: m["sid"] for m in twilio.messages}
    lost = [
        row.id
        for row in fresh(rows)
        if row.status not in HANDED_OVER or row.provider_id != sid_of.get(row.body)
    ]
    return {"duplicates": sum(n - 1 for n in bodies.values()), "lost": len(lost)}


def test_a_slow_provider_gets_each_message_once(desk, twilio, run_jobs, clock):
    twilio.script(CUSTOMER, *[SLOW] * 6)
    rows = owe(desk, *[f"Answer {n}" for n in range(6)])
    run_jobs()
    assert len(twilio.messages) == 6  # Twilio took every one; we never heard it say so
    for row in fresh(rows):
        assert (row.status, row.doubt_since) == (OutboxStatus.PENDING, MONDAY_10_NAIROBI)
        assert "ReadTimeout" in row.last_error
    assert retry_when_due(clock, run_jobs, minutes=1) == 6
    assert tally(twilio, rows) == {"duplicates": 0, "lost": 0}
    for row in fresh(rows):
        assert (row.status, row.attempts, row.doubt_since) == (OutboxStatus.QUEUED, 2, None)
    assert len(twilio.listed) == 6
    assert {(q["To"], q["From"]) for q in twilio.listed} == {(CUSTOMER, OUR_NUMBER)}
    assert retry_when_due(clock, run_jobs, minutes=60) == 0


def test_through_a_messaging_service_the_lookup_matches_the_service(
    sms_app, desk, twilio, run_jobs, clock
):
    sms_app.config["TWILIO_FROM"] = SERVICE_SID
    twilio.script(CUSTOMER, SLOW)
    rows = owe(desk, "From the service")
    run_jobs()
    assert retry_when_due(clock, run_jobs, minutes=1) == 1
    assert tally(twilio, rows) == {"duplicates": 0, "lost": 0}
    assert twilio.listed == [{"To": CUSTOMER, "PageSize": "50"}]  # its number is Twilio's pick


def test_500_then_slow_then_ok_sends_once(desk, twilio, run_jobs, clock):
    twilio.script(CUSTOMER, ("http", 500, 20500, "Internal Server Error"), SLOW, "ok")
    rows = owe(desk, "Your spare part has arrived")
    run_jobs()
    [row] = fresh(rows)
    assert (row.status, row.error_code, row.doubt_since) == (
        OutboxStatus.PENDING,
        "20500",
        MONDAY_10_NAIROBI,  # a 500 does not say Twilio did not take it
    )
    assert retry_when_due(clock, run_jobs, minutes=1) == 1  # not found at Twilio: sent
    [row] = fresh(rows)
    assert (row.status, row.doubt_since) == (OutboxStatus.PENDING, MONDAY_10_NAIROBI)
    assert len(twilio.messages) == 1 and len(twilio.rejected) == 1
    assert retry_when_due(clock, run_jobs, minutes=2) == 1  # found: recorded, not sent
    assert tally(twilio, rows) == {"duplicates": 0, "lost": 0}
    assert fresh(rows)[0].attempts == 3 and len(twilio.listed) == 2


def test_429_and_a_refused_connection_are_not_in_doubt(sms_app, desk, twilio, run_jobs, clock):
    twilio.script(CUSTOMER, ("http", 429, 20429, "Too Many Requests"))
    rows = owe(desk, "Slow down")
    run_jobs()
    with socket.socket() as probe:  # a port nobody listens on: the request never leaves
        probe.bind(("127.0.0.1", 0))
        sms_app.config["TWILIO_API_BASE"] = f"http://127.0.0.1:{probe.getsockname()[1]}"
        rows += owe(desk, "Nobody home")
        run_jobs()
    assert [r.doubt_since for r in fresh(rows)] == [None, None]
    assert "ConnectionError" in fresh(rows)[1].last_error
    sms_app.config["TWILIO_API_BASE"] = twilio.base_url
    assert retry_when_due(clock, run_jobs, minutes=1) == 2
    assert tally(twilio, rows) == {"duplicates": 0, "lost": 0}
    assert twilio.listed == []  # nothing to ask: Twilio never took them


def test_a_status_callback_for_the_timed_out_attempt_stops_the_resend(
    sms_app, desk, twilio, run_jobs, clock
):
    with serving(sms_app) as base:
        sms_app.config["PUBLIC_BASE_URL"] = base
        twilio.script(CUSTOMER, SLOW)
        rows = owe(desk, "A technician comes at 10")
        run_jobs()
        [sid] = [m["sid"] for m in twilio.messages]
        assert twilio.send_status(sid, "sent") == 204  # found by ?outbox= in its URL
        assert retry_when_due(clock, run_jobs, minutes=1) == 0
        assert twilio.send_status(sid, "delivered") == 204
    [row] = fresh(rows)
    assert (row.status, row.provider_id, row.attempts) == (OutboxStatus.DELIVERED, sid, 1)
    assert len(twilio.messages) == 1 and twilio.listed == []


def test_while_twilio_cannot_be_asked_nothing_is_sent_then_each_goes_once(
    desk, twilio, run_jobs, clock
):
    twilio.script(CUSTOMER, SLOW, ("drop",))  # the first was taken, the second was not
    rows = owe(desk, "Taken late", "Cut off")
    run_jobs()
    assert [r.doubt_since for r in fresh(rows)] == [MONDAY_10_NAIROBI] * 2
    twilio.go_down()
    assert retry_when_due(clock, run_jobs, minutes=1) == 2
    for row in fresh(rows):
        assert (row.status, row.error_code) == (OutboxStatus.PENDING, "503")
        assert row.last_error == "earlier attempt unknown: Twilio lookup failed: HTTP 503"
        assert row.doubt_since == MONDAY_10_NAIROBI
    assert len(twilio.messages) == 1  # never sent blind
    twilio.come_back()
    assert retry_when_due(clock, run_jobs, minutes=2) == 2
    assert tally(twilio, rows) == {"duplicates": 0, "lost": 0}


def test_the_same_words_owed_twice_are_two_messages(desk, twilio, run_jobs, clock):
    twilio.script(CUSTOMER, SLOW, SLOW)
    rows = owe(desk, "OK", "OK")
    run_jobs()
    assert retry_when_due(clock, run_jobs, minutes=1) == 2
    first, second = fresh(rows)
    assert len(twilio.messages) == 2
    assert {first.provider_id, second.provider_id} == {m["sid"] for m in twilio.messages}


def test_an_identical_message_before_the_doubtful_attempt_is_not_taken_for_it(
    desk, twilio, run_jobs, clock
):
    [earlier] = owe(desk, "Please call us")
    run_jobs()
    clock.advance(hours=3)
    twilio.script(CUSTOMER, ("drop",))
    rows = owe(desk, "Please call us")
    run_jobs()
    assert retry_when_due(clock, run_jobs, minutes=1) == 1
    [row] = fresh(rows)
    assert row.status == OutboxStatus.QUEUED and row.provider_id != fresh([earlier])[0].provider_id
    assert len(twilio.messages) == 2


def test_a_held_update_is_on_record_in_its_final_words_before_twilio_takes_it(
    sms_app, desk, twilio, run_jobs, clock, monkeypatch
):
    """Its words are rendered again at send time; a lookup after a crash compares the words
    on record, so they are committed before the send, not with its outcome."""
    agent, ticket = desk
    lifecycle.set_pending(ticket, by=agent)
    db.session.commit()
    held = db.session.scalar(select(Outbox).where(Outbox.kind == "waiting"))
    held_id, held_words = held.id, held.body
    ticket.customer.language = Language.SW  # she changed language meanwhile
    db.session.commit()
    on_record, accept = [], twilio._accept

    def read_the_record_as_twilio_takes_it(fields):
        with sms_app.app_context():
            on_record.append(db.session.scalar(select(Outbox.body).where(Outbox.id == held_id)))
            db.session.remove()
        return accept(fields)

    monkeypatch.setattr(twilio, "_accept", read_the_record_as_twilio_takes_it)
    assert retry_when_due(clock, run_jobs, minutes=10) == 1
    [sent] = twilio.messages
    assert on_record == [sent["body"]] and sent["body"] != held_words


def worker_env(app, twilio, **extra) -> dict:
    config = app.config
    return dict(
        os.environ,
        DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=config["REDIS_URL"],
        SECRET_KEY="test-secret",
        SMS_BACKEND="twilio",
        TWILIO_API_BASE=twilio.base_url,
        TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_FROM=config["TWILIO_FROM"],
        SMS_PER_SECOND="1000",
        **extra,
    )


def rq_worker(app, *options: str) -> list[str]:
    return [
        str(Path(sys.executable).parent / "rq"),
        "worker",
        *options,
        "--url",
        app.config["REDIS_URL"],
        "--job-class",
        "workers.app_job.AppJob",
        "--worker-class",
        "rq.worker.SimpleWorker",  # the job runs in the process we kill
        queues.OUTBOUND,
    ]


def wait_until(check, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_workers_killed_mid_send_are_taken_over_without_a_second_send(
    sms_app, department, staff, twilio, clock
):
    """Two real `rq worker` processes each hand Twilio a message and are SIGKILLed while
    waiting for the answer; the sweep and a new worker take the stale claims over."""
    agent, ticket = sms_ticket(department, staff, acknowledge=False)
    twilio.script(CUSTOMER, ("hang", 5), ("hang", 5))
    rows = owe((agent, ticket), "First in flight", "Second in flight")
    env = worker_env(sms_app, twilio, TWILIO_TIMEOUT="30")
    workers = [
        subprocess.Popen(rq_worker(sms_app), cwd=ROOT, env=env, start_new_session=True)
        for _ in range(2)
    ]
    try:
        wait_until(lambda: len(twilio.messages) == 2, 30)
    finally:
        for worker in workers:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
    claimed = fresh(rows)
    assert all(r.status == OutboxStatus.PENDING and r.claimed_at for r in claimed)
    claimed_at = [r.claimed_at for r in claimed]

    sms_app.config["OUTBOX_CLAIM_SECONDS"] = 1
    time.sleep(1.1)  # the claims grow stale: their workers are dead
    clock.set(hours.now() + timedelta(minutes=1))  # the sweep leaves rows a minute to the relay
    assert sweep_stuck()["outbox"] == 2
    takeover = worker_env(sms_app, twilio, OUTBOX_CLAIM_SECONDS="1")
    result = subprocess.run(
        rq_worker(sms_app, "--burst"),
        cwd=ROOT,
        env=takeover,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert tally(twilio, rows) == {"duplicates": 0, "lost": 0}
    assert len(twilio.listed) == 2  # each taken-over claim asked Twilio first
    for row, dead_claim in zip(fresh(rows), claimed_at, strict=True):
        assert (row.attempts, row.doubt_since, row.claimed_at) == (2, None, None)
        assert row.sent_at > dead_claim


def test_email_has_no_lookup_so_a_doubtful_mail_goes_again_with_its_message_id(
    app, department, staff, smtp_server, clock
):
    """The remaining risk, pinned: SMTP cannot be asked what it took. A worker that died
    after the server took the mail leaves a second copy, with the same Message-ID."""
    app.config.update(smtp_settings(smtp_server))
    clock.set(MONDAY_10_NAIROBI)
    staff("otieno", departments=[department("General")])
    person = Customer(name="Brian", email="brian@mail.example")
    db.session.add(person)
    lifecycle.open_ticket(person, subject="Charged twice", body="Help", channel=Channel.EMAIL)
    db.session.commit()
    queues.get_queue(queues.OUTBOUND).empty()
    row = db.session.scalar(select(Outbox))
    assert outbox.claim(row.id)  # a worker claims it, sends, and dies before recording it
    db.session.commit()
    send_by_smtp(row)
    clock.advance(seconds=app.config["OUTBOX_CLAIM_SECONDS"] + 1)
    assert deliver(row.id) == "sent"
    [row] = fresh([row])
    assert (row.attempts, row.doubt_since) == (2, None)
    sent = smtp_server.wait_for(2)
    assert [message_from_bytes(m.raw)["Message-ID"] for m in sent] == [row.message_id] * 2
