"""Workers end to end, the targets of issue 14 item 1: two `python -m workers.worker`
processes (one app and one connection pool each; PostgreSQL jobs take batches) on this machine.

Each workload starts the two workers first and waits until both listen, then stores its rows
the way production does (a raw inbound row, an owed Outbox row, a scheduler pass) and times
from that commit to the last ticket filed and acknowledgment handed over, polled in the
database. A worker's start-up is therefore not counted; everything after the commit is.

- inbound SMS: raw Twilio payloads, each filed as a ticket, its acknowledgment handed over
  (console SMS backend);
- email ingestion: raw emails, the same way (console mail backend);
- outbound SMS: owed SMS handed to a local Twilio stand-in over HTTP (tests/fakes/twilio_stub,
  the real twilio client; pacing off);
Not yet here: follow-up steps with their messages (issue 14's ~400/s target); bench/scheduler.py
times the steps in one process.

BENCH_REDIS_URL picks the Redis database (default 14), flushed by each workload.
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from redis import Redis
from sqlalchemy import func, insert, select

from bench._data import bench_app, reset_schema
from ticketing import hours, inbound, queues
from ticketing.extensions import db
from ticketing.models import Customer, Department, InboundRaw, Outbox, Ticket
from ticketing.models.enums import Channel, InboundStatus, OutboxStatus

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 600
WORKERS = 2
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
WORKER = [sys.executable, "-m", "workers.worker"]
SETTLED = (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.SUPPRESSED)


def run(database_url: str, size: int) -> list[dict]:
    app = bench_app(database_url, REDIS_URL)
    kind = database_url.split(":", 1)[0].split("+")[0]
    rows = []
    for name, (store, target) in WORKLOADS.items():
        with app.app_context():
            reset_schema()
            Redis.from_url(REDIS_URL).flushdb()
            extra_env = {}
            if name == "outbound SMS to a Twilio stand-in":
                twilio, extra_env = _twilio()
            try:
                count, took = _timed_with_workers(store, database_url, extra_env)
            finally:
                if extra_env:
                    twilio.stop()
            filed = db.session.scalar(select(func.count(Ticket.id)))
            handed = db.session.scalar(
                select(func.count(Outbox.id)).where(Outbox.status.in_(SETTLED))
            )
        rows.append(_row(kind, name, "per s, 2 workers, end to end", count / took, target))
        rows.append(_row(kind, name, "tickets / messages handed over", f"{filed} / {handed}", ""))
    return rows


def _timed_with_workers(store, database_url: str, extra_env: dict) -> tuple[int, float]:
    """(items, seconds) from the commit of `store()`'s rows to everything settled."""
    processes = _start_workers(database_url, extra_env)
    try:
        _wait_until_listening()
        done, count = store()
        started = time.perf_counter()
        while not done():
            if any(process.poll() is not None for process in processes):
                raise RuntimeError("a worker died")
            if time.perf_counter() - started > 900:
                raise RuntimeError("not settled after 900 s")
            time.sleep(0.05)
        return count, time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def _start_workers(database_url: str, extra_env: dict) -> list[subprocess.Popen]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench",
        "SMS_BACKEND": "console",
        "MAIL_BACKEND": "console",
        "AUTO_MESSAGES_PER_HOUR": "1000",
    }
    return [
        subprocess.Popen(
            WORKER,
            cwd=ROOT,
            env=env | extra_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(WORKERS)
    ]


def _wait_until_listening() -> None:
    redis = Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + 120
    while redis.scard("rq:workers") < WORKERS:
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start")
        time.sleep(0.1)


def _settled(expected_tickets: int | None, expected_messages: int):
    def done() -> bool:
        db.session.rollback()  # a fresh snapshot each poll
        tickets = db.session.scalar(select(func.count(Ticket.id)))
        pending = db.session.scalar(
            select(func.count(InboundRaw.id)).where(InboundRaw.status == InboundStatus.PENDING)
        )
        handed = db.session.scalar(select(func.count(Outbox.id)).where(Outbox.status.in_(SETTLED)))
        return (
            pending == 0
            and (expected_tickets is None or tickets >= expected_tickets)
            and handed >= expected_messages
        )

    return done


def _store_sms():
    db.session.add(Department(name="General", is_default=True))
    for index in range(MESSAGES):
        sid = f"SM{index:032d}"
        payload = urlencode(
            {"From": f"+2547{index:08d}", "Body": "Fridge not cooling", "MessageSid": sid}
        )
        inbound.store(Channel.SMS, sid, payload.encode(), "bench")
    db.session.commit()  # queues MESSAGES process_inbound jobs
    return _settled(MESSAGES, MESSAGES), MESSAGES


def _store_email():
    db.session.add(Department(name="General", is_default=True))
    for index in range(MESSAGES):
        message_id = f"<bench-{index}@customers.example>"
        mail = (
            f"From: Customer {index} <customer{index}@customers.example>\r\n"
            f"To: support@fuatilia.test\r\nSubject: Order {index} has not arrived\r\n"
            f"Message-ID: {message_id}\r\nDate: Thu, 03 Dec 2026 09:00:00 +0000\r\n\r\n"
            f"I paid for order {index} a week ago and it has not come.\r\n"
        )
        inbound.store(Channel.EMAIL, message_id, mail.encode(), "bench")
    db.session.commit()
    return _settled(MESSAGES, MESSAGES), MESSAGES


def _store_outbound():
    now = hours.now()
    db.session.execute(
        insert(Customer),
        [{"name": f"C{i}", "phone": f"+2547{i:08d}", "created_at": now} for i in range(MESSAGES)],
    )
    ids = db.session.scalars(select(Customer.id).order_by(Customer.id)).all()
    db.session.execute(
        insert(Outbox),
        [
            {
                "customer_id": customer_id,
                "channel": Channel.SMS,
                "kind": "bench",
                "recipient": f"+2547{i:08d}",
                "body": "Your ticket FT-BENCH is with our team.",
                "status": OutboxStatus.PENDING,
                "created_at": now,
            }
            for i, customer_id in enumerate(ids)
        ],
    )
    for outbox_id in db.session.scalars(select(Outbox.id)).all():
        queues.enqueue_after_commit(queues.DELIVER, outbox_id)
    db.session.commit()
    return _settled(None, MESSAGES), MESSAGES


def _twilio():
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes.twilio_stub import TwilioStub

    stub = TwilioStub()
    stub.start()
    return stub, {
        "SMS_BACKEND": "twilio",
        "TWILIO_API_BASE": stub.base_url,
        "TWILIO_ACCOUNT_SID": stub.account_sid,
        "TWILIO_AUTH_TOKEN": stub.auth_token,
        "TWILIO_FROM": "+254700000000",
        "SMS_PER_SECOND": "1000000",  # pacing off: the stand-in is local
        "PUBLIC_BASE_URL": "http://fuatilia.test",
    }


WORKLOADS = {
    "inbound SMS filed and acknowledged": (_store_sms, ">= 300"),
    "email ingestion filed and acknowledged": (_store_email, ">= 200"),
    "outbound SMS to a Twilio stand-in": (_store_outbound, ">= 200"),
}


def _row(kind: str, name: str, metric: str, value, target) -> dict:
    value = round(value, 1) if isinstance(value, float) else value
    return {
        "bench": f"workers: {name}",
        "database": kind,
        "size": MESSAGES,
        "metric": metric,
        "value": value,
        "unit": "",
        "target": target,
    }
