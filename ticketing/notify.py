"""The only creator of Outbox rows: who is told what, in which language and on which channel.

Two kinds of message, and the guards differ:

- An *answer* to what the customer just sent (the "received" acknowledgment, the STATUS,
  HELP and START answers, the confirmation after "1", the reopen notice her message caused,
  an agent's reply, the thanks for a rating) goes at once and is never dropped for volume:
  she is waiting for it.
- What we send on our own initiative (`proactive=True`: reminders, chases, surveys,
  check-ins; `update=True`: status updates nobody is waiting for) waits out quiet hours,
  whatever the ticket's priority, and counts against AUTO_MESSAGES_PER_HOUR per address.

Loops with outside auto-responders are stopped where they start: intake recognises automated
senders and answers nothing they send, and `loop_guard.guard` drops the same automatic message
(same kind) owed to one address a third time within REPEAT_WINDOW. Whatever is suppressed keeps
its reason on the row, and the ticket page shows it to the agent with a way to reach the customer.
A held status update is rewritten at send time by ticketing/updates.py.
"""

import logging
from datetime import timedelta
from email.utils import make_msgid, parseaddr

from flask import current_app
from sqlalchemy import select, update

from ticketing import charter, customers, fresh, hours, lines, wording
from ticketing.extensions import db
from ticketing.loop_guard import guard
from ticketing.models import Customer, Outbox, Ticket, User
from ticketing.models.enums import PHONE_CHANNELS, Channel, OutboxStatus
from ticketing.models.people import DEFAULT_POLICY
from ticketing.queues import DELIVER, enqueue_after_commit

log = logging.getLogger(__name__)
# Where a customer who wrote (or prefers) one of these is answered by SMS: a USSD session, a
# phone call or a visit to the desk has no thread of its own to answer on.
PHONE_FIRST = (Channel.SMS, Channel.USSD, Channel.PHONE, Channel.WALK_IN)
UPDATE_KINDS = ("assigned", "waiting", "resolved", "confirm_fix", "closed", "reopened")
COMBINED = "updates"  # rows folded before updates were re-rendered at send time carry it


def channel_for(customer: Customer, ticket: Ticket | None = None) -> Channel | None:
    """WhatsApp when they wrote or prefer it and we have a WhatsApp line; SMS when they wrote
    by SMS (or USSD, or a call) or prefer it, else email, else SMS; None when unreachable.
    A line the customer told STOP is not used, so the next channel down is tried."""
    wrote_by = ticket.channel if ticket is not None else None
    wants_whatsapp = Channel.WHATSAPP in (customer.preferred_channel, wrote_by)
    if wants_whatsapp and _reachable_on(customer, ticket, Channel.WHATSAPP):
        return Channel.WHATSAPP
    wants_sms = customer.preferred_channel in PHONE_FIRST or wrote_by in PHONE_FIRST
    if (wants_sms or not customer.email) and _reachable_on(customer, ticket, Channel.SMS):
        return Channel.SMS
    if customer.email:
        return Channel.EMAIL
    return None


def _reachable_on(customer: Customer, ticket: Ticket | None, channel: Channel) -> bool:
    if not customer.phone:
        return False
    line = lines.reply_line(ticket, channel)
    return line is not None and not customers.is_opted_out(customer, line)


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

    Without `proactive` or `update` it is an answer to what the customer just did: it goes at
    once and no volume cap drops it (only the repetition guard, see `loop_guard.guard`).
    `proactive`: sent on our own initiative, so held through quiet hours whatever the priority,
    and subject to the hourly cap.
    `update`: a status change nobody is waiting for: proactive, and also held a few minutes;
    changes in a row fold into one row that tells only the latest state, re-rendered from the
    ticket just before delivery (`updates.refresh_held_update`).
    """
    person = ticket.customer
    channel = channel_for(person, ticket)
    if channel is None:
        return _suppressed(ticket, kind, person, "no reachable channel (SMS opted out, no email)")
    line = lines.reply_line(ticket, channel) if channel in PHONE_CHANNELS else None
    if update and (folded := _fold_into_held_update(ticket, channel, kind, context)) is not None:
        return folded
    row = _row(
        channel,
        kind,
        _address(person, channel),
        ticket=ticket,
        customer=person,
        language=person.language.value,
        automatic=automatic,
        capped=proactive or update,
        dedupe_key=dedupe_key,
        context=context,
        line=line,
    )
    if channel == Channel.EMAIL and not automatic and ticket.cc_emails:
        row.cc = list(ticket.cc_emails)  # people's own words reach everyone on the thread
    if (proactive or update) and row.status != OutboxStatus.SUPPRESSED:  # None until flushed
        row.not_before = _hold_until(ticket, update=update)
        if update:
            row.combines = [kind]
    return _owe(row)


def direct(person: Customer, kind: str, *, line: str | None, **context) -> Outbox:
    """Answer an SMS keyword (HELP, STATUS, START) at once, outside any ticket, from the line
    it was sent to and on its channel (SMS or WhatsApp); an answer, so never capped for
    volume (the repetition guard still applies)."""
    row = _row(
        lines.channel_of(line),
        kind,
        person.phone,
        customer=person,
        language=person.language.value,
        context=context,
        line=line,
    )
    return _owe(row)


def by_sms_instead(row: Outbox) -> Outbox | None:
    """Owe the words of a WhatsApp row that may not go on WhatsApp (outside its 24-hour
    window with no template: see ticketing/whatsapp.py) by SMS, from the ticket's SMS line;
    None when SMS cannot reach the customer (no phone or SMS line, or a STOP to that line).
    The same words: WhatsApp says what SMS says. Already past the guards as the WhatsApp row,
    so not guarded again; an answer stays one, and a held update is re-rendered as before."""
    line = sms_line_instead(row)
    if line is None:
        return None
    person = db.session.get(Customer, row.customer_id)
    sms = Outbox(
        channel=Channel.SMS,
        kind=row.kind,
        recipient=person.phone,
        subject=row.subject,
        body=row.body,
        ticket=row.ticket,
        customer_id=person.id,
        is_automatic=row.is_automatic,
        combines=row.combines,
        line=line,
    )
    return _owe(sms)


def sms_line_instead(row: Outbox) -> str | None:
    """The SMS line that may carry a WhatsApp row's words instead; None when SMS cannot reach
    the customer (no phone or SMS line, or a STOP to that line)."""
    person = db.session.get(Customer, row.customer_id) if row.customer_id else None
    line = lines.reply_line(row.ticket, Channel.SMS)
    if line is None or not lines.split(line)[1]:  # no SMS number configured: "twilio:"
        return None
    if person is None or not person.phone or customers.is_opted_out(person, line):
        return None
    return line


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


def channel_test(channel: Channel, recipient: str, *, line: str | None) -> Outbox:
    """Owe the test message an admin asked for on the channels screen: it goes through the
    outbox and the worker like any other, so its outcome is the channel's real one. An
    admin's own act, so no loop guard or hourly cap drops it (the screen's rate limit does)."""
    row = _row(channel, "channel_test", recipient, automatic=False, line=line)
    return _owe(row)


def _address(person: Customer, channel: Channel) -> str:
    return person.phone if channel in PHONE_CHANNELS else person.email


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
    capped=False,
    dedupe_key=None,
    context=None,
    line=None,
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
        line=line,
    )
    if channel == Channel.EMAIL:
        row.message_id = make_msgid(domain=mail_domain())
        row.in_reply_to = " ".join(thread_references(ticket)) if ticket else None
    # Staff alerts and people's own words are never dropped; answers only for repetition.
    if automatic and user is None:
        same_text = body if ticket is None else None
        if reason := guard(recipient, kind, same_text, capped=capped):
            row.status, row.last_error = OutboxStatus.SUPPRESSED, reason
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


def _hold_until(ticket: Ticket, *, update: bool):
    """When a proactive message may go, None for now: a status update waits out the combining
    window, and then anything proactive waits out quiet hours, whatever the priority (an
    urgent ticket's customer hears from a person, whose reply is never held)."""
    minutes = ticket.department.setting("update_combine_minutes") if update else 0
    earliest = hours.now() + timedelta(minutes=minutes)
    if quiet := _quiet_until(ticket, earliest):
        return quiet
    return earliest if minutes > 0 else None


def _fold_into_held_update(
    ticket: Ticket, channel: Channel, kind: str, context: dict
) -> Outbox | None:
    """Let a status update replace one still held for the ticket; None when there is none.

    The held row now says only the latest change (`combines` keeps the kinds it stood for);
    its words are rendered again from the ticket just before delivery. The conditional UPDATE
    loses to a worker that has claimed the row: then a new row is owed.
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
        kind, person.language.value, channel, _context(ticket, person, context)
    )
    folded = db.session.execute(
        update(Outbox)
        .where(
            Outbox.id == held.id, Outbox.status == OutboxStatus.PENDING, Outbox.claimed_at.is_(None)
        )
        .values(kind=kind, combines=kinds, subject=subject, body=body, html=html)
        .execution_options(synchronize_session=False)
    ).rowcount
    if folded != 1:
        return None
    db.session.refresh(held)
    return held


def status_link(ticket: Ticket | None) -> str:
    if ticket is None:
        return current_app.config["PUBLIC_BASE_URL"]
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{ticket.token}"


def mail_domain() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "fuatilia.local"


def thread_references(ticket: Ticket) -> list[str]:
    """Message-IDs of the ticket's email thread, oldest first, for In-Reply-To/References.
    A ticket opened by this transaction has all its mail in the session: no query."""
    recipient = ticket.customer.email or ""
    if fresh.is_fresh(ticket):
        ours = [
            (row.created_at, row.message_id)
            for row in db.session
            if isinstance(row, Outbox)
            and row.ticket is ticket
            and row.message_id
            and row.recipient == recipient
        ]
    else:
        ours = db.session.execute(
            select(Outbox.created_at, Outbox.message_id).where(
                Outbox.ticket_id == ticket.id,
                Outbox.message_id.is_not(None),
                Outbox.recipient == recipient,
            )
        ).all()
    theirs = [
        (m.created_at, m.external_id)
        for m in ticket.messages
        if m.channel == Channel.EMAIL and m.external_id and m.direction == "inbound"
    ]
    return [ref for _, ref in sorted(list(ours) + theirs)][-20:]
