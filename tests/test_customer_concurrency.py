"""A new sender's first messages arriving together: 30 posted at once to the real webhooks of a
live server, filed by several real `rq worker` processes. Nothing may be lost, failed or left
unanswered, and the sender must end up as one customer."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from conftest import DATABASE_URL
from fakes.twilio_stub import inbound_sms_params, sign
from sqlalchemy import func, select

from ticketing.extensions import db
from ticketing.models import Customer, InboundRaw, Message, Outbox, Ticket
from ticketing.models.enums import Direction, InboundStatus

ROOT = Path(__file__).resolve().parents[1]
RQ = str(Path(sys.executable).parent / "rq")
BURST = 30
WORKERS = 3
NUMBER = "+254711222333"
ADDRESS = "achieng@example.co.ke"
pytestmark = pytest.mark.slow


@pytest.fixture
def desk(app, department, staff):
    staff("otieno", departments=[department("General")])


def post_all(send, count: int = BURST) -> None:
    """Post `count` messages at once, each from its own thread; every one must be kept."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        statuses = list(pool.map(send, range(count)))
    assert statuses == [200] * count


def run_workers(app, count: int = WORKERS) -> None:
    """Real `rq worker --burst` processes, started together, configured as the test app is."""
    config = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")} | {
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": config["REDIS_URL"],
        "SECRET_KEY": config["SECRET_KEY"],
        "PUBLIC_BASE_URL": config["PUBLIC_BASE_URL"],
        "SMS_BACKEND": "console",
        "MAIL_BACKEND": "console",
        "TWILIO_FROM": config["TWILIO_FROM"],
        "SPOOL_DIR": config["SPOOL_DIR"],
        "AUTO_MESSAGES_PER_HOUR": str(config["AUTO_MESSAGES_PER_HOUR"]),
    }
    command = [
        RQ,
        "worker",
        "--burst",
        "--job-class",
        "workers.app_job.AppJob",
        "inbound",
        "outbound",
        "default",
        "--url",
        config["REDIS_URL"],
    ]
    workers = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(count)
    ]
    for worker in workers:
        output = worker.communicate(timeout=60)[0]
        assert worker.returncode == 0, output[-3000:]


def filed(sender_column, sender: str) -> dict:
    """What the burst left: raw rows by status, customers, tickets, inbound messages, acks."""
    db.session.expire_all()
    theirs = select(Ticket.id).join(Customer).where(sender_column == sender)
    count = lambda query: db.session.scalar(select(func.count()).select_from(query.subquery()))  # noqa: E731
    return {
        "raw": dict(
            db.session.execute(
                select(InboundRaw.status, func.count()).group_by(InboundRaw.status)
            ).all()
        ),
        "customers": count(select(Customer.id).where(sender_column == sender)),
        "tickets": count(theirs),
        "messages": count(
            select(Message.id).where(
                Message.ticket_id.in_(theirs), Message.direction == Direction.INBOUND
            )
        ),
        "unacknowledged": count(
            select(Ticket.id).where(
                Ticket.id.in_(theirs),
                ~select(Outbox.id)
                .where(Outbox.ticket_id == Ticket.id, Outbox.kind == "received")
                .exists(),
            )
        ),
    }


def test_a_burst_of_first_texts_from_a_new_number_is_one_customer_and_one_ticket(
    app, desk, live_server
):
    token, url = app.config["TWILIO_AUTH_TOKEN"], live_server.url + "/webhooks/twilio/sms"
    signed_url = app.config["PUBLIC_BASE_URL"] + "/webhooks/twilio/sms"

    def send(number: int) -> int:
        params = inbound_sms_params(
            from_=NUMBER, to=app.config["TWILIO_FROM"], body=f"Friji haipoi, part {number}"
        )
        headers = {"X-Twilio-Signature": sign(signed_url, params, token)}
        return requests.post(url, data=params, headers=headers, timeout=30).status_code

    post_all(send)
    run_workers(app)
    # One conversation: the first text opens the ticket and is acknowledged, the rest thread.
    assert filed(Customer.phone, NUMBER) == {
        "raw": {InboundStatus.DONE: BURST},
        "customers": 1,
        "tickets": 1,
        "messages": BURST,
        "unacknowledged": 0,
    }


def email(number: int) -> bytes:
    return (
        f"From: Achieng Otieno <{ADDRESS}>\r\nTo: support@fuatilia.test\r\n"
        f"Subject: Order {7700 + number} has not arrived\r\n"
        f"Message-ID: <burst-{number}@example.co.ke>\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0300\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"\r\nHello, order {7700 + number} is a week late.\r\n"
    ).encode()


def test_a_burst_of_first_emails_from_a_new_address_is_one_customer(app, desk, live_server):
    url = live_server.url + "/webhooks/email"
    headers = {"Authorization": "Bearer inbound-secret", "Content-Type": "message/rfc822"}

    def send(number: int) -> int:
        return requests.post(url, data=email(number), headers=headers, timeout=30).status_code

    post_all(send)
    run_workers(app)
    # Each new subject is a new request: its own ticket, each acknowledged as received.
    assert filed(Customer.email, ADDRESS) == {
        "raw": {InboundStatus.DONE: BURST},
        "customers": 1,
        "tickets": BURST,
        "messages": BURST,
        "unacknowledged": 0,
    }
