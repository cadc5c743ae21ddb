"""A ticket, its thread, its audit trail and the promises made on it."""

import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing import filetypes, hours
from ticketing.extensions import db
from ticketing.models import stored_as_value
from ticketing.models.enums import (
    OPEN_STATUSES,
    Category,
    Channel,
    Direction,
    FollowUpStep,
    Priority,
    PromiseStatus,
    Status,
)

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: easy to read aloud


def new_reference() -> str:
    return "FT-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _partial(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of only the rows `where` picks, on both databases."""
    return Index(
        name, *columns, unique=unique, sqlite_where=text(where), postgresql_where=text(where)
    )


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue", "status", "due_at"),
        Index("ix_tickets_department_status", "department_id", "status", "due_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status", "due_at"),
        Index("ix_tickets_customer", "customer_id", "updated_at"),
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_resolved", "resolved_at"),
        Index("ix_tickets_first_response", "first_response_at"),  # reports: answered in a period
        # reports leave the few merged ones out; only those are indexed, so that a period's
        # "merged_into_id IS NULL" does not lead SQLite through every ticket in this index
        _partial("ix_tickets_merged", "merged_into_id", where="merged_into_id IS NOT NULL"),
        Index("ix_tickets_updated", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True, default=new_reference)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    subject: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[Status] = mapped_column(stored_as_value(Status), default=Status.NEW)
    priority: Mapped[Priority] = mapped_column(stored_as_value(Priority), default=Priority.NORMAL)
    category: Mapped[Category] = mapped_column(stored_as_value(Category), default=Category.GENERAL)
    channel: Mapped[Channel] = mapped_column(stored_as_value(Channel))  # where it came from
    # the line (number or sender id of ours) the customer wrote or called to: replies go out
    # from it (ticketing/lines.py); None for web and email tickets
    line: Mapped[str | None] = mapped_column(String(80))

    created_at: Mapped[datetime] = mapped_column(default=hours.now)
    updated_at: Mapped[datetime] = mapped_column(default=hours.now)
    status_changed_at: Mapped[datetime] = mapped_column(default=hours.now)
    assigned_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    last_customer_message_at: Mapped[datetime | None]

    # Service charter: due times in UTC, business minutes measured when reached.
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # the next charter deadline; orders the queue
    resolution_minutes_left: Mapped[int | None]  # kept while the clock is paused
    first_response_business_minutes: Mapped[int | None]
    resolution_business_minutes: Mapped[int | None]

    follow_up_step: Mapped[FollowUpStep | None] = mapped_column(stored_as_value(FollowUpStep))
    next_follow_up_at: Mapped[datetime | None] = mapped_column(index=True)
    follow_ups_done: Mapped[list] = mapped_column(
        JSON, default=list
    )  # steps run since the last status change
    reopened_count: Mapped[int] = mapped_column(default=0)
    cc_emails: Mapped[list] = mapped_column(JSON, default=list)  # copied on agents' email replies

    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    previous_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    product: Mapped[str | None] = mapped_column(String(120))
    serial_number: Mapped[str | None] = mapped_column(String(80))
    purchase_date: Mapped[date | None]
    satisfaction_score: Mapped[int | None]
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    satisfaction_asked_at: Mapped[datetime | None]  # asked once per ticket, ever

    customer = relationship("Customer", backref="tickets")
    department = relationship("Department")
    assignee = relationship("User")
    messages = relationship(
        "Message", back_populates="ticket", order_by="Message.id", cascade="all, delete-orphan"
    )
    events = relationship(
        "Event", back_populates="ticket", order_by="Event.id", cascade="all, delete-orphan"
    )
    promises = relationship(
        "Promise", back_populates="ticket", order_by="Promise.due_at", cascade="all, delete-orphan"
    )
    tags = relationship(
        "TicketTag",
        back_populates="ticket",
        order_by="TicketTag.name",
        cascade="all, delete-orphan",
    )
    merged_into = relationship("Ticket", remote_side=[id], foreign_keys=[merged_into_id])
    previous_ticket = relationship("Ticket", remote_side=[id], foreign_keys=[previous_ticket_id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def awaits_fix_check(self) -> bool:
        """Closed, asked "is it still working?", and not answered since it closed."""
        if self.status != Status.CLOSED or FollowUpStep.FIX_CHECK not in (
            self.follow_ups_done or []
        ):
            return False
        return not any(
            event.kind == "fix_check_answer" and event.created_at >= self.closed_at
            for event in self.events
        )

    @property
    def public_messages(self) -> list["Message"]:
        return [m for m in self.messages if not m.is_internal]


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        # a provider's id arrives once (a retried webhook, a re-fetched mailbox): unique per
        # channel; agents' replies and notes have none, so the index holds only those that do
        _partial(
            "uq_messages_channel_external_id",
            "channel",
            "external_id",
            where="external_id IS NOT NULL",
            unique=True,
        ),
        Index("ix_messages_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(stored_as_value(Direction))
    channel: Mapped[Channel] = mapped_column(stored_as_value(Channel))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sender: Mapped[str | None] = mapped_column(String(254))  # a CC who wrote, not the customer
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")  # sanitised before it is stored
    full_text: Mapped[str] = mapped_column(Text, default="")  # with quoted history, if cut
    is_internal: Mapped[bool] = mapped_column(default=False)
    is_automated: Mapped[bool] = mapped_column(default=False)
    external_id: Mapped[str | None] = mapped_column(String(255))  # MessageSid or Message-ID
    link_id: Mapped[str | None] = mapped_column(String(64))  # Africa's Talking premium session
    line: Mapped[str | None] = mapped_column(String(80))  # SMS/WhatsApp: our line it came to
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime] = mapped_column(default=hours.now)

    ticket = relationship("Ticket", back_populates="messages")
    author = relationship("User")
    outbox = relationship("Outbox", foreign_keys=[outbox_id])
    attachments = relationship("Attachment", back_populates="message", cascade="all, delete-orphan")


class Attachment(db.Model):
    """A file kept in the database, so every web and worker machine sees the same bytes."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    size: Mapped[int] = mapped_column(default=0)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    url: Mapped[str | None] = mapped_column(Text)  # provider-hosted media (MMS)
    is_inline: Mapped[bool] = mapped_column(default=False)

    message = relationship("Message", back_populates="attachments")

    @property
    def preview(self) -> str | None:
        """ "image" or "pdf" when the recorded type offers a preview on the page; whether the
        file is really shown inline is decided from its bytes when it is served."""
        if self.url or self.content_type not in filetypes.INLINE_TYPES:
            return None
        return "pdf" if self.content_type == "application/pdf" else "image"


# the event kinds read by time alone (reports, the breach digest); see Event's indexes
TIMED_KINDS = ("status", "follow_up", "rated", "sms_opt_out", "call_logged", "breach_noted")


class Event(db.Model):
    """The audit trail: who did what to which ticket (or customer), and the basis of reports."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_ticket", "ticket_id", "id"),
        # a customer's own events (SMS consent, merges): ticket events say whose they are
        # through their ticket and leave customer_id empty
        _partial("ix_events_customer", "customer_id", where="ticket_id IS NULL"),
        # Reports and jobs read only these kinds by time; one small index per kind, because
        # SQLite uses a partial index only when the query repeats its WHERE term exactly
        # (kind = 'status'; kind IN (...) would never match). A new kind read by time needs
        # its own index here and in a migration.
        *(
            _partial(f"ix_events_{kind}_created", "created_at", where=f"kind = '{kind}'")
            for kind in TIMED_KINDS
        ),
        # desk tickets: "created" events with an actor (ticketing/stats/desk.py), a few
        _partial(
            "ix_events_desk_created",
            "created_at",
            where="kind = 'created' AND actor_id IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # JSONB on PostgreSQL: reports read fields of many events without re-parsing each one
    data: Mapped[dict] = mapped_column(JSON().with_variant(JSONB(), "postgresql"), default=dict)
    created_at: Mapped[datetime] = mapped_column(default=hours.now)

    ticket = relationship("Ticket", back_populates="events")
    # lets an event of a customer not yet flushed be recorded: the id is filled in at the insert
    customer = relationship("Customer")
    actor = relationship("User")


class Promise(db.Model):
    __tablename__ = "promises"
    __table_args__ = (
        Index("ix_promises_status_due", "status", "due_at"),
        Index("ix_promises_settled", "settled_at"),
    )  # reports: kept or missed

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # None: owed by the ticket's department (a call-back the customer asked for by phone or
    # USSD), reminded to its assignee or supervisor
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    description: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime]
    status: Mapped[PromiseStatus] = mapped_column(
        stored_as_value(PromiseStatus), default=PromiseStatus.OPEN
    )
    reminded_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=hours.now)

    ticket = relationship("Ticket", back_populates="promises")
    agent = relationship("User")

    @property
    def is_callback(self) -> bool:
        """Owed by the department: a call back the customer asked for by phone or USSD."""
        return self.agent_id is None

    @property
    def owner_name(self) -> str:
        return self.agent.name if self.agent is not None else f"{self.ticket.department.name} team"
