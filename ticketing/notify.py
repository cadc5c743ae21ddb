"""The only creator of Outbox rows: who is told what, in which language and on which channel.

Honours SMS opt-out, quiet hours for what we send on our own initiative, and a cap on
automatic messages per address per hour (the last guard against mail loops).
"""

import logging
from datetime import timedelta
from email.utils import make_msgid, parseaddr

from flask import current_app
from sqlalchemy import func, select, update

from ticketing import charter, hours, wording
from ticketing.extensions import db
from ticketing.models import Customer, Outbox, Ticket, User
from ticketing.models.enums import Channel, OutboxStatus, Priority
from ticketing.models.people import DEFAULT_POLICY
from ticketing.queues import DELIVER, enqueue_after_commit

log = logging.getLogger(__name__)
UPDATE_KINDS = ("assigned", "waiting", "resolved", "confirm_fix", "closed", "reopened")
COMBINED = "updates"  # the template that says several status changes at once


def channel_for(customer: Customer, ticket: Ticket | None = None) -> Channel | None:
    """SMS when they wrote by SMS or prefer it, else email, else SMS; None when unreachable."""
    can_sms = bool(customer.phone) and not customer.sms_opted_out
    wants_sms = customer.preferred_channel == Channel.SMS or (
        ticket is not None and ticket.channel == Channel.SMS
    )
    if can_sms and (wants_sms or not customer.email):
        return Channel.SMS
    if customer.email:
        return Channel.EMAIL
    return None


def customer(
    ticket: Ticket,
    kind: str,
    *,
    proactive: bool = False,
    automatic: bool = True,
    update: bool = False,
    dedupe_key: str | None = None,
    **context,
) -> Outbox:
    """Owe the ticket's customer one message rendered from templates/messages/<lang>/<kind>.

    `proactive`: sent on our own initiative, so held through quiet hours unless urgent.
    `update`: a status change nobody is waiting for: proactive, and also held a few minutes so
    that several changes in a row reach the customer as one message.
    """
    person = ticket.customer
    channel = channel_for(person, ticket)
    if channel is None:
        return _suppressed(ticket, kind, person, "no reachable channel (SMS opted out, no email)")
    if update and (folded := _fold_into_held_update(ticket, channel, kind)) is not None:
        return folded
    row = _row(
        channel,
        kind,
        _address(person, channel),
        ticket=ticket,
        customer=person,
        language=person.language.value,
        automatic=automatic,
        dedupe_key=dedupe_key,
        context=context,
    )
    if channel == Channel.EMAIL and not automatic and ticket.cc_emails:
        row.cc = list(ticket.cc_emails)  # people's own words reach everyone on the thread
    if (proactive or update) and row.status != OutboxStatus.SUPPRESSED:  # None until flushed
        row.not_before = _hold_until(ticket, update)
        if update:
            row.combines = [kind]
    return _owe(row)


def direct(person: Customer, kind: str, **context) -> Outbox:
    """Answer an SMS keyword (HELP, STATUS, START) on SMS at once, outside any ticket."""
    row = _row(
        Channel.SMS,
        kind,
        person.phone,
        customer=person,
        language=person.language.value,
        context=context,
    )
    return _owe(row)


def staff(
    user: User, kind: str, ticket: Ticket | None = None, *, dedupe_key: str | None = None, **context
) -> Outbox:
    """Owe a member of staff an alert by email (reminders, breaches, missed promises)."""
    row = _row(
        Channel.EMAIL,
        kind,
        user.email,
        ticket=ticket,
        user=user,
        language="staff",
        automatic=True,
        dedupe_key=dedupe_key,
        context=context | {"staff": user},
    )
    return _owe(row)


def _address(person: Customer, channel: Channel) -> str:
    return person.phone if channel == Channel.SMS else person.email


def _row(
    channel,
    kind,
    recipient,
    *,
    ticket=None,
    customer=None,
    user=None,
    language="en",
    automatic=True,
    dedupe_key=None,
    context=None,
) -> Outbox:
    subject, body, html = wording.render(
        kind, language, channel, _context(ticket, customer, context)
    )
    row = Outbox(
        channel=channel,
        kind=kind,
        recipient=recipient,
        subject=subject,
        body=body,
        html=html,
        ticket=ticket,
        customer_id=customer.id if customer else None,
        user_id=user.id if user else None,
        is_automatic=automatic,
        dedupe_key=dedupe_key,
    )
    if channel == Channel.EMAIL:
        row.message_id = make_msgid(domain=mail_domain())
        row.in_reply_to = " ".join(thread_references(ticket)) if ticket else None
    # The cap guards against loops with outside auto-responders; staff alerts are never dropped.
    if automatic and user is None and over_hourly_cap(recipient):
        row.status, row.last_error = OutboxStatus.SUPPRESSED, "automatic message cap reached"
    return row


def _context(ticket: Ticket | None, customer: Customer | None, extra: dict | None) -> dict:
    policy = DEFAULT_POLICY | ((ticket.department.policy or {}) if ticket else {})
    return {
        "ticket": ticket,
        "customer": customer,
        "link": status_link(ticket),
        "policy": policy,
        "base_url": current_app.config["PUBLIC_BASE_URL"],
    } | (extra or {})


def _suppressed(ticket: Ticket, kind: str, person: Customer, reason: str) -> Outbox:
    row = Outbox(
        channel=Channel.SMS,
        kind=kind,
        recipient=person.phone or person.email or "-",
        body="",
        ticket=ticket,
        customer_id=person.id,
        status=OutboxStatus.SUPPRESSED,
        last_error=reason,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _owe(row: Outbox) -> Outbox:
    db.session.add(row)
    db.session.flush()
    if row.status == OutboxStatus.PENDING and row.not_before is None:
        enqueue_after_commit(DELIVER, row.id)
    return row


def _quiet_until(ticket: Ticket, moment):
    department = ticket.department
    calendar = charter.calendar_for(department)
    return calendar.quiet_until(
        moment,
        hours.parse_hhmm(department.setting("quiet_start")),
        hours.parse_hhmm(department.setting("quiet_end")),
    )


def _hold_until(ticket: Ticket, update: bool):
    """When a proactive message may go, None for now: a status update waits out the combining
    window, and then anything proactive waits out quiet hours unless the ticket is urgent."""
    minutes = ticket.department.setting("update_combine_minutes") if update else 0
    earliest = hours.now() + timedelta(minutes=minutes)
    if ticket.priority != Priority.URGENT and (quiet := _quiet_until(ticket, earliest)):
        return quiet
    return earliest if minutes > 0 else None


def _fold_into_held_update(ticket: Ticket, channel: Channel, kind: str) -> Outbox | None:
    """Merge a status update into one still held for the ticket; None when there is none.

    The conditional UPDATE loses to a worker that has claimed the row: then a new row is owed.
    """
    held = db.session.scalar(
        select(Outbox)
        .where(
            Outbox.ticket_id == ticket.id,
            Outbox.channel == channel,
            Outbox.kind.in_(UPDATE_KINDS + (COMBINED,)),
            Outbox.status == OutboxStatus.PENDING,
            Outbox.claimed_at.is_(None),
            Outbox.not_before > hours.now(),
        )
        .order_by(Outbox.id.desc())
    )
    if held is None:
        return None
    kinds = [k for k in (held.combines or [held.kind]) if k != kind] + [kind]
    person = ticket.customer
    subject, body, html = wording.render(
        COMBINED, person.language.value, channel, _context(ticket, person, {"kinds": kinds})
    )
    folded = db.session.execute(
        update(Outbox)
        .where(
            Outbox.id == held.id, Outbox.status == OutboxStatus.PENDING, Outbox.claimed_at.is_(None)
        )
        .values(kind=COMBINED, combines=kinds, subject=subject, body=body, html=html)
        .execution_options(synchronize_session=False)
    ).rowcount
    if folded != 1:
        return None
    db.session.refresh(held)
    return held


def over_hourly_cap(recipient: str) -> bool:
    since = hours.now() - timedelta(hours=1)
    count = db.session.scalar(
        select(func.count(Outbox.id)).where(
            Outbox.recipient == recipient,
            Outbox.is_automatic,
            Outbox.created_at >= since,
            Outbox.status != OutboxStatus.SUPPRESSED,
        )
    )
    return count >= current_app.config["AUTO_MESSAGES_PER_HOUR"]


def status_link(ticket: Ticket | None) -> str:
    if ticket is None:
        return current_app.config["PUBLIC_BASE_URL"]
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{ticket.token}"


def mail_domain() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "fuatilia.local"


def thread_references(ticket: Ticket) -> list[str]:
    """Message-IDs of the ticket's email thread, oldest first, for In-Reply-To/References."""
    ours = db.session.execute(
        select(Outbox.created_at, Outbox.message_id).where(
            Outbox.ticket_id == ticket.id,
            Outbox.message_id.is_not(None),
            Outbox.recipient == (ticket.customer.email or ""),
        )
    ).all()
    theirs = [
        (m.created_at, m.external_id)
        for m in ticket.messages
        if m.channel == Channel.EMAIL and m.external_id and m.direction == "inbound"
    ]
    return [ref for _, ref in sorted(list(ours) + theirs)][-20:]
