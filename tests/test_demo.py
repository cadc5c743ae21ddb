"""seed-demo tells the truth: a present-day history whose follow-ups have already run, a few
tickets in breach, promises kept and missed, the stories' people, and a first scheduler pass
that has next to nothing to do and says nothing to a customer during quiet hours."""

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, or_, select

from ticketing import demo, hours, stats
from ticketing.models import Customer, Outbox, Promise, Ticket, User
from ticketing.models.enums import OPEN_STATUSES, OutboxStatus, PromiseStatus
from workers.followups import run_due_followups
from workers.sweep import sweep_stuck

TZ = "Africa/Nairobi"
TICKETS = 150
# What we send on our own initiative: never to a customer between 21:00 and 08:00.
PROACTIVE = {
    "assigned",
    "waiting",
    "resolved",
    "confirm_fix",
    "closed",
    "updates",
    "pending_reminder",
    "confirm_reminder",
    "closed_no_reply",
    "closed_silence",
    "closed_auto",
    "satisfaction",
    "fix_check",
    "promise_missed",
}


def quiet(moment: datetime) -> bool:
    local = hours.to_local(moment, TZ).time()
    return local >= time(21, 0) or local < time(8, 0)


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "local", [datetime(2026, 11, 24, 10, 30), datetime(2026, 11, 24, 23, 30)], ids=["day", "night"]
)
def test_the_seeded_history_is_caught_up_and_the_first_pass_is_quiet(db, clock, run_jobs, local):
    now = clock.set(hours.local_to_utc(local, TZ))
    demo.seed(TICKETS)
    db.session.expire_all()

    open_ids = db.session.scalars(select(Ticket.id).where(Ticket.status.in_(OPEN_STATUSES))).all()
    breached = db.session.scalar(
        select(func.count(Ticket.id)).where(Ticket.status.in_(OPEN_STATUSES), Ticket.due_at < now)
    )
    assert len(open_ids) >= 5
    assert 1 <= breached <= 0.2 * len(open_ids)  # a few, not most
    overdue = db.session.scalar(
        select(func.count(Ticket.id)).where(Ticket.next_follow_up_at <= now - timedelta(minutes=5))
    )
    assert overdue == 0  # every follow-up that fell due in the history has run
    assert stats.silent_tickets() == []
    kept, missed = (
        db.session.scalar(select(func.count(Promise.id)).where(Promise.status == status))
        for status in (PromiseStatus.KEPT, PromiseStatus.MISSED)
    )
    assert kept >= 2 and missed >= 1
    names = set(db.session.scalars(select(Customer.name)))
    assert {"Wanjiku Achieng", "Brian Otieno", "Amina Hassan"} <= names
    assert {"Otieno Ouma", "Grace Wambui"} <= set(db.session.scalars(select(User.name)))

    history = db.session.scalars(select(Outbox).where(Outbox.customer_id.is_not(None))).all()
    assert [
        (row.kind, row.sent_at)
        for row in history
        if row.kind in PROACTIVE and row.sent_at and quiet(row.sent_at)
    ] == []
    assert all(row.status != OutboxStatus.PENDING or row.not_before > now for row in history)

    last_row = db.session.scalar(select(func.max(Outbox.id)))
    run_due_followups(now.isoformat())
    sweep_stuck()
    run_jobs()
    created_or_released = db.session.scalars(
        select(Outbox).where(or_(Outbox.id > last_row, Outbox.sent_at >= now))
    ).all()
    assert len(created_or_released) <= 10
    if quiet(now):
        to_customers = [r for r in created_or_released if r.customer_id and r.sent_at]
        assert to_customers == []
