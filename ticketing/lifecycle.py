"""The only writer of ticket state. Every change writes an Event and owes its notifications.

Functions take plain values (by=user) and never commit: the view or job that calls them does.
"""

from datetime import datetime

from sqlalchemy import func, select

from ticketing import charter, followup, hours, notify, routing
from ticketing.channels.email import our_addresses
from ticketing.extensions import db
from ticketing.models import Attachment, Customer, Department, Event, Message, Promise, Ticket, User
from ticketing.models.enums import (
    Category,
    Channel,
    Direction,
    FollowUpStep,
    Priority,
    PromiseStatus,
    Role,
    Status,
)
from ticketing.models.tickets import new_reference

NEXT = {
    Status.NEW: {Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.PENDING_CUSTOMER, Status.RESOLVED, Status.CLOSED},
    Status.PENDING_CUSTOMER: {Status.OPEN, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}


MISSED_PROMISE_RECOVERY_MINUTES = 120  # what we tell a customer after a missed promise
MAX_CC = 20  # people copied on one ticket's email replies


class TransitionError(ValueError):
    """An action the ticket's state does not allow; the message says why, for people."""


def open_ticket(customer: Customer, *, subject: str, body: str, channel: Channel,
                category: Category = Category.GENERAL, priority: Priority = Priority.NORMAL,
                html: str = "", full_text: str = "", external_id: str | None = None,
                attachments=(), by: User | None = None, department: Department | None = None,
                previous: Ticket | None = None, acknowledge: bool = True, cc=()) -> Ticket:
    """Create a ticket from what a customer sent, route and assign it, and acknowledge it.

    `cc`: the others the customer wrote to; they are copied on agents' replies."""
    now = hours.now()
    subject = (subject or body or "(no subject)").strip().splitlines()[0][:200] or "(no subject)"
    department = department or routing.pick_department(f"{subject}\n{body}", channel, category)
    ticket = Ticket(reference=_unused_reference(), customer=customer, subject=subject, channel=channel, category=category,
                    priority=priority, department=department, created_at=now, updated_at=now,
                    status_changed_at=now, last_customer_message_at=now, follow_ups_done=[],
                    previous_ticket=previous)
    db.session.add(ticket)
    db.session.flush()
    _add_message(ticket, Direction.INBOUND, channel, body, html=html, full_text=full_text,
                 external_id=external_id, attachments=attachments, author=by)
    _event(ticket, "created", by, channel=channel.value, department=department.name,
           previous=previous.reference if previous else None)
    add_ccs(ticket, cc)
    charter.start_clock(ticket, now)
    assignee = routing.pick_assignee(department)
    if assignee is not None:
        _set_assignee(ticket, assignee, by=None, now=now)
    _replan(ticket, now)
    if acknowledge:
        notify.customer(ticket, "received")
    return ticket


def add_customer_message(ticket: Ticket, *, body: str, channel: Channel, html: str = "",
                         full_text: str = "", external_id: str | None = None, attachments=(),
                         is_automated: bool = False, sender: str | None = None,
                         cc=()) -> Message:
    """File what the customer (or `sender`, one of the ticket's CCs) sent on their ticket;
    it wakes a waiting or resolved ticket."""
    if ticket.status == Status.CLOSED:
        raise TransitionError(f"{ticket.reference} is closed: reopen it before adding to it")
    now = hours.now()
    message = _add_message(ticket, Direction.INBOUND, channel, body, html=html,
                           full_text=full_text, external_id=external_id,
                           attachments=attachments, is_automated=is_automated)
    message.sender = sender
    _event(ticket, "customer_message", None, channel=channel.value, automated=is_automated,
           sender=sender)
    if is_automated:
        return message
    add_ccs(ticket, cc)
    ticket.last_customer_message_at = now
    if ticket.status == Status.PENDING_CUSTOMER:
        _move(ticket, Status.OPEN, by=None, reason="customer answered")
    elif ticket.status == Status.RESOLVED:
        after_sale = ticket.category == Category.AFTER_SALE  # a complaint: it is not fixed
        reopen(ticket, reason="customer wrote after resolution",
               priority=Priority.HIGH if after_sale else None)
    return message


def reply(ticket: Ticket, *, by: User, body: str, status: Status | None = None) -> Message:
    """Send the agent's words to the customer on their channel, at once."""
    _require_text(body, "reply")
    if ticket.status == Status.CLOSED:
        raise TransitionError(f"{ticket.reference} is closed: reopen it before replying")
    now = hours.now()
    channel = notify.channel_for(ticket.customer, ticket) or ticket.channel
    message = _add_message(ticket, Direction.OUTBOUND, channel, body, author=by)
    _event(ticket, "replied", by, channel=channel.value)
    if ticket.first_response_at is None:
        charter.measure_first_response(ticket, now)
    if ticket.status == Status.NEW:
        _move(ticket, Status.OPEN, by=by)
    message.outbox = notify.customer(ticket, "reply", automatic=False, message=message)
    if status is not None and status != ticket.status:
        set_status(ticket, status, by=by, quiet=True)
    _replan(ticket, now)
    return message


def note(ticket: Ticket, *, by: User, body: str) -> Message:
    """An internal note: staff see it, the customer never does."""
    _require_text(body, "note")
    message = _add_message(ticket, Direction.OUTBOUND, Channel.WEB, body, author=by,
                           internal=True)
    _event(ticket, "noted", by)
    return message


def assign(ticket: Ticket, assignee: User | None, *, by: User | None) -> None:
    if assignee is not None and ticket.department not in assignee.departments:
        raise TransitionError(f"{assignee.name} is not in {ticket.department.name}")
    if assignee == ticket.assignee:
        return
    _set_assignee(ticket, assignee, by=by, now=hours.now())
    if assignee is not None:
        notify.customer(ticket, "assigned", update=True)


def transfer(ticket: Ticket, department: Department, *, by: User | None) -> None:
    """Move the ticket to another department; its agents take it from there."""
    if department == ticket.department:
        return
    _event(ticket, "transferred", by, old=ticket.department.name, new=department.name)
    ticket.department = department
    if ticket.assignee is not None and department not in ticket.assignee.departments:
        _set_assignee(ticket, routing.pick_assignee(department), by=by, now=hours.now())
    _touch(ticket)


def set_priority(ticket: Ticket, priority: Priority, *, by: User | None) -> None:
    """Change priority; the charter's due times follow the new priority's targets."""
    if priority == ticket.priority:
        return
    _event(ticket, "priority", by, old=ticket.priority.value, new=priority.value)
    ticket.priority = priority
    if ticket.is_open and ticket.status != Status.PENDING_CUSTOMER:
        charter.start_clock(ticket, hours.now())
    _replan(ticket, hours.now())


def set_status(ticket: Ticket, status: Status, *, by: User | None, note: str = "",
               quiet: bool = False) -> None:
    """Move the ticket to `status` through the action that owns that move."""
    actions = {
        Status.PENDING_CUSTOMER: lambda: set_pending(ticket, by=by, quiet=quiet),
        Status.RESOLVED: lambda: resolve(ticket, by=by, note=note),
        Status.CLOSED: lambda: close(ticket, by=by, reason=note),
        Status.OPEN: lambda: reopen(ticket, by=by, reason=note)
        if ticket.status in (Status.RESOLVED, Status.CLOSED) else _move(ticket, Status.OPEN, by=by),
    }
    if status not in actions:
        raise TransitionError(f"a ticket cannot be set back to {status.label}")
    actions[status]()


def set_pending(ticket: Ticket, *, by: User | None, quiet: bool = False) -> None:
    """Wait for the customer: the charter clock pauses and reminders are planned."""
    _move(ticket, Status.PENDING_CUSTOMER, by=by)
    if not quiet:
        notify.customer(ticket, "waiting", update=by is not None)


def resolve(ticket: Ticket, *, by: User | None, note: str = "") -> None:
    """Mark the ticket resolved; after-sale customers are asked to confirm the fix."""
    _move(ticket, Status.RESOLVED, by=by, note=note)
    ticket.resolved_at = hours.now()
    charter.measure_resolution(ticket, ticket.resolved_at)
    kind = "confirm_fix" if ticket.category == Category.AFTER_SALE else "resolved"
    notify.customer(ticket, kind, update=by is not None)


def close(ticket: Ticket, *, by: User | None = None, reason: str = "",
          message: str | None = "closed", proactive: bool = False) -> None:
    """Close the ticket; `message` names the notice the customer gets, None for none."""
    if ticket.resolved_at is None or ticket.status != Status.RESOLVED:
        ticket.resolved_at = ticket.resolved_at or hours.now()
        charter.measure_resolution(ticket, ticket.resolved_at)
    _move(ticket, Status.CLOSED, by=by, reason=reason)
    ticket.closed_at = hours.now()
    _settle_open_promises(ticket, PromiseStatus.CANCELLED)
    if message:
        notify.customer(ticket, message, proactive=proactive, update=by is not None,
                        reason=reason)


def reopen(ticket: Ticket, *, by: User | None = None, reason: str = "",
           priority: Priority | None = None) -> None:
    """Open a resolved or closed ticket again; the charter clock restarts from now."""
    if ticket.merged_into_id:
        raise TransitionError(f"{ticket.reference} was merged into another ticket")
    _move(ticket, Status.OPEN, by=by, reason=reason)
    ticket.reopened_count += 1
    ticket.resolved_at = ticket.closed_at = None
    if priority is not None and priority != ticket.priority:
        _event(ticket, "priority", by, old=ticket.priority.value, new=priority.value)
        ticket.priority = priority
    now = hours.now()
    calendar = charter.calendar_for(ticket.department)
    ticket.resolution_due_at = calendar.add_minutes(now, charter.targets(ticket)[1])
    charter.refresh_due(ticket)
    if ticket.assignee is None or ticket.assignee.is_away:
        _set_assignee(ticket, routing.pick_assignee(ticket.department), by=None, now=now)
    _replan(ticket, now)
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
    _event(target, "merged_in", by, source=source.reference)
    _event(source, "merged_into", by, target=target.reference)
    source.merged_into = target
    add_ccs(target, [source.customer.email or "", *(source.cc_emails or [])], by=by)
    close(source, by=by, reason=f"merged into {target.reference}", message=None)
    _touch(target)


def add_ccs(ticket: Ticket, addresses, *, by: User | None = None) -> list[str]:
    """Copy more people on the ticket's email replies: never the customer, staff, us (a copy
    to our own mailbox would loop) or a repeat; beyond MAX_CC the rest are left out, and the
    event says so. Returns those added."""
    current = list(ticket.cc_emails or [])
    fresh = [a for a in dict.fromkeys(a.strip().lower() for a in addresses if a and a.strip())
             if a not in current and a != (ticket.customer.email or "").lower()]
    if fresh:
        refused = _staff_or_us(fresh)
        fresh = [a for a in fresh if a not in refused]
    added = fresh[:max(MAX_CC - len(current), 0)]
    if fresh:
        ticket.cc_emails = current + added
        _event(ticket, "cc_added", by, added=", ".join(added) or None,
               left_out=", ".join(fresh[len(added):]) or None)
    return added


def set_ccs(ticket: Ticket, addresses, *, by: User) -> None:
    """An agent's own list of who is copied; the customer is always the one addressed."""
    wanted = list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))
    if len(wanted) > MAX_CC:
        raise TransitionError(f"a ticket can copy at most {MAX_CC} people")
    if (ticket.customer.email or "").lower() in wanted:
        raise TransitionError(f"{ticket.customer.email} is the customer: they get every reply")
    if refused := sorted(_staff_or_us(wanted)):
        raise TransitionError(f"{', '.join(refused)}: staff and our own addresses are never "
                              "copied; assign the ticket or add a note instead")
    removed = [a for a in ticket.cc_emails or [] if a not in wanted]
    if removed:
        ticket.cc_emails = [a for a in ticket.cc_emails if a in wanted]
        _event(ticket, "cc_removed", by, removed=", ".join(removed))
    add_ccs(ticket, wanted, by=by)


def _staff_or_us(addresses: list[str]) -> set[str]:
    staff = db.session.scalars(select(func.lower(User.email)).where(
        func.lower(User.email).in_(addresses)))
    return set(staff) | (our_addresses() & set(addresses))


def add_promise(ticket: Ticket, *, by: User, description: str, due_at: datetime) -> Promise:
    """Record the agent's commitment and tell the customer what to expect and when."""
    _require_text(description, "promise")
    if due_at <= hours.now():
        raise TransitionError("a promise must be due in the future")
    if not ticket.is_open:
        raise TransitionError(f"{ticket.reference} is {ticket.status.label.lower()}")
    promise = Promise(ticket=ticket, agent=by, description=description.strip()[:300],
                      due_at=due_at)
    db.session.add(promise)
    _event(ticket, "promised", by, description=promise.description, due_at=due_at.isoformat())
    notify.customer(ticket, "promise", automatic=False, promise=promise)
    return promise


def settle_promise(promise: Promise, *, kept: bool, by: User | None) -> None:
    """Record whether a promise was kept; a missed one alerts the supervisor."""
    if promise.status != PromiseStatus.OPEN:
        raise TransitionError("this promise is already settled")
    promise.status = PromiseStatus.KEPT if kept else PromiseStatus.MISSED
    promise.settled_at = hours.now()
    ticket = promise.ticket
    if kept:
        _event(ticket, "promise_kept", by, promise_id=promise.id,
               description=promise.description)
        return
    calendar = charter.calendar_for(ticket.department)
    new_time = calendar.add_minutes(hours.now(), MISSED_PROMISE_RECOVERY_MINUTES)
    _event(ticket, "promise_missed", by, promise_id=promise.id, description=promise.description,
           customer_told_by=new_time.isoformat())
    _alert_staff(_supervisor(ticket), "promise_missed", ticket, promise=promise,
                 dedupe_key=f"promise-missed-staff:{promise.id}")
    notify.customer(ticket, "promise_missed", proactive=True, promise=promise,
                    new_time=new_time, dedupe_key=f"promise-missed:{promise.id}")


def remind_promise(promise: Promise) -> None:
    """Remind the agent an hour before their promise falls due (their supervisor if away)."""
    promise.reminded_at = hours.now()
    agent = promise.agent
    on_duty = agent.is_enabled and not agent.is_away
    _event(promise.ticket, "promise_reminder", None, promise_id=promise.id,
           to=agent.name if on_duty else "supervisor (agent away)")
    _alert_staff(agent if on_duty else _supervisor(promise.ticket), "promise_reminder",
                 promise.ticket, promise=promise, dedupe_key=f"promise-reminder:{promise.id}")


def follow_up(ticket: Ticket) -> None:
    """Carry out the ticket's due follow-up step, record it, and plan the next one."""
    step = ticket.follow_up_step
    done = list(ticket.follow_ups_done or [])
    key = f"fu:{ticket.id}:{step.value}:{len(done)}:{ticket.status_changed_at:%Y%m%d%H%M%S}"
    ticket.follow_ups_done = done + [step.value]
    _event(ticket, "follow_up", None, step=step.value)
    FOLLOW_UPS[step](ticket, key)
    _replan(ticket, hours.now())


def _supervisor(ticket: Ticket) -> User:
    supervisor = ticket.department.supervisor
    if supervisor is None or not supervisor.is_enabled:
        supervisor = db.session.scalar(select(User).where(
            User.role.in_([Role.SUPERVISOR, Role.ADMIN]), User.is_enabled).order_by(User.id))
    return supervisor


def _hand_over_if_absent(ticket: Ticket) -> None:
    """An away, disabled or missing assignee hands the ticket to the agent on duty with least
    work; with nobody on duty it stays put and the supervisor hears of it."""
    current = ticket.assignee
    if current is not None and current.is_enabled and not current.is_away:
        return
    successor = routing.pick_assignee(ticket.department)
    if successor is not None and successor != current:
        _set_assignee(ticket, successor, by=None, now=hours.now())


def _remind_assignee(ticket: Ticket, key: str) -> None:
    _hand_over_if_absent(ticket)
    agent = ticket.assignee
    on_duty = agent is not None and agent.is_enabled and not agent.is_away
    _alert_staff(agent if on_duty else _supervisor(ticket),
                 "first_response_reminder", ticket, dedupe_key=key)


def _alert_breach(what: str):
    def alert(ticket: Ticket, key: str) -> None:
        _hand_over_if_absent(ticket)
        _alert_staff(_supervisor(ticket), "breach", ticket, what=what, dedupe_key=key)

    return alert


def _alert_staff(user: User | None, kind: str, ticket: Ticket, **context) -> None:
    if user is None:
        _event(ticket, "nobody_to_alert", None, alert=kind)
        return
    notify.staff(user, kind, ticket, **context)


def _ask_satisfaction(ticket: Ticket, key: str) -> None:
    ticket.satisfaction_asked_at = hours.now()
    notify.customer(ticket, "satisfaction", proactive=True,
                    dedupe_key=f"satisfaction:{ticket.id}")


def _chase(kind: str):
    def chase(ticket: Ticket, key: str) -> None:
        notify.customer(ticket, kind, proactive=True, dedupe_key=key)

    return chase


def _close_with(reason: str, message: str | None):
    def close_ticket(ticket: Ticket, key: str) -> None:
        close(ticket, reason=reason, message=message, proactive=True)

    return close_ticket


FOLLOW_UPS = {
    FollowUpStep.FIRST_RESPONSE_REMINDER: _remind_assignee,
    FollowUpStep.FIRST_RESPONSE_BREACH: _alert_breach("first response"),
    FollowUpStep.RESOLUTION_BREACH: _alert_breach("resolution"),
    FollowUpStep.PENDING_REMINDER: _chase("pending_reminder"),
    FollowUpStep.PENDING_CLOSE: _close_with("no answer from the customer", "closed_no_reply"),
    FollowUpStep.CONFIRM_REMINDER: _chase("confirm_reminder"),
    FollowUpStep.CONFIRM_CLOSE: _close_with("no answer after the fix", "closed_silence"),
    FollowUpStep.AUTO_CLOSE: _close_with("resolved, no further word", None),
    FollowUpStep.SATISFACTION: _ask_satisfaction,
    FollowUpStep.FIX_CHECK: _chase("fix_check"),
}


def record_satisfaction(ticket: Ticket, score: int, comment: str = "") -> None:
    if not 1 <= score <= 5:
        raise TransitionError("a rating is a number from 1 to 5")
    if ticket.satisfaction_score is not None:
        raise TransitionError("this ticket has already been rated")
    ticket.satisfaction_score = score
    ticket.satisfaction_comment = comment.strip()[:2000] or None
    _event(ticket, "rated", None, score=score)


def record_fix_check(ticket: Ticket, *, held: bool) -> None:
    """The customer's answer to "did the fix hold?": a "no" reopens it with high priority."""
    _event(ticket, "fix_check_answer", None, held=held)
    if not held:
        reopen(ticket, reason="the fix did not hold", priority=Priority.HIGH)


def set_product(ticket: Ticket, *, by: User | None, product: str, serial_number: str,
                purchase_date) -> None:
    ticket.product = product.strip()[:120] or None
    ticket.serial_number = serial_number.strip()[:80] or None
    ticket.purchase_date = purchase_date
    _event(ticket, "product", by, product=ticket.product, serial=ticket.serial_number)


# -- internals ----------------------------------------------------------------------------------

def _move(ticket: Ticket, status: Status, *, by: User | None, **data) -> None:
    if status not in NEXT[ticket.status]:
        raise TransitionError(f"{ticket.reference} cannot go from {ticket.status.label} "
                              f"to {status.label}")
    now = hours.now()
    _event(ticket, "status", by, old=ticket.status.value, new=status.value,
           **{k: v for k, v in data.items() if v})
    was_pending = ticket.status == Status.PENDING_CUSTOMER
    ticket.status = status
    ticket.status_changed_at = now
    ticket.follow_ups_done = []
    if status == Status.PENDING_CUSTOMER:
        charter.pause_clock(ticket, now)
    elif was_pending:
        charter.resume_clock(ticket, now)
    charter.refresh_due(ticket)
    _replan(ticket, now)


def _replan(ticket: Ticket, now: datetime) -> None:
    calendar = charter.calendar_for(ticket.department)
    step, at = followup.plan(ticket, now, calendar, ticket.department.setting)
    ticket.follow_up_step, ticket.next_follow_up_at = step, at
    _touch(ticket)


def _set_assignee(ticket: Ticket, assignee: User | None, *, by: User | None, now) -> None:
    _event(ticket, "assigned", by, old=ticket.assignee.name if ticket.assignee else None,
           new=assignee.name if assignee else None)
    ticket.assignee = assignee
    ticket.assigned_at = now if assignee else None
    if assignee is not None:
        assignee.last_assigned_at = now
    _touch(ticket)


def _add_message(ticket, direction, channel, body, *, html="", full_text="", external_id=None,
                 attachments=(), author=None, internal=False, is_automated=False) -> Message:
    message = Message(ticket=ticket, direction=direction, channel=channel, body=body or "",
                      html=html or "", full_text=full_text or "", external_id=external_id,
                      author=author, is_internal=internal, is_automated=is_automated,
                      created_at=hours.now())
    for item in attachments:
        message.attachments.append(Attachment(**item))
    db.session.add(message)
    _touch(ticket)
    return message


def _settle_open_promises(ticket: Ticket, status: PromiseStatus) -> None:
    for promise in ticket.promises:
        if promise.status == PromiseStatus.OPEN:
            promise.status, promise.settled_at = status, hours.now()


def _event(ticket: Ticket, kind: str, by: User | None, **data) -> Event:
    event = Event(ticket=ticket, customer_id=ticket.customer_id, actor=by, kind=kind,
                  data={k: v for k, v in data.items() if v is not None}, created_at=hours.now())
    db.session.add(event)
    return event


def _unused_reference() -> str:
    """A fresh reference; the unique constraint still guards the rare race between two."""
    for _ in range(20):
        reference = new_reference()
        if db.session.scalar(select(Ticket.id).where(Ticket.reference == reference)) is None:
            return reference
    raise RuntimeError("could not find an unused ticket reference")


def _touch(ticket: Ticket) -> None:
    ticket.updated_at = hours.now()


def _require_text(text: str, what: str) -> None:
    if not (text or "").strip():
        raise TransitionError(f"the {what} is empty")
