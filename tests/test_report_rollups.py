"""The dashboard's daily rollups always give the live figures: over random months of tickets
made by lifecycle calls (departments, agents, channels, priorities, late first answers,
transfers, reassignments, reopenings, closings for silence), for 7 days, 30 days and the
quarter, with and without filters; and after changes to days already rolled up (a ticket
resolved, reopened, moved, a reply refused), which are marked in the same transaction,
counted live until the job rebuilds them, and equal again after it."""

import random
from datetime import timedelta

import pytest
from harness import local, people, targets
from sqlalchemy import select

from ticketing import lifecycle, queues
from ticketing.models import Outbox, ReportDay, ReportDayBuilt, ReportDirtyDay, Ticket
from ticketing.models.enums import Category, Channel, OutboxStatus, Outcome, Priority, Status
from ticketing.stats import Scope, rolled, rollup, tickets
from workers.report_rollups import refresh_rollups

pytestmark = pytest.mark.timeout(600)  # a hundred lifecycle calls per story, on a busy machine
NOW = "2026-12-20 15:00"  # Nairobi; the quarter began on 1 October
PERIODS = ("7d", "30d", "quarter")
CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.WEB)
PRIORITIES = (Priority.NORMAL, Priority.HIGH, Priority.LOW, Priority.URGENT)
CATEGORIES = (Category.GENERAL, Category.BILLING, Category.AFTER_SALE)


def live(scope: Scope):
    silenced = tickets.silence(scope)
    return tickets.times(scope), tickets.volume(scope, silenced)


def from_rollups(scope: Scope):
    return rolled.figures(scope, tickets.silence(scope))


def scopes(people_ids: dict):
    """Every period, unfiltered and with each kind of filter."""
    filters = [
        {},
        {"department": str(people_ids["department"])},
        {"agent": str(people_ids["agent"])},
        {"channel": "sms"},
        {"priority": "high"},
        {"category": "billing", "channel": "email"},
    ]
    for period in PERIODS:
        for extra in filters:
            yield Scope.from_args({"period": period, **extra})


def assert_equal_everywhere(ids: dict) -> int:
    """Rollup and live figures agree for every scope; returns how many used rollup days."""
    used = 0
    for scope in scopes(ids):
        today = rollup.local_date(scope.now, rollup.timezone())
        coarse = scope.priority is None and scope.category is None  # else counted live
        used += coarse and bool(rollup.usable_days(scope.days, rollup.timezone(), today))
        assert from_rollups(scope) == live(scope), (scope.period, scope.query_args())
    return used


class Story:
    """Random tickets, each made and moved by lifecycle calls at its own moments."""

    def __init__(self, db, clock, department, staff, seed: int):
        self.db, self.clock, self.rng = db, clock, random.Random(seed)
        clock.set(local("2026-09-01 08:00"))
        self.departments = [
            department(name, targets=targets(minutes, minutes * 6))
            for name, minutes in (("General", 60), ("Billing", 240), ("After-sales", 120))
        ]
        self.agents = [staff(f"agent{n}", departments=[self.departments[n % 3]]) for n in range(5)]
        self.customers = people(db, 4, Channel.SMS) + people(db, 4, Channel.EMAIL)
        self.tickets: list[Ticket] = []

    def at(self, moment):
        self.clock.set(moment)

    def commit(self):
        self.db.session.commit()

    def make(self, count: int, first: str, last: str) -> None:
        start, end = local(first), local(last)
        span = (end - start).total_seconds()
        for _ in range(count):
            self.one(start + timedelta(seconds=self.rng.random() * span))

    def one(self, created) -> None:
        rng = self.rng
        self.at(created)
        channel = rng.choice(CHANNELS)
        customer = rng.choice(self.customers)
        ticket = lifecycle.open_ticket(
            customer,
            subject="Trouble",
            body="Help please",
            channel=channel,
            category=rng.choice(CATEGORIES),
            priority=rng.choice(PRIORITIES),
            department=rng.choice(self.departments),
        )
        self.commit()
        self.tickets.append(ticket)
        moment = created
        for step in rng.sample(range(6), rng.randrange(1, 6)):
            moment += timedelta(minutes=rng.choice((20, 90, 400, 1500, 4000)))
            if moment > local(NOW) - timedelta(minutes=5):
                return
            self.at(moment)
            self.act(ticket, step)
            self.commit()

    def act(self, ticket: Ticket, step: int) -> None:
        rng, agent = self.rng, self.rng.choice(self.agents)
        if ticket.status == Status.CLOSED:
            if rng.random() < 0.5:
                lifecycle.reopen(ticket, outcome=Outcome.REOPENED_BY_AGENT, by=agent)
            return
        if step == 0:
            lifecycle.transfer(ticket, rng.choice(self.departments), by=agent)
        elif step == 1:
            team = [a for a in self.agents if ticket.department in a.departments]
            lifecycle.assign(ticket, rng.choice(team), by=agent)
        elif step in (2, 3):
            lifecycle.reply(ticket, by=agent, body="On it")
        elif ticket.status == Status.RESOLVED:
            outcome = rng.choice((Outcome.SOLVED, Outcome.CLOSED_AFTER_SILENCE))
            lifecycle.close(ticket, by=None, outcome=outcome)
        else:
            lifecycle.resolve(ticket, by=agent)


@pytest.fixture
def story(app, db, clock, department, staff):
    told = Story(db, clock, department, staff, seed=14)
    told.make(45, "2026-09-20 06:00", "2026-12-13 20:00")
    told.make(20, "2026-12-13 20:00", "2026-12-20 14:00")  # the last week is busier
    told.at(local(NOW))
    return told


def ids_of(story: Story) -> dict:
    return {"department": story.departments[1].id, "agent": story.agents[2].id}


def test_rollups_equal_the_live_figures_for_every_period_and_filter(story, db):
    assert assert_equal_everywhere(ids_of(story)) == 0  # nothing built: all live
    days = rollup.rebuild(local("2026-09-20 06:00").date(), local("2026-12-19 12:00").date())
    assert days > 0 and db.session.scalar(select(ReportDay.id).limit(1))
    used = assert_equal_everywhere(ids_of(story))
    assert (
        used == 3 * 4
    )  # every scope without a priority or category filter read rollup days, and they gave the live figures
    scope = Scope.from_args({"period": "quarter"})
    times, volume = from_rollups(scope)
    assert times["first_response"]["total"]["count"] > 20
    assert times["first_response"]["total"]["late"] > 0  # late first answers are in the story
    assert times["resolution"]["total"]["count"] > 10
    assert volume["reopened"]["reopened"] > 0
    assert volume["closed_for_silence"] > 0


def test_a_change_to_a_rolled_up_day_is_marked_and_rebuilt_so_figures_stay_live(
    story, db, run_jobs
):
    first, last = local("2026-09-20 06:00").date(), local("2026-12-19 12:00").date()
    rollup.rebuild(first, last)
    assert db.session.scalar(select(ReportDirtyDay.day).limit(1)) is None
    ids = ids_of(story)
    agent = story.agents[0]
    past = [t for t in story.tickets if rollup.local_date(t.created_at, "Africa/Nairobi") < last]
    open_one = next(t for t in past if t.status in (Status.NEW, Status.OPEN))
    resolved = next(t for t in past if t.status == Status.RESOLVED)
    moved = next(t for t in past if t.status == Status.CLOSED and t is not resolved)
    lifecycle.resolve(open_one, by=agent)  # resolved today: its creation day changes
    lifecycle.reopen(resolved, outcome=Outcome.REOPENED_BY_AGENT, by=agent)
    other = next(d for d in story.departments if d.id != moved.department_id)
    lifecycle.transfer(moved, other, by=agent)
    db.session.commit()
    marked = set(db.session.scalars(select(ReportDirtyDay.day)))
    assert rollup.local_date(resolved.created_at, "Africa/Nairobi") in marked
    assert rollup.local_date(moved.created_at, "Africa/Nairobi") in marked
    assert_equal_everywhere(ids)  # the marked days are counted live

    refused = _refused_first_answer(story, db, agent)
    assert rollup.local_date(refused, "Africa/Nairobi") in set(
        db.session.scalars(select(ReportDirtyDay.day))
    )
    assert_equal_everywhere(ids)

    queues.get_queue("default").enqueue(refresh_rollups, job_id="rollups-test")
    run_jobs()
    assert db.session.scalar(select(ReportDirtyDay.day).limit(1)) is None
    assert assert_equal_everywhere(ids) == 3 * 4  # rebuilt: from rollups again, still equal


def _refused_first_answer(story: Story, db, agent):
    """An agent's reply to an old ticket that becomes its first answer, then is refused by
    the provider: the first response moves off it. Returns the ticket's creation time."""
    ticket = next(
        t
        for t in story.tickets
        if t.first_response_at is None and t.status in (Status.NEW, Status.OPEN)
    )
    story.at(local(NOW) - timedelta(days=1, hours=2))  # yesterday, a day already built
    lifecycle.reply(ticket, by=agent, body="Here is the fix")
    db.session.commit()
    assert ticket.first_response_at is not None
    rollup.rebuild(
        rollup.local_date(ticket.created_at, "Africa/Nairobi"),
        local(NOW).date() - timedelta(days=1),
    )
    assert db.session.scalar(select(ReportDirtyDay.day).limit(1)) is None
    story.at(local(NOW))
    row = db.session.scalars(
        select(Outbox).where(Outbox.ticket_id == ticket.id, Outbox.kind == "reply")
    ).first()
    row.status = OutboxStatus.FAILED  # what the provider's callback records
    lifecycle.reply_refused(row)
    db.session.commit()
    assert ticket.first_response_at is None
    return ticket.created_at


def test_a_time_zone_change_sets_the_rollups_aside(story, db, app, monkeypatch):
    rollup.rebuild(local("2026-09-20 06:00").date(), local("2026-12-19 12:00").date())
    assert db.session.scalar(select(ReportDayBuilt.timezone).limit(1)) == "Africa/Nairobi"
    monkeypatch.setitem(app.config, "TIMEZONE", "Asia/Kolkata")
    scope = Scope.from_args({"period": "30d"})
    assert rollup.usable_days(scope.days, "Asia/Kolkata", scope.last_day) == set()
    assert from_rollups(scope) == live(scope)


def test_operators_rebuild_a_range_of_days_from_the_command_line(app, db, clock):
    clock.set(local(NOW))
    result = app.test_cli_runner().invoke(
        args=["rebuild-rollups", "--from", "2026-12-01", "--to", "2026-12-03"]
    )
    assert result.exit_code == 0, result.output
    assert "rebuilt 3 days (2026-12-01 to 2026-12-03)" in result.output
    built = db.session.scalars(select(ReportDayBuilt.day).order_by(ReportDayBuilt.day)).all()
    assert [d.isoformat() for d in built] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    refused = app.test_cli_runner().invoke(
        args=["rebuild-rollups", "--from", "2026-12-05", "--to", "2026-12-03"]
    )
    assert refused.exit_code != 0 and "--from is after --to" in refused.output
