"""What each number of the report counts, written once: the summary counts these rows, and
the queue, the CSV and the API list the tickets behind a number with the same conditions."""

from datetime import timedelta

from sqlalchemy import and_, case, not_, or_, select
from sqlalchemy.orm import aliased

from ticketing.models import Event, OptOut, Outbox, Promise, Ticket
from ticketing.models.enums import (
    OPEN_STATUSES,
    Category,
    Channel,
    OutboxStatus,
    Outcome,
    PromiseStatus,
    Status,
)
from ticketing.stats.scope import Scope, ScopeError

SOON = timedelta(hours=2)  # "about to breach", as the queue's badges say
ANSWERED_IN_TIME = or_(
    Ticket.first_response_due_at.is_(None), Ticket.first_response_at <= Ticket.first_response_due_at
)
RESOLVED_IN_TIME = or_(
    Ticket.resolution_due_at.is_(None), Ticket.resolved_at <= Ticket.resolution_due_at
)
# Closings that solved something; the others (silence, no reply, merged) never count as solved.
SOLVED_OUTCOMES = (Outcome.SOLVED.value, Outcome.CONFIRMED_FIXED.value)
SILENCE_OUTCOMES = (Outcome.CLOSED_AFTER_SILENCE.value, Outcome.CLOSED_NO_REPLY.value)
AGE_BUCKETS = {
    "lt1d": ("Under 1 day", 0, 1),
    "1to3d": ("1-3 days", 1, 3),
    "3to7d": ("3-7 days", 3, 7),
    "7to30d": ("1-4 weeks", 7, 30),
    "gt30d": ("Over 30 days", 30, None),
}
CHASES = {
    "pending_reminder": "Waiting-for-customer reminders",
    "confirm_reminder": "Is-it-fixed reminders",
    "fix_check": "Still-working checks",
}
SURVEY = "satisfaction"
AFTER_SALE_OUTCOMES = {
    "confirmed_fixed": "Confirmed fixed",
    "reopened": "Reopened",
    "closed_by_silence": "Closed by silence",
}
MESSAGE_LABELS = {
    "waiting": "Waiting",
    "sent": "Sent",
    "delivered": "Delivered",
    "failed": "Failed",
    "suppressed": "Not sent",
}
MESSAGE_STATES = {
    "waiting": (OutboxStatus.PENDING, OutboxStatus.QUEUED),
    "sent": (OutboxStatus.SENT,),
    "delivered": (OutboxStatus.DELIVERED,),
    "failed": (OutboxStatus.FAILED,),
    "suppressed": (OutboxStatus.SUPPRESSED,),
}


def step_of(event=Event):
    return event.data["step"].as_string()


def score_of(event=Event):
    return event.data["score"].as_integer()


def is_outcome_move(event=Event):
    """Status events that can be an after-sale outcome: a plain test the planner can count."""
    return event.data["new"].as_string().in_([Status.CLOSED.value, Status.OPEN.value])


def after_sale_outcome(event=Event):
    """Which after-sale outcome a status event is, or NULL: read from its outcome code."""
    new, old = event.data["new"].as_string(), event.data["old"].as_string()
    outcome = event.data["outcome"].as_string()
    return case(
        (outcome == Outcome.CONFIRMED_FIXED.value, "confirmed_fixed"),
        (outcome == Outcome.CLOSED_AFTER_SILENCE.value, "closed_by_silence"),
        (
            and_(new == Status.OPEN.value, old.in_([Status.RESOLVED.value, Status.CLOSED.value])),
            "reopened",
        ),
    )


def closing_outcome(ticket_id=Ticket.id):
    """The outcome code of the ticket's last status event: for a closed ticket, the closing
    (a closed ticket only moves again by reopening). One backward step on ix_events_ticket."""
    last = aliased(Event)
    return (
        select(last.data["outcome"].as_string())
        .where(last.ticket_id == ticket_id, last.kind == "status")
        .order_by(last.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def really_resolved():
    """A real resolution: resolved now (the customer may still confirm), or closed as solved
    or confirmed fixed; never closed for silence, for no reply or as merged. Only closed
    tickets look up their closing event."""
    return or_(
        Ticket.status == Status.RESOLVED,
        and_(Ticket.status == Status.CLOSED, closing_outcome().in_(SOLVED_OUTCOMES)),
    )


def closed_for_silence():
    """Closed because the customer never answered (after the fix, or while we waited)."""
    return and_(Ticket.status == Status.CLOSED, closing_outcome().in_(SILENCE_OUTCOMES))


def resolved_during(scope: Scope) -> list:
    """Tickets really resolved in the period (by their last resolution), in scope."""
    return [scope.during(Ticket.resolved_at), really_resolved(), *scope.ticket_conditions()]


def silenced_between(start, end):
    """Tickets closed for silence from `start` to `end` and still closed so: their closing
    event is found through ix_events_status_created."""
    closings = select(Event.ticket_id).where(
        Event.kind == "status",
        Event.created_at >= start,
        Event.created_at < end,
        Event.data["outcome"].as_string().in_(SILENCE_OUTCOMES),
    )
    return and_(Ticket.id.in_(closings), closed_for_silence())


def silenced_during(scope: Scope) -> list:
    return [silenced_between(scope.start, scope.end), *scope.ticket_conditions()]


def age_bucket(now):
    """The backlog age bucket of a ticket, by when it was created."""
    whens = [
        (Ticket.created_at > now - timedelta(days=upper), key)
        for key, (_, _, upper) in AGE_BUCKETS.items()
        if upper is not None
    ]
    return case(*whens, else_="gt30d")


def tickets_behind(scope: Scope, figure: str, part: str = ""):
    """SELECT of the ids of the tickets behind one number; ScopeError for an unknown one."""
    build = FIGURES.get(figure)
    if build is None:
        raise ScopeError(f"There is no report figure called '{figure[:40]}'.")
    conditions = build(scope, part or "")
    return select(Ticket.id).where(*conditions)


def _period(column):
    return lambda scope, part: [scope.during(column), *scope.ticket_conditions()]


def _with(base, *extra):
    return lambda scope, part: [*base(scope, part), *extra]


def _resolved(*extra):
    return lambda scope, part: [*resolved_during(scope), *extra]


def _silenced(scope: Scope, part: str) -> list:
    return silenced_during(scope)


def _open_now(scope: Scope, part: str) -> list:
    conditions = [Ticket.status.in_(OPEN_STATUSES), *scope.ticket_conditions()]
    if part:
        if part not in AGE_BUCKETS:
            raise ScopeError(f"Unknown age bucket '{part[:20]}'.")
        conditions.append(age_bucket(scope.now) == part)
    return conditions


def _breached(scope: Scope, part: str) -> list:
    return [Ticket.status.in_(OPEN_STATUSES), Ticket.due_at < scope.now, *scope.ticket_conditions()]


def _due_soon(scope: Scope, part: str) -> list:
    return [
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.due_at >= scope.now,
        Ticket.due_at < scope.now + SOON,
        *scope.ticket_conditions(),
    ]


def _events(scope: Scope, kind: str, *conditions) -> list:
    events = select(Event.ticket_id).where(
        Event.kind == kind, scope.during(Event.created_at), *conditions
    )
    return [Ticket.id.in_(events), *scope.ticket_conditions()]


def _followed_up(steps):
    def build(scope: Scope, part: str) -> list:
        if part and part not in steps:
            raise ScopeError(f"Unknown follow-up step '{part[:40]}'.")
        return _events(scope, "follow_up", step_of().in_([part] if part else list(steps)))

    return build


def _after_sale(outcome: str):
    def build(scope: Scope, part: str) -> list:
        return [
            *_events(scope, "status", after_sale_outcome() == outcome),
            Ticket.category == Category.AFTER_SALE,
        ]

    return build


def _rated(scope: Scope, part: str) -> list:
    conditions = [*_events(scope, "rated"), Ticket.satisfaction_score.is_not(None)]
    if part:
        if part not in {"1", "2", "3", "4", "5"}:
            raise ScopeError("A score is a number from 1 to 5.")
        conditions.append(Ticket.satisfaction_score == int(part))
    return conditions


def _promises(status: PromiseStatus):
    def build(scope: Scope, part: str) -> list:
        promises = select(Promise.ticket_id).where(
            Promise.status == status,
            scope.during(Promise.settled_at),
            *([Promise.agent_id == scope.agent_id] if scope.agent_id is not None else []),
        )
        return [Ticket.id.in_(promises), *scope.for_agent(None).ticket_conditions()]

    return build


def _messages(scope: Scope, part: str) -> list:
    """part: "<channel>.<state>" or "<channel>.failed.<provider code>"."""
    channel, _, rest = part.partition(".")
    state, _, code = rest.partition(".")
    if channel not in Channel._value2member_map_ or state not in MESSAGE_STATES:
        raise ScopeError("Messages are chosen as <channel>.<state>, e.g. sms.failed.")
    rows = select(Outbox.ticket_id).where(
        Outbox.channel == channel,
        Outbox.status.in_(MESSAGE_STATES[state]),
        Outbox.user_id.is_(None),
        scope.during(Outbox.created_at),
    )
    if code:
        rows = rows.where(Outbox.error_code == (None if code == "unknown" else code[:32]))
    return [Ticket.id.in_(rows), *scope.ticket_conditions(merged=True)]


def _opted_out(scope: Scope, part: str) -> list:
    """Open tickets of customers who opted out of SMS on one of our lines at least (part
    "period": did so in the period)."""
    customers = (
        select(Event.customer_id).where(Event.kind == "sms_opt_out", scope.during(Event.created_at))
        if part == "period"
        else select(OptOut.customer_id)
    )
    return [
        Ticket.customer_id.in_(customers),
        Ticket.status.in_(OPEN_STATUSES),
        *scope.ticket_conditions(),
    ]


FIGURES = {
    "created": _period(Ticket.created_at),
    "reopened": _with(_period(Ticket.created_at), Ticket.reopened_count > 0),
    "answered": _period(Ticket.first_response_at),
    "answered_in_time": _with(_period(Ticket.first_response_at), ANSWERED_IN_TIME),
    "answered_late": _with(_period(Ticket.first_response_at), not_(ANSWERED_IN_TIME)),
    "resolved": _resolved(),
    "resolved_in_time": _resolved(RESOLVED_IN_TIME),
    "resolved_late": _resolved(not_(RESOLVED_IN_TIME)),
    "closed_for_silence": _silenced,
    "open": _open_now,
    "breached": _breached,
    "due_soon": _due_soon,
    "chased": _followed_up(CHASES),
    "surveyed": _followed_up({SURVEY: "Satisfaction questions"}),
    "rated": _rated,
    "promises_kept": _promises(PromiseStatus.KEPT),
    "promises_missed": _promises(PromiseStatus.MISSED),
    "messages": _messages,
    "opted_out": _opted_out,
} | {f"after_sale_{outcome}": _after_sale(outcome) for outcome in AFTER_SALE_OUTCOMES}
