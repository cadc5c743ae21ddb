"""Turns a normalised Inbound (or a /support form submission) into the right ticket action.

Dedupe is the database's job (unique external ids); here: keywords (STOP/START/HELP/STATUS,
confirmations and ratings), finding or creating the customer, threading, and routing.
"""

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, select

from ticketing import answers, customers, events, fresh, hours, lifecycle, lines, notify, outbox
from ticketing.channels import Inbound, web
from ticketing.extensions import db
from ticketing.models import Customer, Message, Ticket
from ticketing.models.enums import (
    ACTIVE_STATUSES,
    PHONE_CHANNELS,
    Category,
    Channel,
    Outcome,
    Status,
)

OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN = {"START", "YES", "UNSTOP"}
HELP = {"HELP", "INFO"}
REFERENCE = re.compile(r"\bFT-?([2-9A-HJKMNP-TV-Z]{5})\b", re.IGNORECASE)


def keyword(text: str) -> str:
    """The message as a keyword: upper case, without surrounding spaces and punctuation."""
    return re.sub(r"^[\W_]+|[\W_]+$", "", text or "").upper()


def receive(inbound: Inbound) -> Ticket | None:
    """File one inbound message; returns the ticket it went to, None for keyword-only texts."""
    if inbound.channel in PHONE_CHANNELS and not inbound.text and not inbound.attachments:
        return None  # an empty SMS says nothing to answer; its raw row is kept, ignored
    if inbound.bounce is not None:
        return _bounced(inbound.bounce)
    if inbound.is_automated and customers.find(**customers.contact(inbound)) is None:
        return None  # automated mail from a stranger threads nowhere and opens nothing
    customer = customers.for_inbound(inbound)
    word = keyword(inbound.text)
    if inbound.channel in PHONE_CHANNELS:
        handled = _sms_keyword(customer, word, inbound)
        if handled is not False:
            return handled
    ticket = thread(customer, inbound)
    is_theirs = ticket is not None and ticket.customer_id == customer.id
    if is_theirs and answers.answer_by_text(  # a CC does not rate or confirm
        ticket,
        word,
        text=inbound.text,
        channel=inbound.channel,
        external_id=inbound.external_id or None,
    ):
        return ticket
    ticket = file_message(customer, inbound, ticket)
    if ticket is not None and inbound.notes:
        events.record(ticket, "inbound_notes", notes="; ".join(inbound.notes))
    return ticket


def open_from_form(form: web.Submission) -> Ticket:
    """The /support form's ticket, filed at once by the view or later from the spool: the
    customer by the form's rule, the ticket routed, timed and acknowledged on their channel.
    A spooled one whose first commit did happen (the answer was lost) is not filed twice."""
    if form.spooled_at:
        filed = db.session.scalar(
            select(Message.ticket_id).where(
                Message.channel == Channel.WEB, Message.external_id == form.key
            )
        )
        if filed is not None:
            return db.session.get(Ticket, filed)
    customer = customers.from_form(
        name=form.name, email=form.email, phone=form.phone, language=form.language
    )
    ticket = lifecycle.open_ticket(
        customer,
        subject=form.subject,
        body=form.description,
        channel=Channel.WEB,
        category=form.category,
        external_id=form.key,
        attachments=list(form.attachments),
    )
    if form.spooled_at:
        events.record(ticket, "spooled", sent_at_utc=form.spooled_at, client=form.client or None)
    return ticket


def thread(customer: Customer, inbound: Inbound) -> Ticket | None:
    """The ticket this message continues: by email references or a ticket reference, when the
    sender is on that ticket (its customer or a CC); else the sender's most recent SMS ticket
    still in progress (or closed within the reopen window)."""
    ticket = _by_references(inbound.thread_refs) if inbound.thread_refs else None
    if ticket is not None and _is_on(ticket, customer, inbound):
        return _follow_merges(ticket)
    for match in REFERENCE.finditer(f"{inbound.subject} {inbound.text}"):
        ticket = db.session.scalar(
            select(Ticket).where(Ticket.reference == f"FT-{match.group(1).upper()}")
        )
        if ticket is not None and _is_on(ticket, customer, inbound):
            return _follow_merges(ticket)
    if inbound.channel not in PHONE_CHANNELS or fresh.is_fresh(customer):
        return None  # a new email subject without a reference, or a new sender: a new request
    mine = select(Ticket).where(Ticket.customer_id == customer.id, Ticket.merged_into_id.is_(None))
    newest = (Ticket.updated_at.desc(), Ticket.id.desc())
    in_progress_first = case((Ticket.status.in_(ACTIVE_STATUSES), 0), else_=1)
    return db.session.scalar(mine.order_by(in_progress_first, *newest).limit(1))


def _is_on(ticket: Ticket, customer: Customer, inbound: Inbound) -> bool:
    """A stranger who learns a reference or a Message-ID cannot write on someone's ticket."""
    return any(
        t.customer_id == customer.id or inbound.sender in (t.cc_emails or [])
        for t in (ticket, _follow_merges(ticket))
    )


def file_message(customer: Customer, inbound: Inbound, ticket: Ticket | None) -> Ticket | None:
    """Add to the threaded ticket (reopening it within the window) or open a new one."""
    fields = {
        "body": inbound.text,
        "html": inbound.html,
        "full_text": inbound.full_text,
        "external_id": inbound.external_id or None,
        "attachments": inbound.attachments,
        "cc": inbound.cc,
        "line": inbound.line or None,
        "link_id": inbound.link_id or None,
    }
    if ticket is not None and ticket.status == Status.CLOSED:
        if inbound.is_automated or not _within_reopen_window(ticket):
            previous, ticket = ticket, None
        else:
            lifecycle.reopen(
                ticket,
                outcome=Outcome.REOPENED_CUSTOMER_WROTE,
                reason=f"customer wrote by {inbound.channel.value}",
            )
    else:
        previous = None
    if ticket is not None:
        sender = inbound.sender if ticket.customer_id != customer.id else None
        lifecycle.add_customer_message(
            ticket,
            channel=inbound.channel,
            sender=sender,
            is_automated=inbound.is_automated,
            **fields,
        )
        return ticket
    if inbound.is_automated:
        return None  # an auto-reply that threads nowhere opens nothing
    ticket = lifecycle.open_ticket(
        customer,
        subject=inbound.subject or inbound.text,
        channel=inbound.channel,
        category=guess_category(inbound.text),
        previous=previous,
        **fields,
    )
    _note_mentions(ticket, inbound)
    return ticket


def _note_mentions(ticket: Ticket, inbound: Inbound) -> None:
    """References to tickets the sender is not on: agents see the link, the sender nothing."""
    named = {
        f"FT-{m.group(1).upper()}" for m in REFERENCE.finditer(f"{inbound.subject} {inbound.text}")
    }
    if not named:
        return
    found = db.session.scalars(
        select(Ticket.reference).where(
            Ticket.reference.in_(sorted(named)[:10]), Ticket.id != ticket.id
        )
    ).all()
    if found:
        events.record(ticket, "mentions", references=", ".join(sorted(found)))


def guess_category(text: str) -> Category:
    lowered = (text or "").lower()
    if re.search(
        r"\b(repair|broken|not working|fault|warranty|fridge|friji|haipoi|imeharibika)", lowered
    ):
        return Category.AFTER_SALE
    if re.search(r"\b(charged|refund|invoice|bill|m-?pesa|payment|nimelipa)", lowered):
        return Category.BILLING
    if re.search(r"\b(deliver|order|parcel)", lowered):
        return Category.DELIVERY
    return Category.GENERAL


def _bounced(report) -> Ticket | None:
    """A bounce for mail we sent: its row failed, and a bounced reply is no answer."""
    row = outbox.record_bounce(report)
    if row is None:
        return None
    if report.is_permanent:
        lifecycle.reply_refused(row)
    return row.ticket


def _sms_keyword(customer: Customer, word: str, inbound: Inbound):
    """Handle STOP/START/HELP/STATUS, each for the line it was sent to (a STOP to one number
    leaves the others speaking); False when the text is not a keyword."""
    line = inbound.line or lines.configured(inbound.channel)
    source = f"{inbound.channel.value.upper()} {word}"
    if word in OPT_OUT:
        customers.set_sms_opt_out(customer, True, line=line, source=source)
        return None
    if word in OPT_IN:
        customers.set_sms_opt_out(customer, False, line=line, source=source)
        notify.direct(customer, "opted_in", line=line)
        return None
    if word in HELP:
        notify.direct(customer, "help", line=line)
        return None
    if word == "STATUS" or word.startswith("STATUS "):
        tickets = _status_tickets(customer, inbound.text)
        notify.direct(customer, "status", line=line, tickets=tickets)
        return None
    return False


def _status_tickets(customer: Customer, text: str) -> list[Ticket]:
    query = select(Ticket).where(Ticket.customer_id == customer.id)
    match = REFERENCE.search(text)
    if match:
        query = query.where(Ticket.reference == f"FT-{match.group(1).upper()}")
    else:
        query = query.where(Ticket.status.in_(ACTIVE_STATUSES))
    return list(db.session.scalars(query.order_by(Ticket.updated_at.desc()).limit(3)))


def _by_references(refs) -> Ticket | None:
    from ticketing.models import Outbox

    refs = [ref for ref in refs if ref][:50]
    ticket_id = db.session.scalar(
        select(Outbox.ticket_id).where(Outbox.message_id.in_(refs), Outbox.ticket_id.is_not(None))
    )
    if ticket_id is None:
        ticket_id = db.session.scalar(
            select(Message.ticket_id).where(
                Message.channel == Channel.EMAIL, Message.external_id.in_(refs)
            )
        )
    return db.session.get(Ticket, ticket_id) if ticket_id else None


def _follow_merges(ticket: Ticket) -> Ticket:
    for _ in range(10):
        if ticket.merged_into is None:
            break
        ticket = ticket.merged_into
    return ticket


def _within_reopen_window(ticket: Ticket) -> bool:
    window = timedelta(days=current_app.config["REOPEN_WINDOW_DAYS"])
    return ticket.closed_at is not None and hours.now() - ticket.closed_at <= window
