"""The two live ways a customer reaches us by phone: voice calls and USSD sessions.

A Call is owned by ticketing/calls.py, a UssdSession by ticketing/ussd.py."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import stored_as_value
from ticketing.models.enums import CallOutcome


class Call(db.Model):
    """One inbound phone call, from Twilio's first webhook to its final status."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_started", "started_at"),  # reports: calls in a period
        Index("ix_calls_department_started", "department_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)  # Twilio CallSid
    from_number: Mapped[str] = mapped_column(String(32))  # E.164, or what Twilio sent
    line: Mapped[str | None] = mapped_column(String(80))  # the number called, as a line key
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="ringing")  # Twilio's last word
    outcome: Mapped[CallOutcome | None] = mapped_column(stored_as_value(CallOutcome))
    language: Mapped[str | None] = mapped_column(String(8))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(default=hours.now)
    answered_at: Mapped[datetime | None]  # a person at the desk picked up
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]

    ticket = relationship("Ticket")
    customer = relationship("Customer")
    department = relationship("Department")


class UssdSession(db.Model):
    """A USSD session as the gateway reported it: kept for the log and the figures, never
    consulted to answer (the menu is stateless: the gateway's `text` carries every choice)."""

    __tablename__ = "ussd_sessions"
    __table_args__ = (Index("ix_ussd_sessions_started", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(100), unique=True)
    phone: Mapped[str] = mapped_column(String(32))
    service_code: Mapped[str] = mapped_column(String(40), default="")
    network_code: Mapped[str] = mapped_column(String(16), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    last_text: Mapped[str] = mapped_column(String(500), default="")  # the choices so far
    steps: Mapped[int] = mapped_column(default=0)  # requests the gateway made
    outcome: Mapped[str | None] = mapped_column(String(32))  # what the session did, as a code
    started_at: Mapped[datetime] = mapped_column(default=hours.now)
    updated_at: Mapped[datetime] = mapped_column(default=hours.now)
    ended_at: Mapped[datetime | None]  # the gateway's end-of-session notification
    end_status: Mapped[str | None] = mapped_column(String(32))  # its status: Success, Failed...
    end_reason: Mapped[str | None] = mapped_column(String(255))  # its errorMessage, if any
