"""Turns a normalised Inbound into the right ticket action.

Dedupe is the database's job (unique external ids); here: keywords (STOP/START/HELP/STATUS,
confirmations and ratings), finding or creating the customer, threading, and routing.
"""

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ticketing import customers, hours, lifecycle, notify
from ticketing.channels import Bounce, Inbound
from ticketing.channels import email as email_channel
from ticketing.extensions import db
from ticketing.models import Customer, Event, InboundRaw, Outbox, Ticket
from ticketing.models.enums import (
    Category,
    Channel,
    FollowUpStep,
    Language,
    OutboxStatus,
    Priority,
    Status,
)

OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN = {"START", "YES", "UNSTOP"}
HELP = {"HELP", "INFO"}
REFERENCE = re.compile(r"\bFT-?([2-9A-HJKMNP-TV-Z]{5})\b", re.IGNORECASE)
SWAHILI_HINTS = {"habari", "tafadhali", "yangu", "haipoi", "asante", "shida", "sijapata",
                 "nimelipa", "tatizo", "bado", "jana", "leo", "kwa", "ya", "na", "ni"}
WAITING = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED)


def keyword(text: str) -> str:
    """The message as a keyword: upper case, without surrounding spaces and punctuation."""
    return re.sub(r"^[\W_]+|[\W_]+$", "", text or "").upper()


def email_key(raw: bytes) -> str:
    """The key a raw email is stored under: its Message-ID, so that a second copy is a
    duplicate; but a different message reusing a stored Message-ID gets a key of its own."""
    key = email_channel.external_id(raw)
    if key.startswith("sha256:"):  # no Message-ID: the key is the content already
        return key
    stored = db.session.scalar(select(InboundRaw).where(InboundRaw.channel == Channel.EMAIL,
                                                        InboundRaw.external_id == key))
    if stored is None or email_channel.same_message(stored.payload, raw):
        return key
    return email_channel.variant_key(key, raw)


def receive(inbound: Inbound) -> Ticket | None:
    """File one inbound message; returns the ticket it went to, None for keyword-only texts."""
    if inbound.channel == Channel.SMS and not inbound.text and not inbound.attachments:
        return None  # an empty SMS says nothing to answer; its raw row is kept, ignored
    if inbound.bounce is not None:
        return record_bounce(inbound.bounce)
    if inbound.is_automated and find_customer(inbound) is None:
        return None  # automated mail from a stranger threads nowhere and opens nothing
    customer = find_or_create_customer(inbound)
    word = keyword(inbound.text)
    if inbound.channel == Channel.SMS:
        handled = _sms_keyword(customer, word, inbound.text)
        if handled is not False:
            return handled
    ticket = thread(customer, inbound)
    is_theirs = ticket is not None and ticket.customer_id == customer.id
    if is_theirs and _answer_question(ticket, word):  # a CC does not rate or confirm
        return ticket
    ticket = file_message(customer, inbound, ticket)
    if ticket is not None and inbound.notes:
        db.session.add(Event(ticket=ticket, customer_id=customer.id, kind="inbound_notes",
                             data={"notes": "; ".join(inbound.notes)}))
    return ticket


def record_bounce(report: Bounce) -> Ticket | None:
    """A delivery report on mail we sent: fail that Outbox row with the reason (a delay is
    only noted) and tell the ticket's agents. It opens nothing and is never answered."""
    if not report.message_id:
        return None  # a report that names no message of ours: kept raw, ignored
    row = db.session.scalar(select(Outbox).where(Outbox.message_id == report.message_id))
    if row is None:
        return None
    if report.is_permanent:
        row.status, row.error_code = OutboxStatus.FAILED, report.status or None
        row.last_error = f"bounced: {report.reason}"
    ticket = row.ticket
    if ticket is not None:
        db.session.add(Event(ticket=ticket, customer_id=ticket.customer_id,
                             kind="bounced" if report.is_permanent else "delivery_delayed",
                             data={"recipient": row.recipient, "reason": report.reason}))
    return ticket


def find_customer(inbound: Inbound) -> Customer | None:
    column = Customer.phone if inbound.channel == Channel.SMS else Customer.email
    return db.session.scalar(select(Customer).where(column == inbound.sender))


def find_or_create_customer(inbound: Inbound) -> Customer:
    customer = find_customer(inbound)
    if customer is None:
        customer = Customer(name=inbound.sender_name[:120], language=guess_language(inbound.text),
                            preferred_channel=inbound.channel)
        setattr(customer, "phone" if inbound.channel == Channel.SMS else "email", inbound.sender)
        db.session.add(customer)
        db.session.flush()
    return customer


def guess_language(text: str) -> Language:
    words = set(re.findall(r"[a-z]+", (text or "").lower()))
    return Language.SW if len(words & SWAHILI_HINTS) >= 2 else Language.EN


def thread(customer: Customer, inbound: Inbound) -> Ticket | None:
    """The ticket this message continues: by email references or a ticket reference, when the
    sender is on that ticket (its customer or a CC); else the sender's most recent SMS ticket
    still in progress (or closed within the reopen window)."""
    ticket = _by_references(inbound.thread_refs) if inbound.thread_refs else None
    if ticket is not None and _is_on(ticket, customer, inbound):
        return _follow_merges(ticket)
    for match in REFERENCE.finditer(f"{inbound.subject} {inbound.text}"):
        ticket = db.session.scalar(select(Ticket).where(
            Ticket.reference == f"FT-{match.group(1).upper()}"))
        if ticket is not None and _is_on(ticket, customer, inbound):
            return _follow_merges(ticket)
    if inbound.channel != Channel.SMS:
        return None  # a new email subject without a reference is a new request
    mine = select(Ticket).where(Ticket.customer_id == customer.id, Ticket.merged_into_id.is_(None))
    newest = (Ticket.updated_at.desc(), Ticket.id.desc())
    in_progress = db.session.scalar(mine.where(Ticket.status.in_(WAITING)).order_by(*newest))
    return in_progress or db.session.scalar(mine.order_by(*newest).limit(1))


def _is_on(ticket: Ticket, customer: Customer, inbound: Inbound) -> bool:
    """A stranger who learns a reference or a Message-ID cannot write on someone's ticket."""
    return any(t.customer_id == customer.id or inbound.sender in (t.cc_emails or [])
               for t in (ticket, _follow_merges(ticket)))


def file_message(customer: Customer, inbound: Inbound, ticket: Ticket | None) -> Ticket | None:
    """Add to the threaded ticket (reopening it within the window) or open a new one."""
    fields = {"body": inbound.text, "html": inbound.html, "full_text": inbound.full_text,
              "external_id": inbound.external_id or None, "attachments": inbound.attachments,
              "cc": inbound.cc}
    if ticket is not None and ticket.status == Status.CLOSED:
        if inbound.is_automated or not _within_reopen_window(ticket):
            previous, ticket = ticket, None
        else:
            lifecycle.reopen(ticket, reason=f"customer wrote by {inbound.channel.value}")
    else:
        previous = None
    if ticket is not None:
        sender = inbound.sender if ticket.customer_id != customer.id else None
        lifecycle.add_customer_message(ticket, channel=inbound.channel, sender=sender,
                                       is_automated=inbound.is_automated, **fields)
        return ticket
    if inbound.is_automated:
        return None  # an auto-reply that threads nowhere opens nothing
    ticket = lifecycle.open_ticket(customer, subject=inbound.subject or inbound.text,
                                   channel=inbound.channel, category=guess_category(inbound.text),
                                   previous=previous, **fields)
    _note_mentions(ticket, inbound)
    return ticket


def _note_mentions(ticket: Ticket, inbound: Inbound) -> None:
    """References to tickets the sender is not on: agents see the link, the sender nothing."""
    named = {f"FT-{m.group(1).upper()}" for m in REFERENCE.finditer(
        f"{inbound.subject} {inbound.text}")}
    found = db.session.scalars(select(Ticket.reference).where(
        Ticket.reference.in_(sorted(named)[:10]), Ticket.id != ticket.id)).all()
    if found:
        db.session.add(Event(ticket=ticket, customer_id=ticket.customer_id, kind="mentions",
                             data={"references": ", ".join(sorted(found))}))


def guess_category(text: str) -> Category:
    lowered = (text or "").lower()
    if re.search(r"\b(repair|broken|not working|fault|warranty|fridge|friji|haipoi|imeharibika)",
                 lowered):
        return Category.AFTER_SALE
    if re.search(r"\b(charged|refund|invoice|bill|m-?pesa|payment|nimelipa)", lowered):
        return Category.BILLING
    if re.search(r"\b(deliver|order|parcel)", lowered):
        return Category.DELIVERY
    return Category.GENERAL


def _sms_keyword(customer: Customer, word: str, text: str):
    """Handle STOP/START/HELP/STATUS; False when the text is not a keyword."""
    if word in OPT_OUT:
        customers.set_sms_opt_out(customer, True, source=f"SMS {word}")
        return None
    if word in OPT_IN:
        customers.set_sms_opt_out(customer, False, source=f"SMS {word}")
        notify.direct(customer, "opted_in")
        return None
    if word in HELP:
        notify.direct(customer, "help")
        return None
    if word == "STATUS" or word.startswith("STATUS "):
        notify.direct(customer, "status", tickets=_status_tickets(customer, text))
        return None
    return False


def _status_tickets(customer: Customer, text: str) -> list[Ticket]:
    query = select(Ticket).where(Ticket.customer_id == customer.id)
    match = REFERENCE.search(text)
    if match:
        query = query.where(Ticket.reference == f"FT-{match.group(1).upper()}")
    else:
        query = query.where(Ticket.status.in_(WAITING))
    return list(db.session.scalars(query.order_by(Ticket.updated_at.desc()).limit(3)))


def _answer_question(ticket: Ticket, word: str) -> bool:
    """A bare 1/2 answers "is it fixed?", a bare 1-5 answers "rate us"; True when handled."""
    if word not in {"1", "2", "3", "4", "5"}:
        return False
    done = ticket.follow_ups_done or []
    if ticket.status == Status.RESOLVED and ticket.category == Category.AFTER_SALE:
        if word == "1":
            lifecycle.close(ticket, reason="customer confirmed the fix", message="confirmed_fixed")
        elif word == "2":
            lifecycle.reopen(ticket, reason="customer says it is not fixed",
                             priority=Priority.HIGH)
        return word in {"1", "2"}
    if ticket.status == Status.CLOSED and FollowUpStep.FIX_CHECK in done and word in {"1", "2"}:
        lifecycle.record_fix_check(ticket, held=word == "1")
        return True
    asked = ticket.satisfaction_asked_at is not None
    if ticket.status == Status.CLOSED and ticket.satisfaction_score is None and asked:
        lifecycle.record_satisfaction(ticket, int(word))
        notify.customer(ticket, "thanks_rating")
        return True
    return False


def _by_references(refs) -> Ticket | None:
    from ticketing.models import Message, Outbox

    refs = [ref for ref in refs if ref][:50]
    ticket_id = db.session.scalar(select(Outbox.ticket_id).where(Outbox.message_id.in_(refs),
                                                                 Outbox.ticket_id.is_not(None)))
    if ticket_id is None:
        ticket_id = db.session.scalar(select(Message.ticket_id).where(
            Message.channel == Channel.EMAIL, Message.external_id.in_(refs)))
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
