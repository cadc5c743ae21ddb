"""The transactional outbox: owed in the same commit, handed over after it, sent at most once
per success, and never lost when Redis is away."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ticketing import hours, lifecycle, queues
from ticketing.models import Customer, Outbox
from ticketing.models.enums import Channel, OutboxStatus
from workers.deliver import deliver
from workers.sweep import sweep_stuck

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ticket(db, department, staff):
    staff("otieno", departments=[department("After-sales service")])
    customer = Customer(name="Wanjiku", phone="+254712000001")
    db.session.add(customer)
    ticket = lifecycle.open_ticket(customer, subject="", body="Friji haipoi", channel=Channel.SMS)
    return ticket


def owed(db):
    return db.session.scalar(select(Outbox).where(Outbox.kind == "received"))


def test_nothing_is_enqueued_when_the_transaction_rolls_back(db, ticket):
    db.session.rollback()
    assert sum(queues.get_queue(name).count for name in queues.ALL_QUEUES) == 0
    assert db.session.scalar(select(Outbox)) is None


def test_job_id_is_the_outbox_id_and_delivery_happens_once(db, ticket, run_jobs):
    db.session.commit()
    row = owed(db)
    assert queues.get_queue(queues.OUTBOUND).job_ids == [f"outbox-{row.id}"]
    assert run_jobs() == 1
    assert deliver(row.id) == "not due or already handled"
    db.session.expire_all()
    row = owed(db)
    assert (row.status, row.attempts) == (OutboxStatus.DELIVERED, 1)


def test_concurrent_deliveries_of_one_row_send_it_once(db, ticket, app):
    db.session.commit()
    row_id, results = owed(db).id, []

    def attempt():
        with app.app_context():
            results.append(deliver(row_id))

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("delivered") == 1
    db.session.expire_all()
    assert owed(db).attempts == 1


def test_redis_down_at_commit_delays_but_loses_nothing(db, make_app, department, staff, clock):
    clock.set(hours.now())
    broken = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    with broken.app_context():
        customer = Customer(name="Amina", phone="+254722000003")
        db.session.add(customer)
        department("General")
        lifecycle.open_ticket(customer, subject="", body="Where is my order?", channel=Channel.SMS)
        db.session.commit()  # Redis is unreachable: the row stays pending
        row_id = owed(db).id
        db.session.remove()
    assert db.session.get(Outbox, row_id).status == OutboxStatus.PENDING
    assert sweep_stuck() == {"outbox": 0, "inbound": 0}  # too fresh: the relay may still run
    clock.advance(minutes=2)
    assert sweep_stuck()["outbox"] == 1
    assert queues.get_queue(queues.OUTBOUND).job_ids == [f"outbox-{row_id}"]


def test_held_rows_are_released_by_the_sweep_when_due(db, ticket, clock, run_jobs):
    clock.set(hours.now())
    row = owed(db)
    row.not_before = clock.moment + timedelta(hours=8)
    db.session.commit()
    queues.get_queue(queues.OUTBOUND).empty()
    assert sweep_stuck()["outbox"] == 0
    clock.advance(hours=8, minutes=1)
    assert sweep_stuck()["outbox"] == 1
    run_jobs()
    assert owed(db).status == OutboxStatus.DELIVERED


def test_a_stale_claim_from_a_dead_worker_is_taken_over(db, ticket, clock):
    clock.set(hours.now())
    row = owed(db)
    row.claimed_at = clock.moment  # a worker claimed it and died before sending
    db.session.commit()
    assert deliver(row.id) == "not due or already handled"
    clock.advance(minutes=11)
    assert deliver(row.id) == "delivered"


@pytest.mark.slow
def test_a_real_rq_worker_process_delivers(db, ticket, app):
    db.session.commit()
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        SECRET_KEY="test-secret",
    )
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "rq"),
            "worker",
            "--burst",
            "--url",
            app.config["REDIS_URL"],
            "--job-class",
            "workers.app_job.AppJob",
            *queues.ALL_QUEUES,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    db.session.expire_all()
    assert owed(db).status == OutboxStatus.DELIVERED
