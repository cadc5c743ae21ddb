"""The /api/v1 blueprint's input and output: its error type, query-parameter and body parsing,
and the JSON shapes of tickets and messages. Kept apart from the routes (ticketing.views.api)
so that file holds only the endpoints; api_reports uses the same error and ticket summary."""

import re
from datetime import datetime

from flask import current_app, g, request
from sqlalchemy import select

from ticketing import api_schemas, hours, tags
from ticketing.contacts import InvalidContact, normalise_email, normalise_phone
from ticketing.extensions import db
from ticketing.models import Ticket
from ticketing.security import ticket_for


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers: dict = {}


EARLIEST, LATEST = datetime(1970, 1, 1), datetime(9999, 1, 1)
RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?"
)


def since(value: str | None) -> datetime | None:
    """updated_since as naive UTC; ValueError for what is not an RFC 3339 time or a day (taken
    at midnight UTC). A time before 1970 selects every ticket and one after 9998 none, so it is
    clamped, not refused."""
    if value is None:
        return None
    if not RFC3339.fullmatch(value):
        raise ValueError(
            "'updated_since' is not an RFC 3339 time or day, like 2026-10-20T08:00:00Z"
        )
    try:
        moment = hours.parse_utc(value.upper())  # RFC 3339 allows a lower-case "t" and "z"
    except OverflowError:  # an offset beyond year 1 or 9999
        return EARLIEST if value.lstrip().startswith("0") else LATEST
    except ValueError as error:
        raise ValueError(f"'updated_since' is not an RFC 3339 time: {error}") from error
    return min(max(moment, EARLIEST), LATEST)


def json_body(schema: dict) -> dict:
    """The body, checked against its published schema (ticketing.api_schemas)."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object")
    api_schemas.validate(data, schema)
    return data


def contact(data: dict) -> tuple[str | None, str | None]:
    """The customer's normalised (email, phone); 422 when either is given but unusable (an
    empty one too: the schema's formats do not allow it) or neither is given."""
    try:
        email = normalise_email(data["email"]) if "email" in data else None
        phone = normalise_phone(data["phone"], region()) if "phone" in data else None
    except InvalidContact as error:
        raise ApiError(422, "invalid_contact", str(error), "customer") from error
    if not (email or phone):
        raise ApiError(422, "missing_contact", "customer needs an email or a phone", "customer")
    return email, phone


def region() -> str:
    return current_app.config["DEFAULT_PHONE_REGION"]


def ticket_by_ref(ref: str) -> Ticket:
    """The caller's ticket by id or reference; 404 (ticket_for) for anything else."""
    if ref.isascii() and ref.isdigit():
        number = int(ref) if len(ref) <= 10 else 0
        return ticket_for(g.api_user, number if number <= api_schemas.MAX_ID else 0)
    if len(ref) > 12:  # Ticket.reference String(12)
        return ticket_for(g.api_user, 0)
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == ref.upper()))
    return ticket_for(g.api_user, ticket.id if ticket else 0)


def summary(ticket: Ticket) -> dict:
    return {
        "id": ticket.id,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "category": ticket.category.value,
        "channel": ticket.channel.value,
        "department": ticket.department.name,
        "assignee": ticket.assignee.name if ticket.assignee else None,
        "customer": {
            "id": ticket.customer.id,
            "name": ticket.customer.name,
            "email": ticket.customer.email,
            "phone": ticket.customer.phone,
        },
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "due_at": _iso(ticket.due_at),
        "tags": tags.of(ticket),
    }


def detail(ticket: Ticket) -> dict:
    return summary(ticket) | {
        "cc": list(ticket.cc_emails or []),
        "messages": [message_json(m) for m in ticket.messages],
    }


def message_json(message) -> dict:
    return {
        "id": message.id,
        "direction": message.direction.value,
        "channel": message.channel.value,
        "internal": message.is_internal,
        "body": message.body,
        "author": message.author.name if message.author else None,
        "sender": message.sender,
        "created_at": _iso(message.created_at),
        "delivery": message.outbox.status.value if message.outbox else None,
    }


def _iso(moment) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None
