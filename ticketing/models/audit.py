"""The audit trail: who did what, when and from where. Written only by ticketing/audit.py."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import stored_as_value
from ticketing.models.enums import AuditAction


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=hours.now)
    action: Mapped[AuditAction] = mapped_column(stored_as_value(AuditAction))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(254), default="")  # e.g. the email typed
    target: Mapped[str] = mapped_column(String(120), default="")  # "user:7", "department:2"
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    actor = relationship("User")
