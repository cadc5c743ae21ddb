"""Follow-through figures: chases, after-sale outcomes, promises, satisfaction and delivery."""

from sqlalchemy import distinct, func, select

from ticketing.extensions import db
from ticketing.models import Event, OptOut, Outbox, Promise, Ticket
from ticketing.models.enums import Category, Channel, PromiseStatus
from ticketing.stats.figures import (
    AFTER_SALE_OUTCOMES,
    CHASES,
    MESSAGE_STATES,
    SURVEY,
    after_sale_outcome,
    is_outcome_move,
    score_of,
    step_of,
)
from ticketing.stats.scope import Scope, ticket_in
from ticketing.stats.sql import TOTAL
from ticketing.stats.tickets import percent

LATEST_COMMENTS = 5


def follow_ups(scope: Scope) -> dict:
    """Follow-up steps carried out in the period, by step, on the tickets in scope."""
    rows = (
        select(step_of().label("step"))
        .where(
            Event.kind == "follow_up",
            scope.during(Event.created_at),
            *scope.of_tickets(Event.ticket_id),
        )
        .subquery()
    )
    return {
        step: n
        for step, n in db.session.execute(select(rows.c.step, func.count()).group_by(rows.c.step))
    }


def chases(steps: dict) -> dict:
    return {
        "total": sum(steps.get(step, 0) for step in CHASES),
        "by_step": {step: steps.get(step, 0) for step in CHASES},
    }


def after_sale(scope: Scope) -> dict:
    """After-sale tickets confirmed fixed, reopened and closed by silence in the period."""
    rows = (
        select(after_sale_outcome().label("outcome"), Event.ticket_id)
        .where(
            Event.kind == "status",
            scope.during(Event.created_at),
            is_outcome_move(),
            *scope.of_tickets(Event.ticket_id, Ticket.category == Category.AFTER_SALE),
        )
        .subquery()
    )
    counts = dict(
        db.session.execute(
            select(rows.c.outcome, func.count(distinct(rows.c.ticket_id)))
            .where(rows.c.outcome.is_not(None))
            .group_by(rows.c.outcome)
        ).all()
    )
    return {outcome: counts.get(outcome, 0) for outcome in AFTER_SALE_OUTCOMES}


def promises(scope: Scope) -> dict:
    """Promises settled in the period, kept or missed: {agent id or TOTAL: figures}. A
    promise counts for the agent who made it."""
    mine = [Promise.agent_id == scope.agent_id] if scope.agent_id is not None else []
    rows = db.session.execute(
        select(Promise.agent_id, Promise.status, func.count())
        .where(
            Promise.status.in_([PromiseStatus.KEPT, PromiseStatus.MISSED]),
            scope.during(Promise.settled_at),
            *mine,
            *scope.of_tickets(Promise.ticket_id, by_assignee=False),
        )
        .group_by(Promise.agent_id, Promise.status)
    )
    result = {TOTAL: {"kept": 0, "missed": 0}}
    for agent, status, count in rows:
        for key in (agent, TOTAL):
            result.setdefault(key, {"kept": 0, "missed": 0})[PromiseStatus(status).value] += count
    for figures in result.values():
        figures["kept_percent"] = percent(figures["kept"], figures["kept"] + figures["missed"])
    return result


def _rated(scope: Scope):
    """Ratings given in the period (one per ticket; the event carries the score)."""
    return [
        Event.kind == "rated",
        scope.during(Event.created_at),
        *scope.of_tickets(Event.ticket_id),
    ]


def satisfaction(scope: Scope, steps: dict) -> dict:
    """Ratings given in the period: how many, their spread, the average and the answer rate."""
    scores = select(score_of().label("score")).where(*_rated(scope)).subquery()
    spread = dict(
        db.session.execute(select(scores.c.score, func.count()).group_by(scores.c.score)).all()
    )
    count, average = db.session.execute(select(func.count(), func.avg(scores.c.score))).one()
    comments = db.session.execute(
        select(
            Ticket.id,
            Ticket.reference,
            Ticket.satisfaction_score,
            Ticket.satisfaction_comment,
            Event.created_at,
        )
        .join(Ticket, Ticket.id == Event.ticket_id)
        .where(*_rated(scope), Ticket.satisfaction_comment.is_not(None))
        .order_by(Event.created_at.desc(), Event.id.desc())
        .limit(LATEST_COMMENTS)
    ).all()
    surveys = steps.get(SURVEY, 0)
    return {
        "surveys": surveys,
        "ratings": count,
        "response_rate_percent": percent(count, surveys),
        "average": None if average is None else round(float(average), 2),
        "distribution": {str(n): spread.get(n, 0) for n in range(1, 6)},
        "latest_comments": [
            {
                "ticket_id": c.id,
                "reference": c.reference,
                "score": c[2],
                "comment": c.satisfaction_comment,
                "at": c.created_at.isoformat(timespec="seconds") + "Z",
            }
            for c in comments
        ],
    }


def agent_satisfaction(scope: Scope) -> dict:
    rows = db.session.execute(
        select(Ticket.assignee_id, func.count(), func.avg(score_of()))
        .join(Ticket, Ticket.id == Event.ticket_id)
        .where(Event.kind == "rated", scope.during(Event.created_at), *scope.ticket_conditions())
        .group_by(Ticket.assignee_id)
    )
    return {agent: {"ratings": n, "average": round(float(avg), 2)} for agent, n, avg in rows}


def delivery(scope: Scope) -> dict:
    """Messages to customers written in the period, by channel and state; failures by code."""
    query = select(Outbox.channel, Outbox.status, Outbox.error_code, func.count()).where(
        scope.during(Outbox.created_at), Outbox.user_id.is_(None)
    )
    if scope.has_dimensions:
        query = query.where(ticket_in(Outbox.ticket_id, *scope.ticket_conditions(merged=True)))
    counts = db.session.execute(
        query.group_by(Outbox.channel, Outbox.status, Outbox.error_code)
    ).all()
    channels = {}
    for channel in (Channel.SMS, Channel.EMAIL):
        channels[channel.value] = {
            state: sum(n for c, s, _, n in counts if c == channel and s in statuses)
            for state, statuses in MESSAGE_STATES.items()
        }
    failures = [
        {"channel": c.value, "code": code or "unknown", "count": n}
        for c, s, code, n in counts
        if s in MESSAGE_STATES["failed"]
    ]
    failures.sort(key=lambda f: (-f["count"], f["channel"], f["code"]))
    return {"channels": channels, "failures": failures, "opted_out": _opted_out(scope)}


def _opted_out(scope: Scope) -> dict:
    now = select(func.count(func.distinct(OptOut.customer_id)))
    during = select(func.count(Event.id)).where(
        Event.kind == "sms_opt_out", scope.during(Event.created_at)
    )
    if scope.has_dimensions:
        theirs = select(Ticket.customer_id).where(*scope.ticket_conditions(merged=True))
        now = now.where(OptOut.customer_id.in_(theirs))
        during = during.where(Event.customer_id.in_(theirs))
    return {"now": db.session.scalar(now), "in_period": db.session.scalar(during)}
