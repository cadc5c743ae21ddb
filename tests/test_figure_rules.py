"""What each number of the supervisor report counts (ticketing/stats/figures.py), ticket by
ticket: rows are written straight into a throwaway SQLite file with chosen times and outcome
codes, and every figure must select exactly the expected ticket ids.

No project conftest (`make mutate` runs these with --noconftest): the module builds its own app.
Each group of tickets lives in its own week (a Scope is built directly, no query arguments), so
the groups never see each other; the open-work figures use a department of their own.
"""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import not_, select

from ticketing import create_app
from ticketing.extensions import db
from ticketing.models import Customer, Department, Event, OptOut, Outbox, Promise, Ticket, User
from ticketing.models.enums import (
    Category,
    Channel,
    OutboxStatus,
    Outcome,
    PromiseStatus,
    Status,
)
from ticketing.stats import figures
from ticketing.stats.figures import tickets_behind
from ticketing.stats.scope import Scope, ScopeError

LONG_AGO = datetime(2025, 1, 1, 9, 0)
NOW = datetime(2026, 6, 8, 12, 0)  # for the open-work figures
WEEKS = {  # the Monday each group's period starts on
    "resolution": date(2026, 3, 2),
    "answered": date(2026, 3, 16),
    "created": date(2026, 3, 23),
    "follow_up": date(2026, 3, 30),
    "after_sale": date(2026, 4, 6),
    "rated": date(2026, 4, 13),
    "promises": date(2026, 4, 20),
    "messages": date(2026, 4, 27),
    "opted_out": date(2026, 5, 4),
}


def start_of(group) -> datetime:
    return datetime.combine(WEEKS[group], datetime.min.time())


def scope_for(group="resolution", **dimensions) -> Scope:
    first = WEEKS.get(group, date(2026, 6, 1))
    start = datetime.combine(first, datetime.min.time())
    return Scope(
        "custom",
        first,
        first + timedelta(days=6),
        start,
        start + timedelta(days=7),
        NOW,
        180,
        **dimensions,
    )


class World:
    """Builds the rows and remembers ticket ids by name."""

    def __init__(self):
        self.ids = {}
        self.main = Department(name="Main")
        self.open_dept = Department(name="Open work")
        self.opt_dept = Department(name="Opt-outs")
        self.customer = Customer(name="Wanjiru")
        self.quiet = Customer(name="Otieno", opt_outs=[OptOut(line="*")])
        self.talker = Customer(name="Akinyi")
        self.other = Customer(name="Kamau")
        self.agent_a = User(email="a@example.com", name="A", password_hash="x")
        self.agent_b = User(email="b@example.com", name="B", password_hash="x")
        db.session.add_all(
            [
                self.main,
                self.open_dept,
                self.opt_dept,
                self.customer,
                self.quiet,
                self.talker,
                self.other,
                self.agent_a,
                self.agent_b,
            ]
        )
        db.session.flush()

    def ticket(self, name, **fields) -> int:
        values = {
            "subject": name,
            "customer_id": self.customer.id,
            "department_id": self.main.id,
            "channel": Channel.WEB,
            "status": Status.CLOSED,
            "created_at": LONG_AGO,
        }
        values.update(fields)
        if "merged_into" in values:
            values["merged_into_id"] = self.ids[values.pop("merged_into")]
        row = Ticket(**values)
        db.session.add(row)
        db.session.flush()
        self.ids[name] = row.id
        return row.id

    def event(self, name, kind, at, **data) -> int:
        row = Event(ticket_id=self.ids[name], kind=kind, data=data, created_at=at)
        db.session.add(row)
        db.session.flush()
        return row.id

    def status(self, name, at, outcome, new="closed", old="resolved") -> int:
        return self.event(name, "status", at, new=new, old=old, outcome=outcome)


def build(w: World):
    day = start_of("resolution") + timedelta(days=2, hours=10)
    before, after = (
        start_of("resolution") - timedelta(seconds=1),
        start_of("resolution") + timedelta(days=7),
    )
    r = dict(resolved_at=day)
    # Resolution and silence.
    w.ticket(
        "resolved_now", status=Status.RESOLVED, resolution_due_at=day + timedelta(hours=1), **r
    )
    w.ticket("resolved_on_due", status=Status.RESOLVED, resolution_due_at=day, **r)
    w.ticket(
        "resolved_late", status=Status.RESOLVED, resolution_due_at=day - timedelta(minutes=1), **r
    )
    w.ticket("resolved_at_start", status=Status.RESOLVED, resolved_at=start_of("resolution"))
    w.ticket("resolved_before", status=Status.RESOLVED, resolved_at=before)
    w.ticket("resolved_at_end", status=Status.RESOLVED, resolved_at=after)
    w.ticket("resolved_merged", status=Status.RESOLVED, merged_into="resolved_now", **r)
    w.ticket("closed_solved", resolution_due_at=day - timedelta(hours=1), **r)
    w.status("closed_solved", day - timedelta(days=1), Outcome.CLOSED_AFTER_SILENCE.value)
    w.status("closed_solved", day, Outcome.SOLVED.value)
    w.event("closed_solved", "note", day, outcome=Outcome.CLOSED_NO_REPLY.value)
    w.ticket("closed_confirmed", **r)
    w.status("closed_confirmed", day, Outcome.CONFIRMED_FIXED.value)
    w.ticket("closed_silence", **r)
    w.status("closed_silence", day, Outcome.CLOSED_AFTER_SILENCE.value)
    w.ticket("closed_no_reply", **r)
    w.status("closed_no_reply", day - timedelta(days=1), Outcome.SOLVED.value)
    w.status("closed_no_reply", day, Outcome.CLOSED_NO_REPLY.value, old="pending_customer")
    w.ticket("closed_merged", **r)
    w.status("closed_merged", day, Outcome.MERGED.value)
    w.ticket("closed_no_event", **r)
    w.ticket("open_once_solved", status=Status.OPEN, **r)
    w.status("open_once_solved", day, Outcome.SOLVED.value)
    w.ticket("silence_at_start")
    w.status("silence_at_start", start_of("resolution"), Outcome.CLOSED_NO_REPLY.value)
    w.ticket("silence_before")
    w.status("silence_before", before, Outcome.CLOSED_AFTER_SILENCE.value)
    w.event("silence_before", "note", day, outcome=Outcome.CLOSED_AFTER_SILENCE.value)
    w.ticket("silence_at_end")
    w.status("silence_at_end", day, "", new="resolved", old="open")
    w.status("silence_at_end", after, Outcome.CLOSED_AFTER_SILENCE.value)
    w.ticket("silence_then_solved")
    w.status("silence_then_solved", day, Outcome.CLOSED_AFTER_SILENCE.value)
    w.status("silence_then_solved", after, Outcome.SOLVED.value)
    w.ticket("silence_then_reopened", status=Status.OPEN)
    w.status("silence_then_reopened", day, Outcome.CLOSED_AFTER_SILENCE.value)
    w.status(
        "silence_then_reopened",
        day + timedelta(hours=1),
        Outcome.REOPENED_CUSTOMER_WROTE.value,
        new="open",
        old="closed",
    )
    w.ticket("silence_not_closed", status=Status.PENDING_CUSTOMER)
    w.status("silence_not_closed", day, Outcome.CLOSED_AFTER_SILENCE.value)
    w.ticket("silence_merged", merged_into="closed_silence")
    w.status("silence_merged", day, Outcome.CLOSED_AFTER_SILENCE.value)

    # Answered.
    day = start_of("answered") + timedelta(days=1, hours=9)
    w.ticket("answered_on_due", first_response_at=day, first_response_due_at=day)
    w.ticket(
        "answered_early", first_response_at=day, first_response_due_at=day + timedelta(hours=1)
    )
    w.ticket(
        "answered_late", first_response_at=day, first_response_due_at=day - timedelta(minutes=1)
    )
    w.ticket("answered_no_due", first_response_at=day)
    w.ticket("answered_before", first_response_at=start_of("answered") - timedelta(seconds=1))
    w.ticket("answered_merged", first_response_at=day, merged_into="answered_early")

    # Created and reopened.
    day = start_of("created") + timedelta(days=3)
    w.ticket("created_plain", created_at=day)
    w.ticket("created_reopened", created_at=day, reopened_count=2)
    w.ticket("created_at_start", created_at=start_of("created"), reopened_count=1)
    w.ticket("created_at_end", created_at=start_of("created") + timedelta(days=7), reopened_count=1)
    w.ticket("created_merged", created_at=day, merged_into="created_plain")

    # Follow-ups.
    day = start_of("follow_up") + timedelta(days=1)
    for step in ("pending_reminder", "confirm_reminder", "fix_check", "satisfaction", "auto_close"):
        w.ticket(f"step_{step}")
        w.event(f"step_{step}", "follow_up", day, step=step)
    w.ticket("step_before")
    w.event(
        "step_before", "follow_up", start_of("follow_up") - timedelta(seconds=1), step="fix_check"
    )
    w.ticket("step_note")
    w.event("step_note", "note", day, step="fix_check")
    w.ticket("step_merged", merged_into="step_fix_check")
    w.event("step_merged", "follow_up", day, step="fix_check")

    # After-sale outcomes, read from the status events of the week.
    day = start_of("after_sale") + timedelta(days=2)
    after_sale = dict(category=Category.AFTER_SALE)
    moves = {
        "as_confirmed": ("confirmed_fixed", "closed", "resolved"),
        "as_confirmed_open": ("confirmed_fixed", "open", "resolved"),
        "as_silence": ("closed_after_silence", "closed", "resolved"),
        "as_no_reply": ("closed_no_reply", "closed", "pending_customer"),
        "as_reopened_resolved": ("reopened_not_fixed", "open", "resolved"),
        "as_reopened_closed": ("reopened_customer_wrote", "open", "closed"),
        "as_open_from_pending": ("", "open", "pending_customer"),
        "as_pending_from_closed": ("", "pending_customer", "closed"),
        "as_solved": ("solved", "closed", "resolved"),
    }
    for name, (outcome, new, old) in moves.items():
        w.ticket(name, **after_sale)
        w.status(name, day, outcome, new=new, old=old)
    w.ticket("as_general")
    w.status("as_general", day, "confirmed_fixed")
    w.ticket("as_before", **after_sale)
    w.status("as_before", start_of("after_sale") - timedelta(seconds=1), "confirmed_fixed")
    w.ticket("as_note", **after_sale)
    w.event("as_note", "note", day, new="open", old="closed", outcome="confirmed_fixed")
    w.ticket("as_merged", merged_into="as_confirmed", **after_sale)
    w.status("as_merged", day, "confirmed_fixed")

    # Satisfaction ratings.
    day = start_of("rated") + timedelta(days=1)
    for name, score in (("rated_4", 4), ("rated_5", 5), ("rated_none", None)):
        w.ticket(name, satisfaction_score=score)
        w.event(name, "rated", day, score=score)
    w.ticket("rated_before", satisfaction_score=4)
    w.event("rated_before", "rated", start_of("rated") - timedelta(seconds=1), score=4)
    w.ticket("rated_note", satisfaction_score=4)
    w.event("rated_note", "note", day, score=4)

    # Promises.
    day = start_of("promises") + timedelta(days=1)
    promises = {
        "kept_by_a": (PromiseStatus.KEPT, w.agent_a, day, None),
        "kept_by_b": (PromiseStatus.KEPT, w.agent_b, day, None),
        "missed_by_b": (PromiseStatus.MISSED, w.agent_b, day, None),
        "kept_before": (
            PromiseStatus.KEPT,
            w.agent_a,
            start_of("promises") - timedelta(seconds=1),
            None,
        ),
        "cancelled": (PromiseStatus.CANCELLED, w.agent_a, day, None),
        "kept_merged": (PromiseStatus.KEPT, w.agent_a, day, "kept_by_a"),
    }
    for name, (status, agent, settled, merged) in promises.items():
        extra = {"merged_into": merged} if merged else {}
        w.ticket(name, assignee_id=w.agent_b.id, **extra)
        db.session.add(
            Promise(
                ticket_id=w.ids[name],
                agent_id=agent.id,
                description=name,
                due_at=day,
                status=status,
                settled_at=settled,
            )
        )

    # Messages to customers.
    day = start_of("messages") + timedelta(days=1)
    messages = {
        "sms_failed_code": (Channel.SMS, OutboxStatus.FAILED, "E30", None, day),
        "sms_failed_nocode": (Channel.SMS, OutboxStatus.FAILED, None, None, day),
        "sms_failed_long": (Channel.SMS, OutboxStatus.FAILED, "C" * 32, None, day),
        "sms_failed_staff": (Channel.SMS, OutboxStatus.FAILED, "E30", w.agent_a.id, day),
        "sms_failed_before": (
            Channel.SMS,
            OutboxStatus.FAILED,
            "E30",
            None,
            start_of("messages") - timedelta(seconds=1),
        ),
        "sms_pending": (Channel.SMS, OutboxStatus.PENDING, None, None, day),
        "sms_queued": (Channel.SMS, OutboxStatus.QUEUED, None, None, day),
        "sms_sent": (Channel.SMS, OutboxStatus.SENT, None, None, day),
        "sms_delivered": (Channel.SMS, OutboxStatus.DELIVERED, None, None, day),
        "sms_suppressed": (Channel.SMS, OutboxStatus.SUPPRESSED, None, None, day),
        "email_failed": (Channel.EMAIL, OutboxStatus.FAILED, "E30", None, day),
    }
    for name, (channel, status, code, user, at) in messages.items():
        w.ticket(name)
        db.session.add(
            Outbox(
                ticket_id=w.ids[name],
                kind="update",
                channel=channel,
                recipient="+254700000000",
                body="hi",
                status=status,
                error_code=code,
                user_id=user,
                created_at=at,
            )
        )
    w.ticket("sms_failed_merged", merged_into="sms_failed_code")
    db.session.add(
        Outbox(
            ticket_id=w.ids["sms_failed_merged"],
            kind="update",
            channel=Channel.SMS,
            recipient="+254700000001",
            body="hi",
            status=OutboxStatus.FAILED,
            error_code="E30",
            created_at=day,
        )
    )

    # Opted out of SMS.
    day = start_of("opted_out") + timedelta(days=1)
    opt = dict(department_id=w.opt_dept.id, status=Status.OPEN)
    w.ticket("quiet_open", customer_id=w.quiet.id, **opt)
    w.ticket("quiet_closed", customer_id=w.quiet.id, department_id=w.opt_dept.id)
    w.ticket("quiet_merged", customer_id=w.quiet.id, merged_into="quiet_open", **opt)
    w.ticket(
        "talker_pending", customer_id=w.talker.id, **{**opt, "status": Status.PENDING_CUSTOMER}
    )
    w.ticket("other_new", customer_id=w.other.id, **{**opt, "status": Status.NEW})
    w.ticket("customer_open", **opt)
    db.session.add_all(
        [
            Event(customer_id=w.talker.id, kind="sms_opt_out", created_at=day, data={}),
            Event(
                customer_id=w.other.id,
                kind="sms_opt_out",
                created_at=start_of("opted_out") - timedelta(seconds=1),
                data={},
            ),
            Event(customer_id=w.customer.id, kind="sms_opt_in", created_at=day, data={}),
        ]
    )

    # Open work, by age, breached and due soon (department "Open work", now = NOW).
    o = dict(department_id=w.open_dept.id)
    w.ticket(
        "age_hour",
        status=Status.NEW,
        created_at=NOW - timedelta(hours=1),
        due_at=NOW + timedelta(hours=2),
        **o,
    )
    w.ticket("age_1d", status=Status.OPEN, created_at=NOW - timedelta(days=1), due_at=NOW, **o)
    w.ticket(
        "age_2d",
        status=Status.PENDING_CUSTOMER,
        created_at=NOW - timedelta(days=2),
        due_at=NOW - timedelta(seconds=1),
        **o,
    )
    w.ticket(
        "age_3d",
        status=Status.OPEN,
        created_at=NOW - timedelta(days=3),
        due_at=NOW + timedelta(hours=2) - timedelta(seconds=1),
        **o,
    )
    w.ticket("age_7d", status=Status.OPEN, created_at=NOW - timedelta(days=7), **o)
    w.ticket("age_29d", status=Status.OPEN, created_at=NOW - timedelta(days=29, hours=23), **o)
    w.ticket("age_30d", status=Status.OPEN, created_at=NOW - timedelta(days=30), **o)
    w.ticket(
        "age_resolved",
        status=Status.RESOLVED,
        created_at=NOW - timedelta(hours=1),
        due_at=NOW - timedelta(hours=1),
        **o,
    )
    w.ticket(
        "age_closed", created_at=NOW - timedelta(hours=1), due_at=NOW + timedelta(hours=1), **o
    )
    w.ticket(
        "age_merged",
        status=Status.OPEN,
        created_at=NOW - timedelta(hours=1),
        due_at=NOW - timedelta(hours=1),
        merged_into="age_hour",
        **o,
    )
    db.session.commit()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("figures") / "figures.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "figure-rules",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "TIMEZONE": "Africa/Nairobi",
        }
    )
    with app.app_context():
        db.create_all()
        world = World()
        build(world)
        app.extensions["figure_ids"] = dict(world.ids)
    return app


@pytest.fixture
def ids(app):
    with app.app_context():
        yield app.extensions["figure_ids"]
        db.session.rollback()


def names(ids, statement) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[i] for i in db.session.scalars(statement)}


def fresh_builders() -> dict:
    """FIGURES is built once, at import: its builders are made again here, at test time, so
    that what the factories (_period, _with, _resolved, _followed_up, _promises) return is
    checked too, the same way."""
    return {
        "created": figures._period(Ticket.created_at),
        "answered": figures._period(Ticket.first_response_at),
        "answered_in_time": figures._with(
            figures._period(Ticket.first_response_at), figures.ANSWERED_IN_TIME
        ),
        "answered_late": figures._with(
            figures._period(Ticket.first_response_at), not_(figures.ANSWERED_IN_TIME)
        ),
        "resolved": figures._resolved(),
        "resolved_in_time": figures._resolved(figures.RESOLVED_IN_TIME),
        "resolved_late": figures._resolved(not_(figures.RESOLVED_IN_TIME)),
        "chased": figures._followed_up(figures.CHASES),
        "surveyed": figures._followed_up({figures.SURVEY: "Satisfaction questions"}),
        "promises_kept": figures._promises(PromiseStatus.KEPT),
        "promises_missed": figures._promises(PromiseStatus.MISSED),
    }


def behind(ids, figure, group="resolution", part="", **dimensions) -> set[str]:
    scope = scope_for(group, **dimensions)
    chosen = names(ids, tickets_behind(scope, figure, part))
    build = fresh_builders().get(figure)
    if build is not None:
        assert names(ids, select(Ticket.id).where(*build(scope, part or ""))) == chosen, figure
    return chosen


RESOLVED = {
    "resolved_now",
    "resolved_on_due",
    "resolved_late",
    "resolved_at_start",
    "closed_solved",
    "closed_confirmed",
}


def test_really_resolved_is_resolved_now_or_closed_as_solved_or_confirmed_fixed(ids):
    chosen = names(ids, select(Ticket.id).where(figures.really_resolved()))
    assert chosen >= RESOLVED | {"resolved_before", "resolved_at_end", "resolved_merged"}
    assert not chosen & {
        "closed_silence",
        "closed_no_reply",
        "closed_merged",
        "closed_no_event",
        "open_once_solved",
        "silence_then_reopened",
    }
    assert {"as_solved", "age_resolved", "as_confirmed"} <= chosen


def test_closed_for_silence_reads_the_last_status_event(ids):
    chosen = names(ids, select(Ticket.id).where(figures.closed_for_silence()))
    assert {"closed_silence", "closed_no_reply", "silence_before", "silence_at_end"} <= chosen
    assert not chosen & {
        "closed_solved",
        "closed_merged",
        "silence_then_solved",
        "silence_then_reopened",
        "closed_no_event",
        "closed_confirmed",
        "silence_not_closed",
    }


def test_closing_outcome_is_the_last_status_event(ids):
    outcome = select(figures.closing_outcome(Ticket.id)).where(Ticket.id == ids["closed_solved"])
    assert db.session.scalar(outcome) == "solved"
    outcome = select(figures.closing_outcome()).where(Ticket.id == ids["closed_no_reply"])
    assert db.session.scalar(outcome) == "closed_no_reply"


def test_resolved(ids):
    assert behind(ids, "resolved") == RESOLVED
    assert behind(ids, "resolved", part=None) == RESOLVED
    assert names(ids, select(Ticket.id).where(*figures.resolved_during(scope_for()))) == RESOLVED


def test_resolved_in_time_and_late(ids):
    assert behind(ids, "resolved_in_time") == {
        "resolved_now",
        "resolved_on_due",
        "resolved_at_start",
        "closed_confirmed",
    }
    assert behind(ids, "resolved_late") == {"resolved_late", "closed_solved"}


def test_resolved_in_scope(ids):
    assert behind(ids, "resolved", department_id=999) == set()
    assert behind(ids, "resolved", category=Category.AFTER_SALE) == set()


def test_closed_for_silence_in_the_period_and_still_so(ids):
    assert behind(ids, "closed_for_silence") == {
        "closed_silence",
        "closed_no_reply",
        "silence_at_start",
    }
    scope = scope_for()
    assert names(ids, select(Ticket.id).where(*figures.silenced_during(scope))) == {
        "closed_silence",
        "closed_no_reply",
        "silence_at_start",
    }
    assert names(
        ids,
        select(Ticket.id).where(
            figures.silenced_between(scope.start, scope.end), Ticket.merged_into_id.is_not(None)
        ),
    ) == {"silence_merged"}
    assert behind(ids, "closed_for_silence", department_id=999) == set()


def test_answered(ids):
    everyone = {"answered_on_due", "answered_early", "answered_late", "answered_no_due"}
    assert behind(ids, "answered", "answered") == everyone
    assert behind(ids, "answered_in_time", "answered") == everyone - {"answered_late"}
    assert behind(ids, "answered_late", "answered") == {"answered_late"}


def test_created_and_reopened(ids):
    assert behind(ids, "created", "created") == {
        "created_plain",
        "created_reopened",
        "created_at_start",
    }
    assert behind(ids, "created", "created", department_id=999) == set()


def test_reopened_lists_the_created_tickets_that_were_reopened(ids):
    assert behind(ids, "reopened", "created") == {"created_reopened", "created_at_start"}


def test_chased_and_surveyed(ids):
    assert behind(ids, "chased", "follow_up") == {
        "step_pending_reminder",
        "step_confirm_reminder",
        "step_fix_check",
    }
    assert behind(ids, "chased", "follow_up", "confirm_reminder") == {"step_confirm_reminder"}
    assert behind(ids, "chased", "follow_up", "fix_check") == {"step_fix_check"}
    assert behind(ids, "surveyed", "follow_up") == {"step_satisfaction"}
    assert behind(ids, "surveyed", "follow_up", "satisfaction") == {"step_satisfaction"}
    assert behind(ids, "chased", "follow_up", department_id=999) == set()
    with pytest.raises(ScopeError, match=r"^Unknown follow-up step 'satisfaction'\.$"):
        behind(ids, "chased", "follow_up", "satisfaction")
    with pytest.raises(ScopeError, match=r"^Unknown follow-up step '" + "z" * 40 + r"'\.$"):
        behind(ids, "surveyed", "follow_up", "z" * 50)
    fresh = fresh_builders()
    with pytest.raises(ScopeError, match=r"^Unknown follow-up step 'satisfaction'\.$"):
        fresh["chased"](scope_for("follow_up"), "satisfaction")
    with pytest.raises(ScopeError, match=r"^Unknown follow-up step '" + "z" * 40 + r"'\.$"):
        fresh["surveyed"](scope_for("follow_up"), "z" * 50)


def test_step_of(ids):
    steps = db.session.scalars(
        select(figures.step_of()).where(Event.kind == "follow_up").order_by(Event.id)
    ).all()
    assert steps[:5] == [
        "pending_reminder",
        "confirm_reminder",
        "fix_check",
        "satisfaction",
        "auto_close",
    ]


def test_after_sale_outcomes(ids):
    assert behind(ids, "after_sale_confirmed_fixed", "after_sale") == {
        "as_confirmed",
        "as_confirmed_open",
    }
    assert behind(ids, "after_sale_closed_by_silence", "after_sale") == {"as_silence"}
    assert names(
        ids, tickets_behind(scope_for("after_sale"), "after_sale_confirmed_fixed", "")
    ) == {
        "as_confirmed",
        "as_confirmed_open",
    }


def test_after_sale_reopened(ids):
    after_sale_reopened = figures._after_sale("reopened")
    chosen = names(ids, select(Ticket.id).where(*after_sale_reopened(scope_for("after_sale"), "")))
    assert chosen == {"as_reopened_resolved", "as_reopened_closed"}


def test_after_sale_outcome_of_each_event(ids):
    rows = db.session.execute(
        select(Ticket.subject, figures.after_sale_outcome())
        .join(Event, Event.ticket_id == Ticket.id)
        .where(Event.kind == "status", Ticket.subject.like("as_%"))
    ).all()
    assert dict(rows) == {
        "as_confirmed": "confirmed_fixed",
        "as_confirmed_open": "confirmed_fixed",
        "as_silence": "closed_by_silence",
        "as_no_reply": None,
        "as_reopened_resolved": "reopened",
        "as_reopened_closed": "reopened",
        "as_open_from_pending": None,
        "as_pending_from_closed": None,
        "as_solved": None,
        "as_general": "confirmed_fixed",
        "as_before": "confirmed_fixed",
        "as_merged": "confirmed_fixed",
    }


def test_is_outcome_move(ids):
    rows = db.session.execute(
        select(Ticket.subject, figures.is_outcome_move())
        .join(Event, Event.ticket_id == Ticket.id)
        .where(Event.kind == "status", Ticket.subject.like("as_%"))
    ).all()
    moved = {subject for subject, move in rows if move}
    assert moved == {
        "as_confirmed",
        "as_confirmed_open",
        "as_silence",
        "as_no_reply",
        "as_reopened_resolved",
        "as_reopened_closed",
        "as_open_from_pending",
        "as_solved",
        "as_general",
        "as_before",
        "as_merged",
    }


def test_rated(ids):
    assert behind(ids, "rated", "rated") == {"rated_4", "rated_5"}
    assert behind(ids, "rated", "rated", "4") == {"rated_4"}
    assert behind(ids, "rated", "rated", "5") == {"rated_5"}
    for nobody in "123":
        assert behind(ids, "rated", "rated", nobody) == set()
    for bad in ("0", "6", "x", "45"):
        with pytest.raises(ScopeError, match=r"^A score is a number from 1 to 5\.$"):
            behind(ids, "rated", "rated", bad)


def test_score_of(ids):
    scores = db.session.scalars(
        select(figures.score_of()).where(Event.kind == "rated").order_by(Event.id)
    ).all()
    assert scores == [4, 5, None, 4]


def test_promises(ids):
    a, b = (db.session.scalar(select(User.id).where(User.name == n)) for n in "AB")
    assert behind(ids, "promises_kept", "promises") == {"kept_by_a", "kept_by_b"}
    assert behind(ids, "promises_missed", "promises") == {"missed_by_b"}
    assert behind(ids, "promises_kept", "promises", agent_id=a) == {"kept_by_a"}
    assert behind(ids, "promises_kept", "promises", agent_id=b) == {"kept_by_b"}
    assert behind(ids, "promises_missed", "promises", agent_id=a) == set()
    assert behind(ids, "promises_kept", "promises", department_id=999) == set()


def test_messages(ids):
    failed = {"sms_failed_code", "sms_failed_nocode", "sms_failed_long", "sms_failed_merged"}
    assert behind(ids, "messages", "messages", "sms.failed") == failed
    assert behind(ids, "messages", "messages", "sms.failed.E30") == {
        "sms_failed_code",
        "sms_failed_merged",
    }
    assert behind(ids, "messages", "messages", "sms.failed.unknown") == {"sms_failed_nocode"}
    assert behind(ids, "messages", "messages", "sms.failed." + "C" * 40) == {"sms_failed_long"}
    assert behind(ids, "messages", "messages", "sms.waiting") == {"sms_pending", "sms_queued"}
    assert behind(ids, "messages", "messages", "sms.sent") == {"sms_sent"}
    assert behind(ids, "messages", "messages", "sms.delivered") == {"sms_delivered"}
    assert behind(ids, "messages", "messages", "sms.suppressed") == {"sms_suppressed"}
    assert behind(ids, "messages", "messages", "email.failed") == {"email_failed"}
    assert behind(ids, "messages", "messages", "sms.failed", department_id=999) == set()
    for bad in ("fax.failed", "sms.lost", "sms", "", "failed.sms", "smsXfailed"):
        with pytest.raises(
            ScopeError, match=r"^Messages are chosen as <channel>\.<state>, e\.g\. sms\.failed\.$"
        ):
            behind(ids, "messages", "messages", bad)


def test_opted_out(ids):
    dept = db.session.scalar(select(Department.id).where(Department.name == "Opt-outs"))
    assert behind(ids, "opted_out", "opted_out", department_id=dept) == {"quiet_open"}
    assert behind(ids, "opted_out", "opted_out", "period", department_id=dept) == {"talker_pending"}
    assert behind(ids, "opted_out", "opted_out", "periodX", department_id=dept) == {"quiet_open"}
    assert behind(ids, "opted_out", "opted_out", "period", department_id=999) == set()


def open_dept():
    return db.session.scalar(select(Department.id).where(Department.name == "Open work"))


OPEN = {"age_hour", "age_1d", "age_2d", "age_3d", "age_7d", "age_29d", "age_30d"}


def test_open_now_and_its_age_buckets(ids):
    dept = open_dept()
    assert behind(ids, "open", "now", department_id=dept) == OPEN
    assert behind(ids, "open", "now", None, department_id=dept) == OPEN
    assert names(ids, tickets_behind(scope_for("now", department_id=dept), "open")) == OPEN
    buckets = {
        "lt1d": {"age_hour"},
        "1to3d": {"age_1d", "age_2d"},
        "3to7d": {"age_3d"},
        "7to30d": {"age_7d", "age_29d"},
        "gt30d": {"age_30d"},
    }
    for part, expected in buckets.items():
        assert behind(ids, "open", "now", part, department_id=dept) == expected, part
    with pytest.raises(ScopeError, match=r"^Unknown age bucket '" + "q" * 20 + r"'\.$"):
        behind(ids, "open", "now", "q" * 30, department_id=dept)


def test_age_bucket(ids):
    rows = db.session.execute(
        select(Ticket.subject, figures.age_bucket(NOW)).where(Ticket.department_id == open_dept())
    ).all()
    assert dict(rows) == {
        "age_hour": "lt1d",
        "age_1d": "1to3d",
        "age_2d": "1to3d",
        "age_3d": "3to7d",
        "age_7d": "7to30d",
        "age_29d": "7to30d",
        "age_30d": "gt30d",
        "age_resolved": "lt1d",
        "age_closed": "lt1d",
        "age_merged": "lt1d",
    }


def test_breached_and_due_soon(ids):
    dept = open_dept()
    assert behind(ids, "breached", "now", department_id=dept) == {"age_2d"}
    assert behind(ids, "due_soon", "now", department_id=dept) == {"age_1d", "age_3d"}
    assert behind(ids, "breached", "now", department_id=999) == set()
    assert behind(ids, "due_soon", "now", department_id=999) == set()


def test_an_unknown_figure(ids):
    with pytest.raises(ScopeError, match=r"^There is no report figure called 'nothing'\.$"):
        tickets_behind(scope_for(), "nothing")
    with pytest.raises(
        ScopeError, match=r"^There is no report figure called '" + "n" * 40 + r"'\.$"
    ):
        tickets_behind(scope_for(), "n" * 45)


def test_every_figure_has_a_builder():
    assert set(figures.FIGURES) == {
        "created",
        "reopened",
        "answered",
        "answered_in_time",
        "answered_late",
        "resolved",
        "resolved_in_time",
        "resolved_late",
        "closed_for_silence",
        "open",
        "breached",
        "due_soon",
        "chased",
        "surveyed",
        "rated",
        "promises_kept",
        "promises_missed",
        "messages",
        "opted_out",
        "after_sale_confirmed_fixed",
        "after_sale_reopened",
        "after_sale_closed_by_silence",
    }
