"""Closed vocabularies, stored in the database as their values so SQL reports can read them."""

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"pending_customer": "Waiting for customer"}.get(self.value, self.value.title())


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(StrEnum):
    WEB = "web"
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    API = "api"


class Category(StrEnum):
    GENERAL = "general"
    SALES = "sales"
    DELIVERY = "delivery"
    AFTER_SALE = "after_sale"
    BILLING = "billing"
    COMPLAINT = "complaint"

    @property
    def label(self) -> str:
        return {"after_sale": "After-sale service / repair"}.get(self.value, self.value.title())


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Language(StrEnum):
    EN = "en"
    SW = "sw"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class OutboxStatus(StrEnum):
    PENDING = "pending"  # owed, not yet accepted by a provider
    QUEUED = "queued"  # accepted by the provider, not yet sent on
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"  # deliberately not sent (opt-out, loop cap)


FINAL_OUTBOX = (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.FAILED, OutboxStatus.SUPPRESSED)


class InboundStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    IGNORED = "ignored"  # kept, deliberately not acted on (auto-reply, duplicate content)


class FollowUpStep(StrEnum):
    FIRST_RESPONSE_REMINDER = "first_response_reminder"
    FIRST_RESPONSE_BREACH = "first_response_breach"
    RESOLUTION_BREACH = "resolution_breach"
    PENDING_REMINDER = "pending_reminder"
    PENDING_CLOSE = "pending_close"
    CONFIRM_REMINDER = "confirm_reminder"
    CONFIRM_CLOSE = "confirm_close"
    AUTO_CLOSE = "auto_close"
    SATISFACTION = "satisfaction"
    FIX_CHECK = "fix_check"


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    MISSED = "missed"
    CANCELLED = "cancelled"
