"""The tags on a ticket: short normalised names (ticketing/tags.py) that filter the queue and
break reports down. Written only by ticketing/lifecycle/, which records each change."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing import hours
from ticketing.extensions import db


class TicketTag(db.Model):
    __tablename__ = "ticket_tags"
    __table_args__ = (
        UniqueConstraint("ticket_id", "name"),
        Index("ix_ticket_tags_name", "name", "ticket_id"),  # the queue filter and the report
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=hours.now)

    ticket = relationship("Ticket", back_populates="tags")
