"""Outages with real processes: our two workers and the scheduler (and gunicorn) keep running
while Redis is SIGKILLed and restarted, or PostgreSQL is stopped for 30 s, and afterwards every
customer's SMS is filed once and acknowledged once. Private redis-server and PostgreSQL
processes (tests/fakes/processes.py) take the faults; the shared ones are never touched.

What each test counts, and wants 0 of: texts lost (no ticket), texts filed twice, and
acknowledgments missing or duplicated at the Twilio stub."""

import os
import time
from collections import Counter
from contextlib import ExitStack

import pytest
import requests
from fakes.processes import (
    BIN,
    SCHEDULER,
    WORKER,
    PostgresCluster,
    RedisServer,
    Service,
    free_port,
    gunicorn,
    healthy,
    postgres_bin,
    process_env,
    wait_for,
)
from fakes.twilio_stub import inbound_sms_params, sign
from harness import OUR_NUMBER, WEBHOOK
from rq import SimpleWorker
from sqlalchemy import func, select

from ticketing import create_app, queues
from ticketing.extensions import db
from ticketing.models import Customer, Department, InboundRaw, Outbox, Ticket
from ticketing.models.enums import InboundStatus, OutboxStatus
from workers.app_job import AppJob

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def numbers(count: int, first: int = 0) -> list[str]:
    return [f"+2547110{index:05d}" for index in range(first, first + count)]


def tally(sent_to: list[str]) -> dict:
    """Lost, doubly filed and missing/duplicated acknowledgments for the texts from `sent_to`,
    all of which should be 0, and what was left unsettled in the database."""
    db.session.expire_all()
    tickets = dict(
        db.session.execute(
            select(Customer.phone, func.count(Ticket.id))
            .join(Ticket, Ticket.customer_id == Customer.id)
            .group_by(Customer.phone)
        ).all()
    )
    raws = Counter(db.session.scalars(select(InboundRaw.status)).all())
    rows = Counter(db.session.scalars(select(Outbox.status)).all())
    db.session.rollback()  # hand the connection back: the database may be stopped next
    return {
        "lost": sum(1 for number in sent_to if tickets.get(number, 0) == 0),
        "filed_twice": sum(1 for number in sent_to if tickets.get(number, 0) > 1),
        "raw_unsettled": sum(n for status, n in raws.items() if status != InboundStatus.DONE),
        "rows_unsent": sum(n for status, n in rows.items() if status not in HANDED_OVER),
    }


def acks(twilio, sent_to: list[str]) -> dict:
    """How many numbers got no acknowledgment at the stub, and how many got more than one."""
    received = Counter(message["to"] for message in twilio.messages)
    return {
        "acks_missing": sum(1 for number in sent_to if received[number] == 0),
        "acks_duplicated": sum(max(received[number] - 1, 0) for number in sent_to),
        "to_strangers": sum(n for number, n in received.items() if number not in sent_to),
    }


HANDED_OVER = {OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.DELIVERED}
ALL_ZERO = {
    "lost": 0,
    "filed_twice": 0,
    "raw_unsettled": 0,
    "rows_unsent": 0,
    "acks_missing": 0,
    "acks_duplicated": 0,
    "to_strangers": 0,
}


def settled(twilio, sent_to: list[str]):
    outcome = tally(sent_to) | acks(twilio, sent_to)
    return outcome if outcome == ALL_ZERO else None


def outcome_or_report(twilio, sent_to, timeout: float, services) -> dict:
    """Wait (bounded) for everything to settle; on time-out, say where it stands and show logs."""
    try:
        return wait_for(lambda: settled(twilio, sent_to), timeout, "every text filed and acked", 1)
    except AssertionError as error:
        logs = "\n".join(f"--- {s.name}\n{s.output()[-3000:]}" for s in services)
        outcome = tally(sent_to) | acks(twilio, sent_to)
        raise AssertionError(f"{error}: {outcome}\n{logs}") from None


def test_workers_and_scheduler_outlive_a_redis_kill_and_nothing_is_lost_or_sent_twice(
    app, make_app, twilio, department, tmp_path
):
    """Redis is SIGKILLed while both workers are sending and comes back empty a minute later
    (over one of the scheduler's ticks). What Redis lost, the sweep queues again from the
    database: rows owed over a minute ago, and rows whose send was put off by the outage."""
    department("General")
    twilio.clear()
    sent_to = numbers(30)
    with ExitStack() as stack:
        redis = RedisServer(tmp_path).start()
        stack.callback(redis.kill)
        env = process_env(
            tmp_path,
            twilio,
            app.config["SQLALCHEMY_DATABASE_URI"],
            redis.url,
            SMS_PER_SECOND="8",
        )
        scheduler = Service("scheduler", SCHEDULER, env, tmp_path)
        workers = [Service(f"worker{i}", WORKER, env, tmp_path) for i in (1, 2)]
        for service in (scheduler, *workers):
            stack.callback(service.stop)
        scheduler.start()
        web = make_app(REDIS_URL=redis.url, SMS_BACKEND="twilio", TWILIO_API_BASE=twilio.base_url)
        client = web.test_client()
        for number in sent_to:
            params = inbound_sms_params(from_=number, to=OUR_NUMBER, body=f"Fridge {number}")
            signature = sign("http://fuatilia.test" + WEBHOOK, params, twilio.auth_token)
            response = client.post(WEBHOOK, data=params, headers={"X-Twilio-Signature": signature})
            assert response.status_code == 200
        with web.app_context():  # file the texts here: the 30 acknowledgments are then owed
            inbound = queues.get_queue(queues.INBOUND)
            SimpleWorker([inbound], connection=inbound.connection, job_class=AppJob).work(
                burst=True
            )
            db.session.remove()
        assert tally(sent_to)["lost"] == 0
        for worker in workers:  # started once every message is owed, so that both are busy
            worker.start()
        wait_for(lambda: len(twilio.messages) >= 8, 90, "a quarter of the acknowledgments")

        redis.kill()
        delivered_before = len(twilio.messages)
        time.sleep(63)  # longer than the scheduler's minute and the first send back-off
        redis.start()

        outcome = outcome_or_report(twilio, sent_to, 90, [scheduler, *workers])
        assert outcome == ALL_ZERO
        assert delivered_before < len(sent_to)  # the outage really came in the middle
        for service in (scheduler, *workers):
            assert service.alive(), f"{service.name} died:\n{service.output()[-3000:]}"
            log = service.output()
            assert "Redis unreachable" in log and "Redis is back" in log, service.name


def post_sms(base_url: str, auth_token: str, number: str, body: str) -> int:
    params = inbound_sms_params(from_=number, to=OUR_NUMBER, body=body)
    signature = sign(base_url + WEBHOOK, params, auth_token)
    response = requests.post(
        base_url + WEBHOOK, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
    )
    return response.status_code


def test_a_database_stop_of_30_seconds_loses_no_text_and_no_process(twilio, tmp_path):
    """gunicorn spools the texts that arrive while PostgreSQL is stopped and answers 200; the
    first text after the restart replays the spool; workers and scheduler carry on."""
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("a database stop needs PostgreSQL (TEST_DATABASE_URL); SQLite cannot stop")
    if postgres_bin() is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    twilio.clear()
    with ExitStack() as stack:
        cluster = PostgresCluster()
        stack.callback(cluster.remove)
        cluster.create()
        redis = RedisServer(tmp_path).start()
        stack.callback(redis.kill)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = process_env(tmp_path, twilio, cluster.url, redis.url, SMS_PER_SECOND="50")
        env["PUBLIC_BASE_URL"] = base_url
        init = Service("init-db", [str(BIN / "flask"), "--app", "wsgi", "init-db"], env, tmp_path)
        init.start().process.wait(120)
        assert init.process.returncode == 0, init.output()

        reader = create_app({"SQLALCHEMY_DATABASE_URI": cluster.url, "REDIS_URL": redis.url})
        context = reader.app_context()
        context.push()
        stack.callback(context.pop)
        stack.callback(db.session.remove)
        db.session.add(Department(name="General", is_default=True))
        db.session.commit()

        services = [Service("web", gunicorn(port), env, tmp_path)]
        services += [Service(f"worker{i}", WORKER, env, tmp_path) for i in (1, 2)]
        services.append(Service("scheduler", SCHEDULER, env, tmp_path))
        for service in services:
            stack.callback(service.stop)
            service.start()
        wait_for(lambda: healthy(base_url), 30, "gunicorn to answer")

        before, during, after = numbers(8), numbers(8, 100), numbers(8, 200)
        answers = [post_sms(base_url, twilio.auth_token, n, f"Before {n}") for n in before]
        outcome_or_report(twilio, before, 60, services)

        cluster.stop()
        stopped_at = time.monotonic()
        answers += [post_sms(base_url, twilio.auth_token, n, f"During {n}") for n in during]
        spooled = len(list((tmp_path / "spool").glob("*.json")))
        time.sleep(max(0.0, stopped_at + 30 - time.monotonic()))
        cluster.start()
        answers += [post_sms(base_url, twilio.auth_token, n, f"After {n}") for n in after]

        everyone = before + during + after
        outcome = outcome_or_report(twilio, everyone, 90, services)
        assert outcome == ALL_ZERO
        assert answers == [200] * len(everyone)
        assert spooled == len(during)  # they really arrived while the database was down
        assert not list((tmp_path / "spool").glob("*.json"))
        for service in services:
            assert service.alive(), f"{service.name} died:\n{service.output()[-3000:]}"
