"""Canned responses and macros: text an agent inserts into a reply, in English and Kiswahili,
and the changes (status, priority, assignee, tags) a macro makes when applied.
Owned by ticketing/canned.py."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import stored_as_value
from ticketing.models.enums import Priority, Status


class CannedScope(StrEnum):
    PERSONAL = "personal"  # its owner's alone
    DEPARTMENT = "department"  # everyone working in one department
    EVERYONE = "everyone"

    @property
    def label(self) -> str:
        return {"personal": "Mine", "department": "Department", "everyone": "Everyone"}[self]


class CannedResponse(db.Model):
    __tablename__ = "canned_responses"
    __table_args__ = (
        Index("ix_canned_responses_scope", "scope", "department_id"),
        Index("ix_canned_responses_owner", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    scope: Mapped[CannedScope] = mapped_column(stored_as_value(CannedScope))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE")
    )
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_sw: Mapped[str] = mapped_column(Text, default="")
    # What applying it changes; None: leave as it is.
    set_status: Mapped[Status | None] = mapped_column(stored_as_value(Status))
    set_priority: Mapped[Priority | None] = mapped_column(stored_as_value(Priority))
    set_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tags: Mapped[list] = mapped_column(JSON, default=list)  # tag names to add
    created_at: Mapped[datetime] = mapped_column(default=hours.now)
    updated_at: Mapped[datetime] = mapped_column(default=hours.now)

    owner = relationship("User", foreign_keys=[owner_id])
    department = relationship("Department")
    set_assignee = relationship("User", foreign_keys=[set_assignee_id])

    @property
    def is_macro(self) -> bool:
        return bool(self.set_status or self.set_priority or self.set_assignee_id or self.tags)
