"""run_due_followups(): the scheduler pass, every minute under the scheduler (python -m workers.scheduler). It reads only what is due.

Due tickets go to workers in batches whose job ids are made from their contents, so two passes
for the same moment queue each batch once. Each ticket's step then runs in its own transaction,
claimed with a compare-and-set on (next_follow_up_at, follow_up_step): however many passes,
workers or machines race for a step, it is carried out once.

Breaches are not emailed by their steps: a step notes its breach on the ticket, and the pass
owes each department's supervisor one digest of the breaches noted (alerts.owe_breach_digests):
built here when the pass ran its batches itself, else by a small job queued behind the
batches (send_breach_digests); whatever a slow worker notes later goes in the next pass's
digest. The pass also owes, once a day, each department's summary of what stays breached.
"""

import hashlib
import json
import logging
from contextlib import nullcontext
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ticketing import alerts, chases, events, hours, promises, queues
from ticketing.extensions import db
from ticketing.models import Customer, Department, Promise, Ticket
from ticketing.models.enums import FollowUpStep, PromiseStatus

log = logging.getLogger(__name__)
BATCH = 200
MAX_PER_PASS = 50_000
PROMISE_REMINDER = timedelta(hours=1)
RETRY_FAILED_STEP = timedelta(minutes=15)
BATCH_FAILURE_TTL = 300  # seconds: then an identical batch may be queued again
BREACH_STEPS = {FollowUpStep.FIRST_RESPONSE_BREACH.value, FollowUpStep.RESOLUTION_BREACH.value}
BREACH_DIGESTS = queues.JobRef("workers.followups.send_breach_digests", queues.DEFAULT, "digests")
# What every step reads, loaded with the ticket in one query rather than one query each.
STEP_LOADS = [
    joinedload(Ticket.customer).joinedload(Customer.opt_outs),  # a chase's STOP check
    joinedload(Ticket.assignee),
    joinedload(Ticket.department).joinedload(Department.supervisor),
]


def run_due_followups(at: str | None = None, *, inline: bool = False) -> dict:
    """One pass at `at` (ISO time, UTC) or now: settle promises due, and hand the due
    follow-up steps to workers (or carry them out here when `inline`)."""
    moment = hours.parse_utc(at) if at else hours.now()
    with hours.frozen(moment):
        reminders, missed = _run_promises(moment)
        due = _due_steps(moment)
        batches = [due[start : start + BATCH] for start in range(0, len(due), BATCH)]
        ran = queued = 0
        ran_here = False
        for batch in batches:
            if not inline and _queue_batch(batch, at):
                queued += 1
            else:
                ran += run_batch(batch, at)
                ran_here = True
        pass_key = moment.strftime("%Y%m%dT%H%M")
        breaches = any(step in BREACH_STEPS for _, _, step in due) or alerts.breaches_noted()
        db.session.rollback()
        if breaches and (ran_here or not _queue_digests(pass_key, at)):
            send_breach_digests(pass_key, at)
        send_daily_summaries(moment)
    return {
        "due": len(due),
        "steps_run": ran,
        "batches_queued": queued,
        "promise_reminders": reminders,
        "promises_missed": missed,
    }


def run_batch(keys: list, at: str | None = None) -> int:
    """Carry out a batch of due steps, each ticket in its own transaction; returns how many
    were this worker's to do (the others were done already or have moved on)."""
    clock = hours.frozen(hours.parse_utc(at)) if at else nullcontext()
    with clock:
        return sum(
            _run_one(ticket_id, datetime.fromisoformat(planned), FollowUpStep(step))
            for ticket_id, planned, step in keys
        )


def send_breach_digests(pass_key: str, at: str | None = None) -> int:
    """Owe each department one digest of the breaches noted so far (a job of its own when the
    batches went to workers, queued behind them); returns how many digests."""
    clock = hours.frozen(hours.parse_utc(at)) if at else nullcontext()
    with clock:
        try:
            digests = alerts.owe_breach_digests(pass_key)
            db.session.commit()
            return digests
        except (IntegrityError, alerts.ClaimLost) as error:
            db.session.rollback()  # another pass is at it: what is left goes in the next one
            log.info("breach digests of pass %s left to the next pass: %s", pass_key, error)
            return 0


def send_daily_summaries(moment: datetime) -> int:
    """Each department's summary of what stays breached, once a day (dedupe key per
    department and local date: two passes or two cron processes never send it twice)."""
    sent = 0
    due = alerts.summaries_due(moment)
    db.session.rollback()
    for department_id, key in due:
        try:
            sent += alerts.owe_summary(department_id, key, moment)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another pass sent it first
    return sent


def _queue_digests(pass_key: str, at: str | None) -> bool:
    """Queue the digest job behind this pass's batches; False when Redis is unreachable."""
    try:
        queues.enqueue(
            BREACH_DIGESTS, pass_key, at, unique=True, result_ttl=0, failure_ttl=BATCH_FAILURE_TTL
        )
    except DuplicateJobError:
        return True
    except RedisError as error:
        log.warning("Redis unavailable (%s): breach digests built in the pass", error)
        return False
    return True


def _due_steps(now: datetime) -> list[list]:
    rows = db.session.execute(
        select(Ticket.id, Ticket.next_follow_up_at, Ticket.follow_up_step)
        .where(Ticket.next_follow_up_at <= now)
        .order_by(Ticket.next_follow_up_at)
        .limit(MAX_PER_PASS)
    ).all()
    db.session.rollback()
    return [
        [ticket_id, planned.isoformat(), step.value]
        for ticket_id, planned, step in rows
        if step is not None
    ]


def _queue_batch(keys: list, at: str | None) -> bool:
    """Queue one batch; True when it is queued (now or by an earlier pass), False when Redis
    is unreachable and the pass should do the work itself."""
    digest = hashlib.sha1(json.dumps(keys).encode(), usedforsecurity=False).hexdigest()[:24]
    try:
        queues.enqueue(
            queues.FOLLOW_UP_BATCH,
            keys,
            at,
            key=digest,
            unique=True,
            result_ttl=0,
            failure_ttl=BATCH_FAILURE_TTL,
        )
    except DuplicateJobError:
        return True
    except RedisError as error:
        log.warning("Redis unavailable (%s): running %s follow-ups in the pass", error, len(keys))
        return False
    return True


def _run_one(ticket_id: int, planned_at: datetime, step: FollowUpStep) -> int:
    claimed = db.session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.next_follow_up_at == planned_at,
            Ticket.follow_up_step == step,
        )
        .values(next_follow_up_at=None)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return 0
    try:
        ticket = db.session.get(Ticket, ticket_id, populate_existing=True, options=STEP_LOADS)
        chases.follow_up(ticket)
        db.session.commit()
        return 1
    except Exception as error:  # noqa: BLE001 - one ticket's failure must not stop the pass
        db.session.rollback()
        log.exception("follow-up %s on ticket %s failed", step, ticket_id)
        _put_back(ticket_id, step, error)
        return 0


def _put_back(ticket_id: int, step: FollowUpStep, error: Exception) -> None:
    """Keep a failed step scheduled (never silent) and leave a trace on the ticket."""
    db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(next_follow_up_at=hours.now() + RETRY_FAILED_STEP, follow_up_step=step)
    )
    events.record_by_id(ticket_id, "follow_up_failed", step=step.value, error=str(error)[:500])
    db.session.commit()


def _run_promises(now: datetime) -> tuple[int, int]:
    """Remind agents of promises due within the hour; settle as missed those now due."""
    to_remind = db.session.scalars(
        select(Promise.id)
        .where(
            Promise.status == PromiseStatus.OPEN,
            Promise.reminded_at.is_(None),
            Promise.due_at <= now + PROMISE_REMINDER,
            Promise.due_at > now,
        )
        .limit(MAX_PER_PASS)
    ).all()
    overdue = db.session.scalars(
        select(Promise.id)
        .where(Promise.status == PromiseStatus.OPEN, Promise.due_at <= now)
        .limit(MAX_PER_PASS)
    ).all()
    db.session.rollback()
    reminders = sum(_claim_promise(promise_id, now, remind=True) for promise_id in to_remind)
    missed = sum(_claim_promise(promise_id, now, remind=False) for promise_id in overdue)
    return reminders, missed


def _claim_promise(promise_id: int, now: datetime, *, remind: bool) -> int:
    """Claim one promise check with a conditional update, act on it, commit: 1 if ours."""
    if not promises.claim(promise_id, now, remind=remind):
        db.session.rollback()
        return 0
    try:
        promise = db.session.get(Promise, promise_id, populate_existing=True)
        if remind:
            promises.remind_promise(promise)
        else:
            promises.settle_promise(promise, kept=False, by=None)
        db.session.commit()
        return 1
    except Exception:  # noqa: BLE001 - unclaimed again, so the next pass retries it
        db.session.rollback()
        log.exception("promise %s check failed", promise_id)
        return 0
