"""Who is involved: departments and their charters, staff, customers."""

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ticketing import hours
from ticketing.extensions import db
from ticketing.models import stored_as_value
from ticketing.models.enums import Category, Channel, Language, Priority, Role

user_departments = Table(
    "user_departments",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)

DEFAULT_WEEK = {str(day): ["08:00", "17:00"] for day in range(5)} | {"5": ["09:00", "13:00"]}
DEFAULT_POLICY = {
    "pending_reminder_days": [1, 3],
    "pending_close_days": 7,
    "confirm_reminder_days": 2,
    "confirm_close_days": 5,
    "fix_check_days": 14,
    "resolved_close_days": 3,
    "satisfaction_delay_minutes": 5,
    "first_response_reminder_percent": 75,
    "update_combine_minutes": 3,
    "quiet_start": "21:00",
    "quiet_end": "08:00",
}


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    is_default: Mapped[bool] = mapped_column(default=False)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    working_hours: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_WEEK))
    policy: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_POLICY))
    desk_phone: Mapped[str | None] = mapped_column(String(20))  # E.164: where its calls ring

    supervisor = relationship("User", foreign_keys=[supervisor_id])
    rules = relationship(
        "RoutingRule",
        back_populates="department",
        cascade="all, delete-orphan",
        order_by="RoutingRule.position",
    )
    targets = relationship(
        "CharterTarget", back_populates="department", cascade="all, delete-orphan"
    )
    agents = relationship("User", secondary=user_departments, back_populates="departments")

    def setting(self, name: str):
        return (self.policy or {}).get(name, DEFAULT_POLICY[name])

    def target_for(self, priority: Priority) -> "CharterTarget | None":
        return next((t for t in self.targets if t.priority == priority), None)


class RoutingRule(db.Model):
    """A ticket matches when every condition given here holds; the first match wins."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=100)
    keywords: Mapped[str] = mapped_column(Text, default="")  # comma-separated, any may match
    channel: Mapped[Channel | None] = mapped_column(stored_as_value(Channel))
    category: Mapped[Category | None] = mapped_column(stored_as_value(Category))

    department = relationship("Department", back_populates="rules")

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip().lower() for k in self.keywords.split(",") if k.strip()]


class CharterTarget(db.Model):
    """The department's published promise for one priority, in business minutes."""

    __tablename__ = "charter_targets"
    __table_args__ = (UniqueConstraint("department_id", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    priority: Mapped[Priority] = mapped_column(stored_as_value(Priority))
    first_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]

    department = relationship("Department", back_populates="targets")


class Holiday(db.Model):
    """A closed day added by an admin, on top of the country's public holidays."""

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(stored_as_value(Role), default=Role.AGENT)
    password_hash: Mapped[str] = mapped_column(String(256))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    is_away: Mapped[bool] = mapped_column(default=False)  # off duty: gets no new tickets
    # Their own choice (/agent/settings): an email when a ticket is given to them.
    wants_assignment_email: Mapped[bool] = mapped_column(default=True, server_default=true())
    session_version: Mapped[int] = mapped_column(default=1)
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_assigned_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=hours.now)

    departments = relationship("Department", secondary=user_departments, back_populates="agents")

    def set_password(self, password: str) -> None:
        """Store a new hash and end every session that used the old password."""
        self.password_hash = generate_password_hash(password)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def sees_all(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


class Customer(db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    preferred_channel: Mapped[Channel | None] = mapped_column(stored_as_value(Channel))
    language: Mapped[Language] = mapped_column(stored_as_value(Language), default=Language.EN)
    created_at: Mapped[datetime] = mapped_column(default=hours.now)
    # a duplicate merged into another customer (customers.merge): kept as a tombstone, so its
    # old links and any contact it still holds lead to the customer it became
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)

    opt_outs = relationship("OptOut", cascade="all, delete-orphan")
    merged_into = relationship("Customer", remote_side=[id])

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.phone or f"Customer {self.id}"


class OptOut(db.Model):
    """A customer's STOP to one of our lines (ticketing/lines.py): only that line falls silent.
    `line` "*" is every line (a STOP kept from before lines existed). Owned by customers.py."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("customer_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    line: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(80), default="")  # "SMS STOP", a provider's report
    created_at: Mapped[datetime] = mapped_column(default=hours.now, index=True)
