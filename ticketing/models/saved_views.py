"""A queue view an agent saved under a name. Written only by ticketing/saved_views.py."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing import hours
from ticketing.extensions import db


class SavedView(db.Model):
    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    args: Mapped[dict] = mapped_column(JSON, default=dict)  # the queue's query arguments
    created_at: Mapped[datetime] = mapped_column(default=hours.now)
