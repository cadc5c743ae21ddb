"""The only creator of Outbox rows: who is told what, in which language and on which channel.

Honours SMS opt-out, quiet hours for what we send on our own initiative, and a cap on
automatic messages per address per hour (the last guard against mail loops).
"""

from datetime import timedelta
from email.utils import make_msgid, parseaddr

from flask import current_app
from sqlalchemy import func, select

from ticketing import charter, hours
from ticketing.extensions import db
from ticketing.models import Customer, Outbox, Ticket, User
from ticketing.models.enums import Channel, OutboxStatus
from ticketing.queues import OUTBOUND, enqueue_after_commit

DELIVER = "workers.deliver.deliver"


def channel_for(customer: Customer, ticket: Ticket | None = None) -> Channel | None:
    """SMS when they wrote by SMS or prefer it, else email, else SMS; None when unreachable."""
    can_sms = bool(customer.phone) and not customer.sms_opted_out
    wants_sms = customer.preferred_channel == Channel.SMS or (
        ticket is not None and ticket.channel == Channel.SMS)
    if can_sms and (wants_sms or not customer.email):
        return Channel.SMS
    if customer.email:
        return Channel.EMAIL
    return None


def customer(ticket: Ticket, kind: str, *, proactive: bool = False, automatic: bool = True,
             dedupe_key: str | None = None, **context) -> Outbox:
    """Owe the ticket's customer one message rendered from templates/messages/<lang>/<kind>."""
    person = ticket.customer
    channel = channel_for(person, ticket)
    if channel is None:
        return _suppressed(ticket, kind, person, "no reachable channel (SMS opted out, no email)")
    row = _row(channel, kind, _address(person, channel), ticket=ticket, customer=person,
               language=person.language.value, automatic=automatic, dedupe_key=dedupe_key,
               context=context)
    if proactive and row.status == OutboxStatus.PENDING:
        row.not_before = _quiet_until(ticket)
    return _owe(row)


def direct(person: Customer, kind: str, **context) -> Outbox:
    """Answer an SMS keyword (HELP, STATUS, START) on SMS at once, outside any ticket."""
    row = _row(Channel.SMS, kind, person.phone, customer=person, language=person.language.value,
               context=context)
    return _owe(row)


def staff(user: User, kind: str, ticket: Ticket | None = None, *,
          dedupe_key: str | None = None, **context) -> Outbox:
    """Owe a member of staff an alert by email (reminders, breaches, missed promises)."""
    row = _row(Channel.EMAIL, kind, user.email, ticket=ticket, user=user, language="staff",
               automatic=True, dedupe_key=dedupe_key, context=context | {"staff": user})
    return _owe(row)


def _address(person: Customer, channel: Channel) -> str:
    return person.phone if channel == Channel.SMS else person.email


def _row(channel, kind, recipient, *, ticket=None, customer=None, user=None, language="en",
         automatic=True, dedupe_key=None, context=None) -> Outbox:
    context = {"ticket": ticket, "customer": customer, "link": status_link(ticket),
               "base_url": current_app.config["PUBLIC_BASE_URL"]} | (context or {})
    subject, body, html = render(kind, language, channel, context)
    row = Outbox(channel=channel, kind=kind, recipient=recipient, subject=subject, body=body,
                 html=html, ticket=ticket, customer_id=customer.id if customer else None,
                 user_id=user.id if user else None, is_automatic=automatic,
                 dedupe_key=dedupe_key)
    if channel == Channel.EMAIL:
        row.message_id = make_msgid(domain=mail_domain())
        row.in_reply_to = " ".join(thread_references(ticket)) if ticket else None
    if automatic and over_hourly_cap(recipient):
        row.status, row.last_error = OutboxStatus.SUPPRESSED, "automatic message cap reached"
    return row


def _suppressed(ticket: Ticket, kind: str, person: Customer, reason: str) -> Outbox:
    row = Outbox(channel=Channel.SMS, kind=kind, recipient=person.phone or person.email or "-",
                 body="", ticket=ticket, customer_id=person.id, status=OutboxStatus.SUPPRESSED,
                 last_error=reason)
    db.session.add(row)
    db.session.flush()
    return row


def _owe(row: Outbox) -> Outbox:
    db.session.add(row)
    db.session.flush()
    if row.status == OutboxStatus.PENDING and row.not_before is None:
        enqueue_after_commit(DELIVER, row.id, job_id=f"outbox-{row.id}", queue=OUTBOUND)
    return row


def _quiet_until(ticket: Ticket):
    department = ticket.department
    calendar = charter.calendar_for(department)
    return calendar.quiet_until(hours.now(), hours.parse_hhmm(department.setting("quiet_start")),
                                hours.parse_hhmm(department.setting("quiet_end")))


def over_hourly_cap(recipient: str) -> bool:
    since = hours.now() - timedelta(hours=1)
    count = db.session.scalar(
        select(func.count(Outbox.id)).where(Outbox.recipient == recipient, Outbox.is_automatic,
                                           Outbox.created_at >= since,
                                           Outbox.status != OutboxStatus.SUPPRESSED))
    return count >= current_app.config["AUTO_MESSAGES_PER_HOUR"]


def render(kind: str, language: str, channel: Channel, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) from templates/messages/<language>/<kind>.<channel>.*"""
    env = current_app.jinja_env
    base = f"messages/{language}/{kind}"
    if channel == Channel.SMS:
        return "", env.get_template(f"{base}.sms.txt").render(context).strip(), ""
    text_template = env.get_template(f"{base}.email.txt")
    ctx = text_template.new_context(context)
    subject = "".join(text_template.blocks["subject"](ctx)).strip()
    body = "".join(text_template.blocks["body"](ctx)).strip()
    html = env.get_template("messages/email_layout.html").render(context | {"text": body})
    return subject, body, html


def status_link(ticket: Ticket | None) -> str:
    if ticket is None:
        return current_app.config["PUBLIC_BASE_URL"]
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{ticket.token}"


def mail_domain() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "fuatilia.local"


def thread_references(ticket: Ticket) -> list[str]:
    """Message-IDs of the ticket's email thread, oldest first, for In-Reply-To/References."""
    ours = db.session.execute(select(Outbox.created_at, Outbox.message_id).where(
        Outbox.ticket_id == ticket.id, Outbox.message_id.is_not(None),
        Outbox.recipient == (ticket.customer.email or ""))).all()
    theirs = [(m.created_at, m.external_id) for m in ticket.messages
              if m.channel == Channel.EMAIL and m.external_id and m.direction == "inbound"]
    return [ref for _, ref in sorted(list(ours) + theirs)][-20:]
