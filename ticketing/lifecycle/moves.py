"""The status table and every move between statuses, each with its event, its outcome code
where it closes or reopens, and the customer's notice."""

from ticketing import ccs, charter, events, hours, notify, promises, routing
from ticketing.errors import TransitionError
from ticketing.lifecycle import base
from ticketing.models import Ticket, User
from ticketing.models.enums import Category, FollowUpStep, Outcome, Priority, Status

NEXT = {
    Status.NEW: {Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.PENDING_CUSTOMER, Status.RESOLVED, Status.CLOSED},
    Status.PENDING_CUSTOMER: {Status.OPEN, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}


def set_status(
    ticket: Ticket, status: Status, *, by: User | None, note: str = "", quiet: bool = False
) -> None:
    """Move the ticket to `status` through the action that owns that move."""
    actions = {
        Status.PENDING_CUSTOMER: lambda: set_pending(ticket, by=by, quiet=quiet),
        Status.RESOLVED: lambda: resolve(ticket, by=by, note=note),
        Status.CLOSED: lambda: close(ticket, by=by, reason=note),
        Status.OPEN: lambda: (
            reopen(ticket, by=by, outcome=Outcome.REOPENED_BY_AGENT, reason=note)
            if ticket.status in (Status.RESOLVED, Status.CLOSED)
            else move(ticket, Status.OPEN, by=by)
        ),
    }
    if status not in actions:
        raise TransitionError(f"a ticket cannot be set back to {status.label}")
    actions[status]()


def set_pending(ticket: Ticket, *, by: User | None, quiet: bool = False) -> None:
    """Wait for the customer: the charter clock pauses and reminders are planned."""
    move(ticket, Status.PENDING_CUSTOMER, by=by)
    if not quiet:
        notify.customer(ticket, "waiting", update=by is not None)


def resolve(ticket: Ticket, *, by: User | None, note: str = "") -> None:
    """Mark the ticket resolved; after-sale customers are asked to confirm the fix."""
    move(ticket, Status.RESOLVED, by=by, note=note)
    ticket.resolved_at = hours.now()
    charter.measure_resolution(ticket, ticket.resolved_at)
    kind = "confirm_fix" if ticket.category == Category.AFTER_SALE else "resolved"
    notify.customer(ticket, kind, update=by is not None)


def close(
    ticket: Ticket,
    *,
    by: User | None = None,
    outcome: Outcome = Outcome.SOLVED,
    reason: str = "",
    message: str | None = "closed",
    proactive: bool = False,
) -> None:
    """Close the ticket for `outcome`; `reason` is a person's own words, `message` names the
    notice the customer gets, None for none."""
    if ticket.resolved_at is None or ticket.status != Status.RESOLVED:
        ticket.resolved_at = ticket.resolved_at or hours.now()
        charter.measure_resolution(ticket, ticket.resolved_at)
    move(ticket, Status.CLOSED, by=by, outcome=outcome.value, reason=reason)
    ticket.closed_at = hours.now()
    promises.cancel_open(ticket)
    if message:
        notify.customer(ticket, message, proactive=proactive, update=by is not None, reason=reason)


def reopen(
    ticket: Ticket,
    *,
    outcome: Outcome,
    by: User | None = None,
    reason: str = "",
    priority: Priority | None = None,
) -> None:
    """Open a resolved or closed ticket again for `outcome` (one of the reopened_* codes);
    the charter clock restarts from now."""
    if ticket.merged_into_id:
        raise TransitionError(f"{ticket.reference} was merged into another ticket")
    if not outcome.is_reopening:
        raise ValueError(f"{outcome} is not a reason to reopen")
    move(ticket, Status.OPEN, by=by, outcome=outcome.value, reason=reason)
    ticket.reopened_count += 1
    ticket.resolved_at = ticket.closed_at = None
    if priority is not None and priority != ticket.priority:
        events.record(ticket, "priority", by, old=ticket.priority.value, new=priority.value)
        ticket.priority = priority
    now = hours.now()
    calendar = charter.calendar_for(ticket.department)
    ticket.resolution_due_at = calendar.add_minutes(now, charter.targets(ticket)[1])
    charter.refresh_due(ticket)
    if ticket.assignee is None or ticket.assignee.is_away:
        base.set_assignee(ticket, routing.pick_assignee(ticket.department), by=None, now=now)
    base.plan(ticket, now)
    notify.customer(ticket, "reopened", update=by is not None)


def merge(source: Ticket, target: Ticket, *, by: User | None) -> None:
    """Fold `source` into `target`: its thread moves over and it closes pointing there."""
    if source.id == target.id:
        raise TransitionError("a ticket cannot be merged into itself")
    if target.merged_into_id or target.status == Status.CLOSED:
        raise TransitionError(f"{target.reference} is closed or merged: pick an open ticket")
    if source.merged_into_id:
        raise TransitionError(f"{source.reference} is already merged")
    for message in list(source.messages):
        message.ticket = target
    events.record(target, "merged_in", by, source=source.reference)
    events.record(source, "merged_into", by, target=target.reference)
    source.merged_into = target
    ccs.add_ccs(target, [source.customer.email or "", *(source.cc_emails or [])], by=by)
    close(source, by=by, outcome=Outcome.MERGED, message=None)
    base.touch(target)


def record_follow_up(ticket: Ticket, step: FollowUpStep) -> str:
    """Note the due step as done before it is carried out; returns the key that makes its
    messages owed once, however often the step is retried."""
    done = list(ticket.follow_ups_done or [])
    key = f"fu:{ticket.id}:{step.value}:{len(done)}:{ticket.status_changed_at:%Y%m%d%H%M%S}"
    ticket.follow_ups_done = done + [step.value]
    events.record(ticket, "follow_up", step=step.value)
    return key


def replan(ticket: Ticket) -> None:
    """Plan the ticket's next follow-up step from now."""
    base.plan(ticket, hours.now())


def move(ticket: Ticket, status: Status, *, by: User | None, **data) -> None:
    if status not in NEXT[ticket.status]:
        raise TransitionError(
            f"{ticket.reference} cannot go from {ticket.status.label} to {status.label}"
        )
    now = hours.now()
    events.record(
        ticket,
        "status",
        by,
        old=ticket.status.value,
        new=status.value,
        **{k: v for k, v in data.items() if v},
    )
    was_pending = ticket.status == Status.PENDING_CUSTOMER
    ticket.status = status
    ticket.status_changed_at = now
    ticket.follow_ups_done = []
    if status == Status.PENDING_CUSTOMER:
        charter.pause_clock(ticket, now)
    elif was_pending:
        charter.resume_clock(ticket, now)
    charter.refresh_due(ticket)
    base.plan(ticket, now)
