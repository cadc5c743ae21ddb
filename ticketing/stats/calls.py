"""Call figures, per department and in all: how many calls came in and how they ended, how
fast the desk answered, and how fast a caller nobody answered was called back.

Calls count by when they started (ix_calls_department_started). Of the report's filters
only the department applies: a call has no agent, channel, priority or category. The
call-backs owed now are the open promises their department owes (agent_id NULL), found by
ix_promises_status_due like the agent queue's order.
"""

from sqlalchemy import Float, and_, case, cast, func, select

from ticketing import hours
from ticketing.calls import OWED
from ticketing.extensions import db
from ticketing.models import Call, Department, Promise, Ticket
from ticketing.models.enums import CallOutcome, PromiseStatus
from ticketing.stats.scope import Scope
from ticketing.stats.sql import TOTAL, distribution, empty, seconds_between
from ticketing.stats.tickets import percent

OUTCOMES = {
    CallOutcome.MISSED: "Missed at the desk",
    CallOutcome.ABANDONED: "Hung up before an answer",
    CallOutcome.AFTER_HOURS: "After hours",
    CallOutcome.CALLBACK_REQUESTED: "Asked for a call back (pressed 1)",
    CallOutcome.VOICEMAIL: "Left a voicemail",
}


def calls(scope: Scope) -> dict:
    """{"total": figures, "departments": [figures with id and name]} for the calls that
    started in the period. Waits are in seconds (answer) and calendar minutes (call back)."""
    counts = _counts(scope)
    answer = distribution(
        [*_in_scope(scope), Call.answered_at.is_not(None)],
        {"seconds": seconds_between(Call.started_at, Call.answered_at)},
        group=Call.department_id,
        with_total=True,
    )
    kept_at = _callback_kept_at()
    callback = distribution(
        [*_in_scope(scope), Call.outcome.in_(OWED), kept_at.is_not(None)],
        {"minutes": cast(seconds_between(Call.started_at, kept_at), Float) / 60},
        group=Call.department_id,
        with_total=True,
    )
    owed = _owed(scope)
    departments = db.session.execute(
        select(Department.id, Department.name).order_by(Department.name)
    ).all()
    rows = []
    for department_id, name in departments:
        if scope.department_id is not None and department_id != scope.department_id:
            continue
        figures = _figures(department_id, counts, answer, callback, owed)
        if figures["received"] or figures["callbacks_owed"]:
            rows.append({"id": department_id, "name": name, **figures})
    return {"total": _figures(TOTAL, counts, answer, callback, owed), "departments": rows}


def _in_scope(scope: Scope) -> list:
    conditions = [scope.during(Call.started_at)]
    if scope.department_id is not None:
        conditions.append(Call.department_id == scope.department_id)
    return conditions


def _counts(scope: Scope) -> dict:
    """{department id: {outcome or None: calls}, plus "voicemails": calls with a recording}."""
    rows = db.session.execute(
        select(
            Call.department_id,
            Call.outcome,
            func.count(),
            func.sum(case((Call.recording_url.is_not(None), 1), else_=0)),
        )
        .where(*_in_scope(scope))
        .group_by(Call.department_id, Call.outcome)
    ).all()
    found = {}
    for department_id, outcome, n, recorded in rows:
        for key in (department_id, TOTAL):
            counts = found.setdefault(key, {"voicemails": 0})
            counts[outcome] = counts.get(outcome, 0) + n
            counts["voicemails"] += int(recorded or 0)
    return found


def _callback_kept_at():
    """When the call back this call was owed was marked kept: the department's promise on
    the call's ticket (a ticket holds one: once it is kept, the next call opens another)."""
    return (
        select(func.min(Promise.settled_at))
        .where(
            Promise.ticket_id == Call.ticket_id,
            Promise.agent_id.is_(None),
            Promise.status == PromiseStatus.KEPT,
        )
        .correlate(Call)
        .scalar_subquery()
    )


def _owed(scope: Scope) -> dict:
    """Call backs owed now, and how many of them are overdue: {department id: (owed, late)}."""
    query = (
        select(
            Ticket.department_id,
            func.count(),
            func.sum(case((Promise.due_at < hours.now(), 1), else_=0)),
        )
        .join(Ticket, Ticket.id == Promise.ticket_id)
        .where(
            and_(Promise.status == PromiseStatus.OPEN, Promise.agent_id.is_(None)),
            *([Ticket.department_id == scope.department_id] if scope.department_id else []),
        )
        .group_by(Ticket.department_id)
    )
    found = {TOTAL: (0, 0)}
    for department_id, n, late in db.session.execute(query):
        found[department_id] = (n, int(late or 0))
        found[TOTAL] = (found[TOTAL][0] + n, found[TOTAL][1] + int(late or 0))
    return found


def _figures(key, counts: dict, answer: dict, callback: dict, owed: dict) -> dict:
    mine = counts.get(key, {})
    received = sum(n for outcome, n in mine.items() if outcome != "voicemails")
    answered = mine.get(CallOutcome.ANSWERED, 0)
    waits = answer.get(key) or empty(["seconds"])
    returns = callback.get(key) or empty(["minutes"])
    return {
        "received": received,
        "answered": answered,
        "answer_rate_percent": percent(answered, received),
        **{outcome.value: mine.get(outcome, 0) for outcome in OUTCOMES},
        "in_progress": mine.get(None, 0),
        "voicemails": mine.get("voicemails", 0),
        "answer_seconds": _round(waits["seconds"]),
        "callbacks_kept": returns["count"],
        "callback_minutes": _round(returns["minutes"]),
        "callbacks_owed": owed.get(key, (0, 0))[0],
        "callbacks_overdue": owed.get(key, (0, 0))[1],
    }


def _round(figures: dict) -> dict:
    return {k: None if figures[k] is None else round(figures[k], 1) for k in ("median", "p90")}
