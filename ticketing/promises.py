"""An agent's promise to a customer: made, reminded, kept or missed. The only writer of Promise."""

from datetime import datetime

from sqlalchemy import update

from ticketing import alerts, charter, events, hours, notify
from ticketing.errors import TransitionError
from ticketing.extensions import db
from ticketing.models import Promise, Ticket, User
from ticketing.models.enums import PromiseStatus

MISSED_PROMISE_RECOVERY_MINUTES = 120  # what we tell a customer after a missed promise


def add_promise(ticket: Ticket, *, by: User, description: str, due_at: datetime) -> Promise:
    """Record the agent's commitment and tell the customer what to expect and when."""
    if not (description or "").strip():
        raise TransitionError("the promise is empty")
    if due_at <= hours.now():
        raise TransitionError("a promise must be due in the future")
    if not ticket.is_open:
        raise TransitionError(f"{ticket.reference} is {ticket.status.label.lower()}")
    promise = Promise(ticket=ticket, agent=by, description=description.strip()[:300], due_at=due_at)
    db.session.add(promise)
    events.record(
        ticket, "promised", by, description=promise.description, due_at=due_at.isoformat()
    )
    notify.customer(ticket, "promise", automatic=False, promise=promise)
    return promise


def add_callback(ticket: Ticket, *, due_at: datetime, description: str) -> Promise:
    """A call back the customer asked for, owed by the ticket's department (whoever holds the
    ticket makes it), told to the customer like any promise; one open per ticket."""
    open_one = next((p for p in ticket.promises if p.is_callback and p.status == "open"), None)
    if open_one is not None:
        return open_one
    promise = Promise(ticket=ticket, agent=None, description=description[:300], due_at=due_at)
    db.session.add(promise)
    events.record(
        ticket, "promised", None, description=promise.description, due_at=due_at.isoformat()
    )
    notify.customer(ticket, "callback", promise=promise)
    return promise


def settle_promise(promise: Promise, *, kept: bool, by: User | None) -> None:
    """Record whether a promise was kept; a missed one alerts the supervisor and tells the
    customer honestly when to expect contact instead."""
    if promise.status != PromiseStatus.OPEN:
        raise TransitionError("this promise is already settled")
    promise.status = PromiseStatus.KEPT if kept else PromiseStatus.MISSED
    promise.settled_at = hours.now()
    ticket = promise.ticket
    if kept:
        events.record(
            ticket, "promise_kept", by, promise_id=promise.id, description=promise.description
        )
        return
    calendar = charter.calendar_for(ticket.department)
    new_time = calendar.add_minutes(hours.now(), MISSED_PROMISE_RECOVERY_MINUTES)
    events.record(
        ticket,
        "promise_missed",
        by,
        promise_id=promise.id,
        description=promise.description,
        customer_told_by=new_time.isoformat(),
    )
    alerts.alert(
        alerts.supervisor_of(ticket),
        "promise_missed",
        ticket,
        promise=promise,
        dedupe_key=f"promise-missed-staff:{promise.id}",
    )
    notify.customer(
        ticket,
        "promise_missed",
        proactive=True,
        promise=promise,
        new_time=new_time,
        dedupe_key=f"promise-missed:{promise.id}",
    )


def remind_promise(promise: Promise) -> None:
    """Remind the agent an hour before their promise falls due (their supervisor if away); a
    department's call-back reminds whoever holds the ticket."""
    promise.reminded_at = hours.now()
    agent = promise.agent or promise.ticket.assignee
    on_duty = agent is not None and agent.is_enabled and not agent.is_away
    events.record(
        promise.ticket,
        "promise_reminder",
        promise_id=promise.id,
        to=agent.name if on_duty else "supervisor (agent away)",
    )
    alerts.alert(
        agent if on_duty else alerts.supervisor_of(promise.ticket),
        "promise_reminder",
        promise.ticket,
        promise=promise,
        dedupe_key=f"promise-reminder:{promise.id}",
    )


def cancel_open(ticket: Ticket) -> None:
    """A closed ticket owes nothing more: its open promises are cancelled, not missed."""
    for promise in ticket.promises:
        if promise.status == PromiseStatus.OPEN:
            promise.status, promise.settled_at = PromiseStatus.CANCELLED, hours.now()


def claim(promise_id: int, now: datetime, *, remind: bool) -> bool:
    """Take one due check of an open promise (its reminder, or settling it as missed) with a
    compare-and-set, so that however many passes race, one carries it out."""
    unclaimed = Promise.reminded_at.is_(None) if remind else Promise.settled_at.is_(None)
    column = "reminded_at" if remind else "settled_at"
    claimed = db.session.execute(
        update(Promise)
        .where(Promise.id == promise_id, Promise.status == PromiseStatus.OPEN, unclaimed)
        .values({column: now})
    ).rowcount
    return claimed == 1
