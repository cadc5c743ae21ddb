"""The follow-up scheduler: one pass over `size` tickets of which 1% are due.

A pass selects due tickets by the indexed next_follow_up_at and queues them to workers in
batches, so its time follows the work due, not the table size; the pass with nothing due shows
that. The steps themselves run in the workers: their rate in one process is measured on a sample.
"""

import time
from datetime import timedelta

from sqlalchemy import func, select

from bench._data import bench_app, fill, reset_schema
from ticketing import hours, queues
from ticketing.extensions import db
from ticketing.models import Department, Ticket, User
from ticketing.models.enums import Role
from workers.followups import BATCH, run_batch, run_due_followups

DUE_FRACTION = 0.01
TARGET_MS = 2000
SAMPLE_BATCHES = 3


def run(database_url: str, size: int) -> list[dict]:
    app = bench_app(database_url)
    with app.app_context():
        reset_schema()
        fill(size, due_fraction=DUE_FRACTION)
        _add_supervisor()
        kind = db.engine.dialect.name
        due = db.session.scalar(
            select(func.count(Ticket.id)).where(Ticket.next_follow_up_at <= hours.now())
        )
        _empty_queues()
        idle_ms, _ = _timed(lambda: run_due_followups(_an_hour_ago()))
        pass_ms, result = _timed(run_due_followups)
        again_ms, _ = _timed(run_due_followups)
        keys = _due_keys(SAMPLE_BATCHES * BATCH)
        steps_ms, done = _timed(lambda: run_batch(keys))
        _empty_queues()
    row = {"bench": "scheduler", "database": kind, "size": size}
    return [
        row
        | {
            "metric": f"pass, {result['due']:,} due (select + queue "
            f"{result['batches_queued']} batches)",
            "value": round(pass_ms, 1),
            "unit": "ms",
            "target": f"< {TARGET_MS}",
        },
        row
        | {
            "metric": "same pass again (batches already queued)",
            "value": round(again_ms, 1),
            "unit": "ms",
            "target": f"< {TARGET_MS}",
        },
        row
        | {
            "metric": "pass with nothing due",
            "value": round(idle_ms, 1),
            "unit": "ms",
            "target": "",
        },
        row
        | {
            "metric": f"steps carried out by one worker ({done} sampled)",
            "value": round(done / (steps_ms / 1000), 1),
            "unit": "steps/s",
            "target": "",
        },
        row | {"metric": "tickets due (check)", "value": due, "unit": "tickets", "target": ""},
    ]


def _timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def _an_hour_ago() -> str:
    return (hours.now() - timedelta(hours=1)).isoformat()


def _add_supervisor() -> None:
    """Breach alerts need someone to go to, as in real use."""
    supervisor = User(
        email="grace@bench.test", name="Grace", role=Role.SUPERVISOR, password_hash="-"
    )
    db.session.add(supervisor)
    for department in db.session.scalars(select(Department)):
        department.supervisor = supervisor
    db.session.commit()


def _due_keys(limit: int) -> list:
    rows = db.session.execute(
        select(Ticket.id, Ticket.next_follow_up_at, Ticket.follow_up_step)
        .where(Ticket.next_follow_up_at <= hours.now())
        .order_by(Ticket.next_follow_up_at)
        .limit(limit)
    ).all()
    db.session.rollback()
    return [[ticket_id, at.isoformat(), step.value] for ticket_id, at, step in rows]


def _empty_queues() -> None:
    """Leave the shared bench Redis as found: drop the batches and messages queued here."""
    for name in queues.ALL_QUEUES:
        queues.get_queue(name).empty()
