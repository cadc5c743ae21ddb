"""Every model, importable from one place."""

from datetime import datetime

from sqlalchemy import Enum

from ticketing.extensions import db
from ticketing.models.times import Moment

db.Model.registry.update_type_annotation_map({datetime: Moment})  # before any model below


def stored_as_value(enum) -> Enum:
    """Store an enum as its value ("pending_customer"), not its Python name."""
    return Enum(enum, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


from ticketing.models.audit import AuditEntry  # noqa: E402
from ticketing.models.calls import Call, UssdSession  # noqa: E402
from ticketing.models.canned import CannedResponse, CannedScope  # noqa: E402
from ticketing.models.enums import *  # noqa: E402,F403
from ticketing.models.messaging import (  # noqa: E402
    IdempotencyKey,
    InboundRaw,
    Line,
    MailboxState,
    MessageTemplate,
    Outbox,
)
from ticketing.models.people import (  # noqa: E402
    CharterTarget,
    Customer,
    Department,
    Holiday,
    OptOut,
    RoutingRule,
    User,
    user_departments,
)
from ticketing.models.rollups import ReportDay, ReportDayBuilt, ReportDirtyDay  # noqa: E402
from ticketing.models.saved_views import SavedView  # noqa: E402
from ticketing.models.settings import SettingsVersion  # noqa: E402
from ticketing.models.tags import TicketTag  # noqa: E402
from ticketing.models.tickets import Attachment, Event, Message, Promise, Ticket  # noqa: E402

__all__ = [
    "Attachment",
    "AuditEntry",
    "Call",
    "CannedResponse",
    "CannedScope",
    "CharterTarget",
    "Customer",
    "Department",
    "Event",
    "Holiday",
    "IdempotencyKey",
    "InboundRaw",
    "Line",
    "MailboxState",
    "Message",
    "OptOut",
    "MessageTemplate",
    "Outbox",
    "Promise",
    "ReportDay",
    "ReportDayBuilt",
    "ReportDirtyDay",
    "RoutingRule",
    "SavedView",
    "SettingsVersion",
    "Ticket",
    "TicketTag",
    "UssdSession",
    "User",
    "db",
    "stored_as_value",
    "user_departments",
]
