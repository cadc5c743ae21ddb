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


# Work still owed, by us or the customer: the queue, the backlog, an agent's load.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER)
# Still in progress as the customer sees it: a resolved ticket waits for their word.
ACTIVE_STATUSES = (*OPEN_STATUSES, Status.RESOLVED)


class Outcome(StrEnum):
    """Why a ticket closed or reopened, carried by its status event: reports count the codes,
    people read the labels, so the wording can change without moving a figure."""

    SOLVED = "solved"  # closed by an agent, or quietly after it was resolved
    CONFIRMED_FIXED = "confirmed_fixed"
    CLOSED_AFTER_SILENCE = "closed_after_silence"  # no answer to "is it fixed?"
    CLOSED_NO_REPLY = "closed_no_reply"  # no answer while we waited for the customer
    MERGED = "merged"
    REOPENED_NOT_FIXED = "reopened_not_fixed"  # "2" to "is it fixed?"
    REOPENED_FIX_FAILED = "reopened_fix_failed"  # "no" to "is it still working?"
    REOPENED_CUSTOMER_WROTE = "reopened_customer_wrote"
    REOPENED_BY_AGENT = "reopened_by_agent"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]

    @property
    def is_reopening(self) -> bool:
        return self.value.startswith("reopened_")


OUTCOME_LABELS = {
    Outcome.SOLVED: "solved",
    Outcome.CONFIRMED_FIXED: "customer confirmed the fix",
    Outcome.CLOSED_AFTER_SILENCE: "no answer after the fix",
    Outcome.CLOSED_NO_REPLY: "no answer from the customer",
    Outcome.MERGED: "merged into another ticket",
    Outcome.REOPENED_NOT_FIXED: "customer says it is not fixed",
    Outcome.REOPENED_FIX_FAILED: "the fix did not hold",
    Outcome.REOPENED_CUSTOMER_WROTE: "customer wrote again",
    Outcome.REOPENED_BY_AGENT: "reopened by an agent",
}


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(StrEnum):
    WEB = "web"
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    USSD = "ussd"
    PHONE = "phone"
    WALK_IN = "walk_in"  # a visitor at a service desk, logged by the agent who met them
    API = "api"


# Channels that reach a customer's phone number through one of our lines (ticketing/lines.py).
PHONE_CHANNELS = (Channel.SMS, Channel.WHATSAPP)


class Provider(StrEnum):
    """Who carries a line's messages: each has its adapter in ticketing/channels/."""

    TWILIO = "twilio"
    AFRICASTALKING = "africastalking"


class CallOutcome(StrEnum):
    """How a phone call to us ended, in the terms the call figures count."""

    ANSWERED = "answered"  # a person at the desk took it
    MISSED = "missed"  # rang out, busy or failed at the desk: we owe a call back
    ABANDONED = "abandoned"  # the caller hung up before anyone answered
    AFTER_HOURS = "after_hours"  # outside business hours
    CALLBACK_REQUESTED = "callback_requested"  # pressed 1, or asked by USSD
    VOICEMAIL = "voicemail"  # left a recording


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


FINAL_OUTBOX = (
    OutboxStatus.SENT,
    OutboxStatus.DELIVERED,
    OutboxStatus.FAILED,
    OutboxStatus.SUPPRESSED,
)


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


class AuditAction(StrEnum):
    """What the audit log records: security-relevant acts of staff and of strangers."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_THROTTLED = "sign_in_throttled"  # refused before the password was checked
    SIGN_OUT = "sign_out"
    PASSWORD_CHANGED = "password_changed"
    USER_CREATED = "user_created"
    USER_CHANGED = "user_changed"  # role, departments, enabled, name or email
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    EXPORT = "export"
    SETTING_CHANGED = "setting_changed"  # departments, routing, charter, templates, holidays
    CHANNEL_TEST = "channel_test"  # an admin sent a test message through a channel
    CHANNEL_CHECK = "channel_check"  # an admin checked the IMAP connection
    CUSTOMER_CHANGED = "customer_changed"  # name, language, channel or contacts, by staff
    CUSTOMER_MERGED = "customer_merged"  # a duplicate folded into the customer kept
