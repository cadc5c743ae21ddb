"""The stamp of the settings every ticket reads: one row whose token changes in the same
transaction as any change to them. Written only by ticketing/settings_cache.py."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.extensions import db


class SettingsVersion(db.Model):
    __tablename__ = "settings_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    token: Mapped[str] = mapped_column(String(32))
