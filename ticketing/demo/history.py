"""The clock that plays the demo: people's actions queued at their past moments, and between
them every scheduler pass and every delivery that would have run, each when it fell due; plus
the helpers for naming those moments. Apart from the stories so that they only say when."""

import heapq
import itertools
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from ticketing import charter, hours
from ticketing.extensions import db
from ticketing.models import Outbox, Promise, Ticket
from ticketing.models.enums import OutboxStatus, PromiseStatus

HISTORY_DAYS = 45
MAX_PASSES = 100_000  # a guard: the history of a few hundred tickets needs a few thousand


class History:
    """The seed's timeline: people's actions in time order, and between them every scheduler
    pass and every delivery that would have happened, each at its own moment."""

    def __init__(self, now: datetime):
        self.now = now
        self.clock = now - timedelta(days=HISTORY_DAYS + 1)
        self._actions: list = []
        self._order = itertools.count()

    def at(self, moment: datetime, action) -> None:
        """Do `action` at `moment`; what would happen after now has not happened yet."""
        if moment < self.now:
            heapq.heappush(self._actions, (moment, next(self._order), action))

    def play(self) -> None:
        while self._actions:
            moment, _, action = heapq.heappop(self._actions)
            self.run_until(moment)
            self.clock = max(self.clock, moment)
            with hours.frozen(self.clock):
                action()
                db.session.commit()
                deliver_due(self.clock)
        self.run_until(self.now)

    def run_until(self, until: datetime) -> None:
        """Run the scheduler passes that fall due up to `until`, each when its work is due."""
        from workers.followups import run_due_followups

        for _ in range(MAX_PASSES):
            moment = self._next_due(until)
            if moment is None:
                return
            self.clock = moment
            with hours.frozen(moment):
                run_due_followups(moment.isoformat(), inline=True)
                deliver_due(moment)
        raise RuntimeError("the demo history does not settle")  # pragma: no cover

    def _next_due(self, until: datetime) -> datetime | None:
        """The earliest moment up to `until` at which a pass or a delivery has work."""
        step = db.session.scalar(
            select(func.min(Ticket.next_follow_up_at)).where(Ticket.next_follow_up_at <= until)
        )
        held = db.session.scalar(
            select(func.min(Outbox.not_before)).where(
                Outbox.status == OutboxStatus.PENDING,
                Outbox.not_before > self.clock,
                Outbox.not_before <= until,
            )
        )
        checks = []
        for due_at, reminded_at in db.session.execute(
            select(Promise.due_at, Promise.reminded_at).where(
                Promise.status == PromiseStatus.OPEN,
                Promise.due_at <= until + timedelta(hours=1),
            )
        ):
            if reminded_at is None and due_at > self.clock:
                checks.append(due_at - timedelta(hours=1))
            elif due_at <= until:
                checks.append(due_at)
        db.session.rollback()
        found = [moment for moment in (step, held, *checks) if moment is not None]
        return max(min(found), self.clock) if found else None


def deliver_due(moment: datetime) -> None:
    """Hand over what is owed and due at `moment`, as the worker would have then."""
    from workers.deliver import deliver

    due = db.session.scalars(
        select(Outbox.id)
        .where(
            Outbox.status == OutboxStatus.PENDING,
            or_(Outbox.not_before.is_(None), Outbox.not_before <= moment),
            Outbox.claimed_at.is_(None),
        )
        .order_by(Outbox.id)
    ).all()
    db.session.rollback()
    for outbox_id in due:
        deliver(outbox_id)


def local(days_ago: float, hour: int, minute: int, now: datetime) -> datetime:
    """`days_ago` days before now at hh:mm Nairobi time, never later than ten minutes ago."""
    tz = current_app.config["TIMEZONE"]
    day = hours.to_local(now - timedelta(days=days_ago), tz).date()
    moment = hours.local_to_utc(datetime(day.year, day.month, day.day, hour, minute), tz)
    while moment > now - timedelta(minutes=10):
        moment -= timedelta(days=1)
    return moment


def load_ticket(ticket_id: int) -> Ticket:
    return db.session.get(Ticket, ticket_id)


def business(ticket: Ticket, start: datetime, minutes: float) -> datetime:
    """`minutes` of the department's working time after `start`: when staff would act."""
    return charter.calendar_for(ticket.department).add_minutes(start, max(1, int(minutes)))
