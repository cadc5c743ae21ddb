"""Who on the staff hears of a ticket that needs them, and what happens when nobody can.

Breaches reach the supervisor in bulk, never one email per ticket:

- the breach step notes the breach on its ticket (a `breach_noted` event) and emails nobody;
- each scheduler pass (or a small job it queues behind its batches) claims the noted breaches
  with a compare-and-set on the events' kind (`breach_noted` -> `breach_alerted`) and owes one
  digest per department, its dedupe key made of the department and the pass, so two passes
  never list a breach twice and one pass never sends a department two digests;
- once a day, from SUMMARY_HOUR local time, each department's supervisor gets one summary of
  what is still breached since before that hour (dedupe key: department and local date).

Callers commit; a duplicate key (another pass got there first) raises IntegrityError at flush,
and the caller rolls back, leaving the noted breaches for the next pass.
"""

from collections import defaultdict
from datetime import datetime, time

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ticketing import events, hours, notify
from ticketing.extensions import db
from ticketing.models import Department, Event, Outbox, Ticket, User
from ticketing.models.enums import OPEN_STATUSES, Role

BREACH_NOTED = "breach_noted"  # waiting for the next digest
BREACH_ALERTED = "breach_alerted"  # listed in a digest to the supervisor
SUMMARY_HOUR = time(8, 0)  # local: the daily summary goes with the first pass after this
DIGEST_LIMIT = 2000  # breaches claimed per pass; more wait for the next pass
SUMMARY_LISTED = 50  # tickets listed in a summary; the rest are counted


def supervisor_of(ticket: Ticket) -> User | None:
    """The department's supervisor, or the first enabled supervisor or admin."""
    return supervisor_for(ticket.department)


def supervisor_for(department: Department) -> User | None:
    supervisor = department.supervisor
    if supervisor is None or not supervisor.is_enabled:
        supervisor = db.session.scalar(
            select(User)
            .where(User.role.in_([Role.SUPERVISOR, Role.ADMIN]), User.is_enabled)
            .order_by(User.id)
        )
    return supervisor


def alert(user: User | None, kind: str, ticket: Ticket, **context) -> None:
    """Owe `user` the alert; with nobody to tell, the ticket says so instead of staying mute."""
    if user is None:
        events.record(ticket, "nobody_to_alert", alert=kind)
        return
    notify.staff(user, kind, ticket, **context)


def tell_assignee(ticket: Ticket, agent: User, *, by: User | None) -> None:
    """Email an agent that a ticket is now theirs, if they chose to hear of it and did not
    take it themselves (the live queue shows it to them either way)."""
    if agent == by or not agent.is_enabled or not agent.wants_assignment_email:
        return
    notify.staff(agent, "assigned_to_you", ticket, by=by)


# -- breaches ---------------------------------------------------------------------------------


def note_breach(ticket: Ticket, what: str) -> None:
    """The breach step's part: the supervisor hears of it in the next digest."""
    events.record(ticket, BREACH_NOTED, what=what)


def breaches_noted() -> bool:
    """Whether any breach still waits for a digest (cheap: the events' kind index)."""
    return (
        db.session.scalar(select(Event.id).where(Event.kind == BREACH_NOTED).limit(1)) is not None
    )


def owe_breach_digests(pass_key: str) -> int:
    """Claim every noted breach and owe each department's supervisor one digest of them;
    returns how many digests. Claims nothing when another pass is claiming the same events
    (the caller rolls back and the next pass tries again)."""
    noted = db.session.execute(
        select(Event.id, Event.ticket_id, Event.data)
        .where(Event.kind == BREACH_NOTED)
        .order_by(Event.id)
        .limit(DIGEST_LIMIT)
    ).all()
    if not noted:
        return 0
    ids = [row.id for row in noted]
    claimed = db.session.execute(
        update(Event)
        .where(Event.id.in_(ids), Event.kind == BREACH_NOTED)
        .values(kind=BREACH_ALERTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != len(ids):
        raise ClaimLost(f"{len(ids) - claimed} of {len(ids)} breaches claimed elsewhere")
    tickets = {
        ticket.id: ticket
        for ticket in db.session.scalars(
            select(Ticket)
            .where(Ticket.id.in_({row.ticket_id for row in noted}))
            .options(joinedload(Ticket.assignee), joinedload(Ticket.department))
        )
    }
    by_department = defaultdict(list)
    for row in noted:
        ticket = tickets.get(row.ticket_id)
        if ticket is not None:
            by_department[ticket.department].append((ticket, (row.data or {}).get("what", "")))
    for department, breaches in sorted(by_department.items(), key=lambda item: item[0].id):
        supervisor = supervisor_for(department)
        if supervisor is None:
            for ticket, _ in breaches:
                events.record(ticket, "nobody_to_alert", alert="breach")
            continue
        notify.staff(
            supervisor,
            "breach_digest",
            dedupe_key=f"breach-digest:{department.id}:{pass_key}",
            department=department,
            breaches=breaches,
        )
    return len(by_department)


class ClaimLost(Exception):
    """Another pass is claiming the same noted breaches: leave them to the next pass."""


def summary_day(now: datetime) -> tuple[str, datetime] | None:
    """(local date, its SUMMARY_HOUR as UTC) once the summary hour has come today, else None."""
    tz = current_app.config["TIMEZONE"]
    local = hours.to_local(now, tz)
    if local.time() < SUMMARY_HOUR:
        return None
    since = hours.local_to_utc(datetime.combine(local.date(), SUMMARY_HOUR), tz)
    return local.date().isoformat(), since


def summaries_due(now: datetime) -> list[tuple[int, str]]:
    """(department id, dedupe key) of each department owed today's summary and not sent it:
    open tickets breached since before this morning's summary hour."""
    day = summary_day(now)
    if day is None:
        return []
    date, since = day
    departments = db.session.scalars(
        select(Ticket.department_id)
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.due_at < since)
        .group_by(Ticket.department_id)
        .order_by(Ticket.department_id)
    ).all()
    keys = {
        department_id: f"breach-summary:{department_id}:{date}" for department_id in departments
    }
    if not keys:
        return []
    sent = set(
        db.session.scalars(select(Outbox.dedupe_key).where(Outbox.dedupe_key.in_(keys.values())))
    )
    return [(department_id, key) for department_id, key in keys.items() if key not in sent]


def owe_summary(department_id: int, key: str, now: datetime) -> bool:
    """Owe the department's supervisor today's summary of what stays breached."""
    date, since = summary_day(now)
    department = db.session.get(Department, department_id)
    breached = (
        Ticket.department_id == department_id,
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.due_at < since,
    )
    total = db.session.scalar(select(func.count(Ticket.id)).where(*breached))
    supervisor = supervisor_for(department)
    if not total or supervisor is None:
        return False
    tickets = db.session.scalars(
        select(Ticket)
        .where(*breached)
        .options(joinedload(Ticket.assignee))
        .order_by(Ticket.due_at)
        .limit(SUMMARY_LISTED)
    ).all()
    notify.staff(
        supervisor,
        "breach_summary",
        dedupe_key=key,
        department=department,
        tickets=tickets,
        total=total,
        day=date,
        now=now,
    )
    return True
