"""A ticket's conversation: opening it from what the customer sent, and the thread of what
the customer and the agents write; the only writer of Message rows."""

from sqlalchemy import select

from ticketing import ccs, charter, events, fresh, hours, lines, notify, outbox, routing
from ticketing.errors import TransitionError
from ticketing.extensions import db
from ticketing.lifecycle import base, moves
from ticketing.models import Attachment, Customer, Department, Message, Outbox, Ticket, User
from ticketing.models.enums import Category, Channel, Direction, Outcome, Priority, Status
from ticketing.models.tickets import new_reference


def open_ticket(
    customer: Customer,
    *,
    subject: str,
    body: str,
    channel: Channel,
    category: Category = Category.GENERAL,
    priority: Priority = Priority.NORMAL,
    html: str = "",
    full_text: str = "",
    external_id: str | None = None,
    attachments=(),
    by: User | None = None,
    department: Department | None = None,
    previous: Ticket | None = None,
    acknowledge: bool = True,
    cc=(),
    line: str | None = None,
    link_id: str | None = None,
) -> Ticket:
    """Create a ticket from what a customer sent, route and assign it, and acknowledge it.

    `cc`: the others the customer wrote to; they are copied on agents' replies.
    `line`: our number or sender id they wrote to: its department gets the ticket (before
    any keyword rule), and answers go out from it."""
    now = hours.now()
    subject = (subject or body or "(no subject)").strip().splitlines()[0][:200] or "(no subject)"
    department = (
        department
        or lines.department_of(line)
        or routing.pick_department(f"{subject}\n{body}", channel, category)
    )
    reference = _unused_reference()
    # Every column is known before the ticket's one INSERT: without autoflush, the look-ups
    # below (calendar, charter, assignee) do not write the row early and then UPDATE it.
    with db.session.no_autoflush:
        ticket = Ticket(  # column defaults apply only at the INSERT: what is read before, set
            reference=reference,
            status=Status.NEW,
            reopened_count=0,
            cc_emails=[],
            customer=customer,
            subject=subject,
            channel=channel,
            category=category,
            priority=priority,
            department=department,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
            last_customer_message_at=now,
            follow_ups_done=[],
            previous_ticket=previous,
            line=line,
        )
        db.session.add(ticket)
        fresh.mark(ticket)
        message = add_message(
            ticket,
            Direction.INBOUND,
            channel,
            body,
            html=html,
            full_text=full_text,
            external_id=external_id,
            attachments=attachments,
            author=by,
        )
        message.link_id, message.line = link_id, line
        events.record(
            ticket,
            "created",
            by,
            channel=channel.value,
            department=department.name,
            previous=previous.reference if previous else None,
        )
        ccs.add_ccs(ticket, cc)
        charter.start_clock(ticket, now)
        assignee = routing.pick_assignee(department)
        if assignee is not None:
            base.set_assignee(ticket, assignee, by=None, now=now)
        base.plan(ticket, now)
    db.session.flush()
    if acknowledge:
        notify.customer(ticket, "received")
    return ticket


def add_customer_message(
    ticket: Ticket,
    *,
    body: str,
    channel: Channel,
    html: str = "",
    full_text: str = "",
    external_id: str | None = None,
    attachments=(),
    is_automated: bool = False,
    sender: str | None = None,
    cc=(),
    line: str | None = None,
    link_id: str | None = None,
) -> Message:
    """File what the customer (or `sender`, one of the ticket's CCs) sent on their ticket;
    it wakes a waiting or resolved ticket. `line`: the number of ours they wrote to, from
    which the answers now go."""
    if ticket.status == Status.CLOSED:
        raise TransitionError(f"{ticket.reference} is closed: reopen it before adding to it")
    now = hours.now()
    message = add_message(
        ticket,
        Direction.INBOUND,
        channel,
        body,
        html=html,
        full_text=full_text,
        external_id=external_id,
        attachments=attachments,
        is_automated=is_automated,
    )
    message.sender, message.link_id, message.line = sender, link_id, line
    if line and line != ticket.line:
        ticket.line = line
    events.record(
        ticket,
        "customer_message",
        None,
        channel=channel.value,
        automated=is_automated,
        sender=sender,
    )
    if is_automated:
        return message
    ccs.add_ccs(ticket, cc)
    ticket.last_customer_message_at = now
    if ticket.status == Status.PENDING_CUSTOMER:
        moves.move(ticket, Status.OPEN, by=None)
    elif ticket.status == Status.RESOLVED:
        after_sale = ticket.category == Category.AFTER_SALE  # a complaint: it is not fixed
        moves.reopen(
            ticket,
            outcome=Outcome.REOPENED_CUSTOMER_WROTE,
            priority=Priority.HIGH if after_sale else None,
        )
    return message


def reply(
    ticket: Ticket, *, by: User, body: str, status: Status | None = None, attachments=()
) -> Message:
    """Send the agent's words to the customer on their channel, at once; `attachments` (dicts
    of Attachment fields) go with them, by email only: SMS and WhatsApp refuse them. A reply
    that cannot reach them (`outbox.undelivered`) is kept in the thread but is no answer: the
    first response stays unmeasured and the charter's clock runs on."""
    base.require_text(body, "reply")
    if ticket.status == Status.CLOSED:
        raise TransitionError(f"{ticket.reference} is closed: reopen it before replying")
    now = hours.now()
    channel = notify.channel_for(ticket.customer, ticket) or ticket.channel
    if attachments and channel != Channel.EMAIL:
        by_name = "WhatsApp" if channel == Channel.WHATSAPP else channel.value.upper()
        raise TransitionError(
            f"Files go only by email, and this reply goes by {by_name}: nothing was sent. "
            "Remove the files, or send them once the customer gives an email address."
        )
    message = add_message(
        ticket, Direction.OUTBOUND, channel, body, author=by, attachments=attachments
    )
    message.outbox = notify.customer(ticket, "reply", automatic=False, message=message)
    undelivered = outbox.undelivered(message.outbox)
    files = [item["filename"] for item in attachments] or None
    events.record(
        ticket, "replied", by, channel=channel.value, files=files, not_delivered=undelivered
    )
    if ticket.first_response_at is None and undelivered is None:
        charter.measure_first_response(ticket, now)
    if ticket.status == Status.NEW:
        moves.move(ticket, Status.OPEN, by=by)
    if status is not None and status != ticket.status:
        moves.set_status(ticket, status, by=by, quiet=True)
    base.plan(ticket, now)
    return message


def note(ticket: Ticket, *, by: User, body: str) -> Message:
    """An internal note: staff see it, the customer never does."""
    base.require_text(body, "note")
    message = add_message(ticket, Direction.OUTBOUND, Channel.WEB, body, author=by, internal=True)
    events.record(ticket, "noted", by)
    return message


def file_answer(
    ticket: Ticket, *, body: str, channel: Channel, external_id: str | None = None
) -> Message:
    """File the customer's own words when they answer one of our questions; the answer's
    effect is the caller's (answers.py), so nothing here wakes the ticket."""
    message = add_message(ticket, Direction.INBOUND, channel, body, external_id=external_id)
    events.record(ticket, "customer_message", channel=channel.value, answer=True)
    ticket.last_customer_message_at = hours.now()
    return message


def carried_by(row: Outbox, instead: Outbox) -> None:
    """The reply `row` was to carry (if it was one) is carried by `instead` from now on: a
    WhatsApp message owed by SMS (outbox.fall_back_from_whatsapp). The thread then shows the
    SMS's delivery, and an SMS the provider refuses is no answer (refusals.reply_refused)."""
    message = row.thread_message
    if message is not None:
        message.outbox = instead


def add_message(
    ticket,
    direction,
    channel,
    body,
    *,
    html="",
    full_text="",
    external_id=None,
    attachments=(),
    author=None,
    internal=False,
    is_automated=False,
) -> Message:
    message = Message(
        ticket=ticket,
        direction=direction,
        channel=channel,
        body=body or "",
        html=html or "",
        full_text=full_text or "",
        external_id=external_id,
        author=author,
        is_internal=internal,
        is_automated=is_automated,
        created_at=hours.now(),
    )
    for item in attachments:
        message.attachments.append(Attachment(**item))
    db.session.add(message)
    base.touch(ticket)
    return message


def _unused_reference() -> str:
    """A fresh reference; the unique constraint still guards the rare race between two."""
    for _ in range(20):
        reference = new_reference()
        if db.session.scalar(select(Ticket.id).where(Ticket.reference == reference)) is None:
            return reference
    raise RuntimeError("could not find an unused ticket reference")
