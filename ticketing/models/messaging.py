"""What we owe people (Outbox) and what people sent us, kept raw before parsing (InboundRaw)."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import stored_as_value
from ticketing.models.enums import FINAL_OUTBOX, Channel, InboundStatus, OutboxStatus, Provider


class Outbox(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "not_before"),
        Index("ix_outbox_ticket", "ticket_id"),
        Index("ix_outbox_recipient_created", "recipient", "created_at"),
        Index("ix_outbox_provider_id", "provider_id"),
        Index("ix_outbox_message_id", "message_id"),
        Index("ix_outbox_created", "created_at"),  # reports: delivery in a period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # staff alerts
    channel: Mapped[Channel] = mapped_column(stored_as_value(Channel))
    kind: Mapped[str] = mapped_column(String(40))  # the template it was rendered from
    recipient: Mapped[str] = mapped_column(String(254))
    line: Mapped[str | None] = mapped_column(String(80))  # SMS/WhatsApp: our line it goes from
    cc: Mapped[list | None] = mapped_column(JSON)  # email copies: the ticket's CCs
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text, default="")
    is_automatic: Mapped[bool] = mapped_column(default=True)  # not a person's own words
    message_id: Mapped[str | None] = mapped_column(String(255))  # our email Message-ID
    in_reply_to: Mapped[str | None] = mapped_column(Text)  # email threading headers
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    combines: Mapped[list | None] = mapped_column(JSON)  # status updates folded into this one
    status: Mapped[OutboxStatus] = mapped_column(
        stored_as_value(OutboxStatus), default=OutboxStatus.PENDING
    )
    not_before: Mapped[datetime | None]  # held (quiet hours, retry back-off) until then
    claimed_at: Mapped[datetime | None]  # a worker is handing it over
    # an earlier attempt may have reached the provider (timed out, or its worker died): ask
    # the provider before sending again
    doubt_since: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    provider_id: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=hours.now)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    ticket = relationship("Ticket")
    # the agent's reply this row carries, if any: its files go with the email
    thread_message = relationship(
        "Message",
        primaryjoin="Outbox.id == foreign(Message.outbox_id)",
        viewonly=True,
        uselist=False,
    )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_OUTBOX

    @property
    def attachments(self) -> list:
        return self.thread_message.attachments if self.thread_message is not None else []


class InboundRaw(db.Model):
    """Every inbound payload exactly as received, committed before anything parses it."""

    __tablename__ = "inbound_raw"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_inbound_raw_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(stored_as_value(Channel))
    external_id: Mapped[str] = mapped_column(String(255))  # MessageSid, Message-ID or a hash
    payload: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    source: Mapped[str] = mapped_column(String(40), default="")  # webhook, imap, spool, dev
    status: Mapped[InboundStatus] = mapped_column(
        stored_as_value(InboundStatus), default=InboundStatus.PENDING
    )
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=hours.now)
    processed_at: Mapped[datetime | None]


class MailboxState(db.Model):
    """How far IMAP polling has read one folder: by UID within a UIDVALIDITY, never by \\Seen."""

    __tablename__ = "mailbox_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(300), unique=True)  # user@host/folder
    uidvalidity: Mapped[int] = mapped_column(BigInteger)  # 32-bit unsigned on the server
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)  # stored and committed up to here
    updated_at: Mapped[datetime] = mapped_column(default=hours.now, onupdate=hours.now)


class IdempotencyKey(db.Model):
    """An API client's Idempotency-Key: the second request with it gets the first answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(120))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=hours.now)

    user = relationship("User")


class MessageTemplate(db.Model):
    """An admin's wording for one notification, used instead of the file under templates/messages."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("kind", "language", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[Channel] = mapped_column(stored_as_value(Channel))
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=hours.now)


class Line(db.Model):
    """One of our numbers or sender ids (a Twilio number or Messaging Service, an Africa's
    Talking shortcode or sender id, a WhatsApp sender), and the department that owns it.
    Its key "<provider>:<address>" is what tickets, outbox rows and opt-outs name.
    Owned by ticketing/lines.py."""

    __tablename__ = "lines"
    __table_args__ = (UniqueConstraint("provider", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[Provider] = mapped_column(stored_as_value(Provider))
    channel: Mapped[Channel] = mapped_column(stored_as_value(Channel))  # sms or whatsapp
    # E.164 number, shortcode, alphanumeric sender id, Messaging Service SID (MG...), or for
    # WhatsApp "whatsapp:+254..."
    address: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    label: Mapped[str] = mapped_column(String(80), default="")
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=hours.now)

    department = relationship("Department")

    @property
    def key(self) -> str:
        return f"{self.provider.value}:{self.address}"
