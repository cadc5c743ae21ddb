"""Scale-out, shown (issue 14 item 6): production's processes, several of each, on one
PostgreSQL database and one Redis. gunicorn with 2 workers takes signed Twilio webhooks and
relayed emails from 8 threads at once, about 5% of them twice (a provider's retry: the same
MessageSid or Message-ID); three `python -m workers.worker` processes file them and hand the
acknowledgments to the Twilio stub and a real SMTP server; the scheduler then carries out the
follow-up steps of a few hundred tickets made due. One worker is SIGKILLed in the middle of a
job: the sweep (workers/sweep.py) and the outbox claim's time-out finish what it held.

Counted in the database and at the stub and the SMTP server, and wanted 0 of each: texts and
emails lost or filed twice, raw rows left pending or failed, acknowledgments missing or handed
over twice, follow-up steps not carried out or carried out twice.

Sizes come from the environment (SCALE_OUT_SMS, SCALE_OUT_EMAILS, SCALE_OUT_FOLLOW_UPS,
SCALE_OUT_BUDGET seconds for the whole run); the defaults are issue 14's."""

import os
import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

import pytest
import requests
from fakes.processes import (
    SCHEDULER,
    WORKER,
    Service,
    free_port,
    gunicorn,
    healthy,
    process_env,
    wait_for,
)
from fakes.twilio_stub import inbound_sms_params, sign
from harness import OUR_NUMBER, WEBHOOK
from sqlalchemy import func, select, update

from ticketing import hours, lifecycle
from ticketing.extensions import db
from ticketing.models import Customer, Event, InboundRaw, Message, Outbox, Ticket
from ticketing.models.enums import Direction, InboundStatus, OutboxStatus
from ticketing.models.people import DEFAULT_POLICY

SMS = int(os.environ.get("SCALE_OUT_SMS", 2000))
EMAILS = int(os.environ.get("SCALE_OUT_EMAILS", 500))
FOLLOW_UPS = int(os.environ.get("SCALE_OUT_FOLLOW_UPS", 300))
BUDGET = float(os.environ.get("SCALE_OUT_BUDGET", 420))  # seconds, start to last count
RETRIED = 0.05  # share of webhooks the provider sends twice
THREADS = 8
SECRET = "inbound-secret"
# What is left for the killed worker's job: the sweep queues a raw row again once it is older
# than the grace, and a send claim older than OUTBOX_CLAIM_SECONDS is a dead worker's.
SPEED_UPS = {
    "SCHEDULE_INTERVAL_SECONDS": "5",
    "SWEEP_GRACE_SECONDS": "30",
    "OUTBOX_CLAIM_SECONDS": "30",
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(BUDGET + 120),  # the hard stop; the budget below reports counts first
    pytest.mark.config(HOLIDAY_COUNTRY=""),
]

ALWAYS_OPEN = {str(day): ["00:00", "23:59"] for day in range(7)}
# Nothing held: no quiet hours, no closed day, no combining window (CI runs at any hour).
NO_HOLDS = DEFAULT_POLICY | {
    "quiet_start": "00:00",
    "quiet_end": "00:00",
    "update_combine_minutes": 0,
}
HANDED_OVER = {OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.DELIVERED}
STARTED = re.compile(r"^.*?: \S+\(.*\) \((?P<id>[\w-]+)\)$")
FINISHED = re.compile(r"Job OK \((?P<id>[\w-]+)\)")


def phone_numbers(count: int) -> list[str]:
    return [f"+2547220{index:05d}" for index in range(count)]


def addresses(count: int) -> list[str]:
    return [f"customer{index}@scale.example" for index in range(count)]


def sms_request(base_url: str, token: str, index: int, number: str) -> dict:
    params = inbound_sms_params(
        from_=number, to=OUR_NUMBER, body=f"Fridge {index} not cooling", sid=f"SM{index:032x}"
    )
    signature = sign("http://fuatilia.test" + WEBHOOK, params, token)
    return {"url": base_url + WEBHOOK, "data": params, "headers": {"X-Twilio-Signature": signature}}


def email_request(base_url: str, index: int, address: str, secret: str = SECRET) -> dict:
    mail = (
        f"From: Customer {index} <{address}>\r\nTo: support@fuatilia.test\r\n"
        f"Subject: Order {index} is late\r\nMessage-ID: <scale-{index}@scale.example>\r\n"
        f"Date: Thu, 03 Dec 2026 10:00:00 +0300\r\n\r\nOrder {index} has not arrived.\r\n"
    ).encode()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "message/rfc822"}
    return {"url": base_url + "/webhooks/email", "data": mail, "headers": headers}


def traffic(base_url: str, token: str) -> list[dict]:
    """Every webhook once, RETRIED of them twice (the copy later, as a provider retries)."""
    rng = random.Random(14)
    first = [sms_request(base_url, token, i, n) for i, n in enumerate(phone_numbers(SMS))]
    first += [email_request(base_url, i, a) for i, a in enumerate(addresses(EMAILS))]
    rng.shuffle(first)
    retries = rng.sample(first, round(len(first) * RETRIED))
    for copy in retries:
        first.insert(rng.randrange(first.index(copy) + 1, len(first) + 1), copy)
    return first


def send_all(requests_to_send: list[dict]) -> Counter:
    """POST them from THREADS threads, each with its own connection and source address (the
    limiter's per-address ceiling is for one abusive client, not a provider's many)."""
    local = threading.local()

    def post(numbered):
        number, item = numbered
        if not hasattr(local, "session"):
            local.session = requests.Session()
        forwarded = {"X-Forwarded-For": f"10.14.{number % 64}.6"}
        response = local.session.post(
            item["url"], data=item["data"], headers=item["headers"] | forwarded, timeout=60
        )
        return response.status_code

    with ThreadPoolExecutor(THREADS) as pool:
        return Counter(pool.map(post, enumerate(requests_to_send)))


def in_flight(log: str) -> str | None:
    """The job a worker's log shows started and not finished, if any."""
    running = None
    for line in log.splitlines():
        if started := STARTED.match(line.strip()):
            running = started["id"]
        elif (finished := FINISHED.search(line)) and finished["id"] == running:
            running = None
    return running


def make_due(phones: list[str]) -> list[str]:
    """Set the tickets of `phones` pending the customer, their first reminder due a minute
    ago (as if a day had passed); returns `phones`, whose reminders `counts` then expects."""
    tickets = db.session.scalars(select(Ticket).join(Customer).where(Customer.phone.in_(phones)))
    tickets = tickets.all()
    for ticket in tickets:
        lifecycle.set_pending(ticket, by=None, quiet=True)  # a reminder planned in a day
    db.session.commit()
    db.session.execute(  # ... and a day has passed
        update(Ticket)
        .where(Ticket.id.in_([ticket.id for ticket in tickets]))
        .values(next_follow_up_at=hours.now() - timedelta(minutes=1))
    )
    db.session.commit()
    return phones


def counts(twilio, smtp_server, chased: set[str]) -> dict:
    """Everything that should be 0 once the run has settled, counted from the database, the
    Twilio stub and the SMTP server."""
    db.session.expire_all()
    numbers, mails = phone_numbers(SMS), addresses(EMAILS)
    tickets = Counter()
    for phone, email in db.session.execute(
        select(Customer.phone, Customer.email).join(Ticket, Ticket.customer_id == Customer.id)
    ):
        tickets[phone or email] += 1
    inbound_messages = Counter(
        db.session.scalars(
            select(Message.ticket_id).where(Message.direction == Direction.INBOUND)
        ).all()
    )
    raws = Counter(db.session.scalars(select(InboundRaw.status)).all())
    rows = Counter(db.session.scalars(select(Outbox.status)).all())
    owed_twice = db.session.scalar(
        select(func.count()).select_from(
            select(Outbox.ticket_id, Outbox.kind)
            .group_by(Outbox.ticket_id, Outbox.kind)
            .having(func.count() > 1)
            .subquery()
        )
    )
    steps = Counter(
        db.session.scalars(
            select(Customer.phone)
            .join(Ticket, Ticket.customer_id == Customer.id)
            .join(Event, Event.ticket_id == Ticket.id)
            .where(Event.kind == "follow_up")
        ).all()
    )
    reminders = Counter(
        db.session.scalars(select(Outbox.recipient).where(Outbox.kind == "pending_reminder")).all()
    )
    db.session.rollback()
    texts = Counter(message["to"] for message in twilio.messages)
    emails = Counter(to for mail in smtp_server.messages for to in mail.rcpt_tos)
    everyone = set(numbers) | set(mails)
    return {
        "lost": sum(1 for who in everyone if tickets[who] == 0),
        "filed_twice": sum(1 for who in everyone if tickets[who] > 1),
        "tickets_not_one_inbound_message": sum(1 for n in inbound_messages.values() if n != 1),
        "raw_pending": raws[InboundStatus.PENDING],
        "raw_not_done": sum(n for status, n in raws.items() if status != InboundStatus.DONE),
        "raw_rows_not_one_per_message": abs(SMS + EMAILS - raws.total()),
        "outbox_unsent": sum(n for status, n in rows.items() if status not in HANDED_OVER),
        "owed_twice": owed_twice,
        "sms_missing": sum(1 for n in numbers if texts[n] < 1 + (n in chased)),
        "sms_extra": sum(max(texts[n] - 1 - (n in chased), 0) for n in numbers),
        "emails_missing": sum(1 for a in mails if emails[a] == 0),
        "emails_extra": sum(max(emails[a] - 1, 0) for a in mails),
        "to_strangers": sum(texts[n] for n in texts if n not in everyone)
        + sum(emails[a] for a in emails if a not in everyone),
        "steps_missing": sum(1 for n in chased if steps[n] == 0 or reminders[n] == 0),
        "steps_twice": sum(max(steps[n] - 1, 0) + max(reminders[n] - 1, 0) for n in chased),
        "steps_unasked": sum(steps[n] for n in steps if n not in chased),
    }


def test_two_web_and_three_worker_processes_file_and_answer_everything_once(
    app, department, twilio, smtp_server, tmp_path
):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("scale-out needs PostgreSQL: SQLite is the single-host embedded default")
    started = time.monotonic()
    deadline = started + BUDGET
    department("General", working_hours=ALWAYS_OPEN, policy=NO_HOLDS)
    twilio.clear()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = process_env(
        tmp_path,
        twilio,
        app.config["SQLALCHEMY_DATABASE_URI"],
        app.config["REDIS_URL"],
        SMS_PER_SECOND="1000",
        HOLIDAY_COUNTRY="",
        TRUSTED_PROXIES="1",
        INBOUND_EMAIL_SECRET=SECRET,
        MAIL_BACKEND="smtp",
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=str(smtp_server.port),
        SMTP_STARTTLS="0",
        SMTP_USER="",
        **SPEED_UPS,
    )
    chased: set[str] = set()
    phases: dict[str, float] = {}

    def settle(what: str) -> dict:
        """Wait for every count to reach 0, within what is left of the budget."""

        def done():
            outcome = counts(twilio, smtp_server, chased)
            return outcome if not any(outcome.values()) else None

        try:
            wait_for(done, max(deadline - time.monotonic(), 1), what, every=2)
        except AssertionError as error:
            logs = "\n".join(f"--- {s.name}\n{s.output()[-2000:]}" for s in services)
            outcome = {k: v for k, v in counts(twilio, smtp_server, chased).items() if v}
            raise AssertionError(
                f"{error} (budget {BUDGET:g} s, SMS={SMS} EMAILS={EMAILS} "
                f"FOLLOW_UPS={FOLLOW_UPS}, phases {phases}): still wrong {outcome}\n{logs}"
            ) from None
        phases[what] = round(time.monotonic() - started, 1)
        return {}

    with ExitStack() as stack:
        services = [Service("web", gunicorn(port, workers=2), env, tmp_path)]
        services += [Service(f"worker{i}", WORKER, env, tmp_path) for i in (1, 2, 3)]
        services.append(Service("scheduler", SCHEDULER, env, tmp_path))
        for service in services:
            stack.callback(service.stop)
            service.start()
        wait_for(lambda: healthy(base_url), 30, "gunicorn to answer")
        victim = services[1]

        to_send = traffic(base_url, twilio.auth_token)
        sender = ThreadPoolExecutor(1)
        answers = sender.submit(send_all, to_send)

        def filed() -> int:
            done = db.session.scalar(
                select(func.count(InboundRaw.id)).where(InboundRaw.status != InboundStatus.PENDING)
            )
            db.session.rollback()
            return done

        wait_for(lambda: filed() >= (SMS + EMAILS) // 3, deadline - time.monotonic(), "a third")
        killed_job = wait_for(lambda: in_flight(victim.output()), 30, "a job in flight", 0.01)
        victim.kill()
        phases["killed"] = round(time.monotonic() - started, 1)
        assert answers.result(timeout=max(deadline - time.monotonic(), 1)) == {200: len(to_send)}
        sender.shutdown()
        phases["sent"] = round(time.monotonic() - started, 1)
        settle("every text and email filed and acknowledged once")

        chased.update(make_due(phone_numbers(SMS)[:FOLLOW_UPS]))
        settle("every follow-up step carried out once")
        for service in services:
            if service is not victim:
                assert service.alive(), f"{service.name} died:\n{service.output()[-3000:]}"

    elapsed = time.monotonic() - started
    print(f"\nscale-out: {SMS} SMS, {EMAILS} emails, {FOLLOW_UPS} follow-ups in {elapsed:.0f} s")
    print(f"phases (s from start): {phases}; killed {victim.name} in job {killed_job}")
    print(f"load average: {os.getloadavg()}")
