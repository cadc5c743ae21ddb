"""run_due_followups(): one scheduler pass over the work that is due, and nothing else.

Each ticket is claimed with a compare-and-set on (next_follow_up_at, follow_up_step), so two
passes for the same moment, on one machine or two, carry each step out once.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ticketing import hours, lifecycle
from ticketing.extensions import db
from ticketing.models import Event, Promise, Ticket
from ticketing.models.enums import PromiseStatus

log = logging.getLogger(__name__)
BATCH = 200
MAX_PER_PASS = 5000
PROMISE_REMINDER = timedelta(hours=1)
RETRY_FAILED_STEP = timedelta(minutes=15)


def run_due_followups(at: str | None = None) -> dict:
    """Carry out every follow-up step and promise check due at `at` (ISO, UTC) or now."""
    moment = datetime.fromisoformat(at) if at else hours.now()
    with hours.frozen(moment):
        steps = _run_ticket_steps(moment)
        reminders, missed = _run_promises(moment)
    return {"steps": steps, "promise_reminders": reminders, "promises_missed": missed}


def _run_ticket_steps(now: datetime) -> int:
    done = 0
    while done < MAX_PER_PASS:
        due = db.session.execute(
            select(Ticket.id, Ticket.next_follow_up_at, Ticket.follow_up_step)
            .where(Ticket.next_follow_up_at <= now)
            .order_by(Ticket.next_follow_up_at).limit(BATCH)).all()
        db.session.rollback()
        for ticket_id, planned_at, step in due:
            done += _run_one(ticket_id, planned_at, step)
        if len(due) < BATCH:
            break
    return done


def _run_one(ticket_id: int, planned_at: datetime, step) -> int:
    claimed = db.session.execute(
        update(Ticket).where(Ticket.id == ticket_id, Ticket.next_follow_up_at == planned_at,
                             Ticket.follow_up_step == step)
        .values(next_follow_up_at=None)).rowcount
    if claimed != 1:
        db.session.rollback()
        return 0
    try:
        ticket = db.session.get(Ticket, ticket_id)
        ticket.follow_up_step = step
        lifecycle.follow_up(ticket)
        db.session.commit()
        return 1
    except Exception as error:  # noqa: BLE001 - one ticket's failure must not stop the pass
        db.session.rollback()
        log.exception("follow-up %s on ticket %s failed", step, ticket_id)
        _put_back(ticket_id, step, error)
        return 0


def _put_back(ticket_id: int, step, error: Exception) -> None:
    """Keep a failed step scheduled (never silent) and leave a trace on the ticket."""
    db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(
        next_follow_up_at=hours.now() + RETRY_FAILED_STEP, follow_up_step=step))
    db.session.add(Event(ticket_id=ticket_id, kind="follow_up_failed",
                         data={"step": str(step), "error": str(error)[:500]}))
    db.session.commit()


def _run_promises(now: datetime) -> tuple[int, int]:
    reminders = missed = 0
    to_remind = db.session.scalars(select(Promise.id).where(
        Promise.status == PromiseStatus.OPEN, Promise.reminded_at.is_(None),
        Promise.due_at <= now + PROMISE_REMINDER, Promise.due_at > now).limit(BATCH)).all()
    for promise_id in to_remind:
        claimed = db.session.execute(update(Promise).where(
            Promise.id == promise_id, Promise.reminded_at.is_(None)).values(reminded_at=now))
        if claimed.rowcount == 1:
            lifecycle.remind_promise(db.session.get(Promise, promise_id))
            reminders += 1
        db.session.commit()
    overdue = db.session.scalars(select(Promise.id).where(
        Promise.status == PromiseStatus.OPEN, Promise.due_at <= now).limit(BATCH)).all()
    for promise_id in overdue:
        claimed = db.session.execute(update(Promise).where(
            Promise.id == promise_id, Promise.status == PromiseStatus.OPEN,
            Promise.settled_at.is_(None)).values(settled_at=now))  # the claim
        if claimed.rowcount == 1:
            lifecycle.settle_promise(db.session.get(Promise, promise_id), kept=False, by=None)
            missed += 1
        db.session.commit()
    return reminders, missed
