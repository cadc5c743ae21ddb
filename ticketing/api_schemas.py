"""The JSON Schemas of /api/v1, written once: the views validate request bodies against them
and ticketing.openapi publishes them as its components, so the two cannot drift apart.

JSON Schema 2020-12 (the dialect of OpenAPI 3.1), checked with the `jsonschema` library.
Lengths are the database columns' (ticketing/models), so a valid body always fits.
"""

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ticketing.models.enums import Category, Channel, Priority, Status

MAX_ID = 2**31 - 1
SUBJECT_MAX = 200  # Ticket.subject String(200)
BODY_MAX = 20000  # what the pages accept for a message
NAME_MAX = 120  # Customer.name String(120)
EMAIL_MAX = 254  # Customer.email String(254)
PHONE_MAX = 30  # as typed; stored as E.164 in String(20)
NOTE_MAX = 500
KEY_MAX = 120  # IdempotencyKey.key String(120)


def _text(max_length: int, description: str = "") -> dict:
    """Text that must hold something other than spaces."""
    schema = {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": r"\S"}
    return schema | ({"description": description} if description else {})


def _enum(vocabulary) -> dict:
    return {"type": "string", "enum": [member.value for member in vocabulary]}


_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_TIME = {"type": "string", "format": "date-time"}
_OPTIONAL_TIME = {"type": ["string", "null"], "format": "date-time"}

NEW_CUSTOMER = {
    "type": "object",
    "description": "Found by email or phone, or made; at least one of the two is needed.",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": NAME_MAX},
        "email": {"type": "string", "maxLength": EMAIL_MAX},
        "phone": {"type": "string", "maxLength": PHONE_MAX},
    },
}

NEW_TICKET = {
    "type": "object",
    "additionalProperties": False,
    "required": ["subject", "body", "customer"],
    "properties": {
        "subject": _text(SUBJECT_MAX),
        "body": _text(BODY_MAX),
        "category": _enum(Category),
        "priority": _enum(Priority),
        "customer": NEW_CUSTOMER,
    },
}

TICKET_CHANGE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": _enum(Status),
        "priority": _enum(Priority),
        "assignee_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
        "note": {"type": "string", "maxLength": NOTE_MAX},
    },
}

NEW_MESSAGE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["body"],
    "properties": {"body": _text(BODY_MAX)},
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "the field at fault, if one is"},
            },
        }
    },
}

MESSAGE = {
    "type": "object",
    "required": ["id", "direction", "channel", "internal", "body", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "direction": {"enum": ["inbound", "outbound"]},
        "channel": _enum(Channel),
        "internal": {"type": "boolean"},
        "body": {"type": "string"},
        "author": {"type": ["string", "null"]},
        "created_at": _TIME,
        "sender": {"type": ["string", "null"], "description": "a CC who wrote, not the customer"},
        "delivery": {"type": ["string", "null"]},
    },
}

CUSTOMER = {
    "type": "object",
    "required": ["id", "name", "email", "phone"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "phone": {"type": ["string", "null"]},
    },
}

TICKET_SUMMARY = {
    "type": "object",
    "required": ["id", "reference", "subject", "status", "priority", "category", "channel"],
    "properties": {
        "id": {"type": "integer"},
        "reference": {"type": "string"},
        "subject": {"type": "string"},
        "status": _enum(Status),
        "priority": _enum(Priority),
        "category": _enum(Category),
        "channel": _enum(Channel),
        "department": {"type": "string"},
        "assignee": {"type": ["string", "null"]},
        "customer": CUSTOMER,
        "created_at": _TIME,
        "updated_at": _TIME,
        "due_at": _OPTIONAL_TIME,
    },
}

TICKET = TICKET_SUMMARY | {
    "required": [*TICKET_SUMMARY["required"], "messages"],
    "properties": TICKET_SUMMARY["properties"]
    | {
        "cc": {"type": "array", "items": {"type": "string", "format": "email"}},
        "messages": {"type": "array", "items": MESSAGE},
    },
}

TICKET_PAGE = {
    "type": "object",
    "required": ["tickets", "page", "pages", "total"],
    "properties": {
        "tickets": {"type": "array", "items": TICKET_SUMMARY},
        "page": {"type": "integer"},
        "pages": {"type": "integer"},
        "total": {"type": "integer"},
    },
}

# Query parameters of GET /tickets, as OpenAPI parameter schemas (the view checks each).
LIST_PARAMETERS = {
    "status": _enum(Status),
    "department_id": _ID,
    "phone": {"type": "string", "maxLength": PHONE_MAX},
    "email": {"type": "string", "maxLength": EMAIL_MAX},
    "updated_since": _TIME | {"description": "ISO 8601, years 1970 to 9999"},
    "page": {"type": "integer", "minimum": 1, "maximum": 100_000},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
}

# Named for the OpenAPI document's components.
COMPONENTS = {
    "Error": ERROR,
    "Customer": CUSTOMER,
    "Message": MESSAGE,
    "TicketSummary": TICKET_SUMMARY,
    "Ticket": TICKET,
    "TicketPage": TICKET_PAGE,
    "NewTicket": NEW_TICKET,
    "NewCustomer": NEW_CUSTOMER,
    "TicketChange": TICKET_CHANGE,
    "NewMessage": NEW_MESSAGE,
}

for _schema in COMPONENTS.values():
    Draft202012Validator.check_schema(_schema)  # a typo here fails at import, not in a request
_VALIDATORS = {id(schema): Draft202012Validator(schema) for schema in COMPONENTS.values()}


class Invalid(Exception):
    """A body that does not match its schema: a stable code, the field and a message."""

    def __init__(self, code: str, field: str, message: str):
        super().__init__(message)
        self.code, self.field, self.message = code, field, message


def validate(data, schema: dict) -> None:
    """Raise Invalid for the most relevant error of `data` against `schema`."""
    error = best_match(_VALIDATORS[id(schema)].iter_errors(data))
    if error is None:
        return
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        field = ".".join([*path, missing])
        raise Invalid("missing_field", field, f"'{field}' is required")
    field = ".".join(path) or "body"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        field = ".".join([*path, str(extra[0])]) if extra else field
        raise Invalid("unknown_field", field, f"'{field}' is not a field of this request")
    if error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        raise Invalid("invalid_type", field, f"'{field}' must be of type {wanted}")
    if error.validator in ("minLength", "pattern"):
        raise Invalid("missing_field", field, f"'{field}' is required and must be text")
    if error.validator == "maxLength":
        raise Invalid(
            "too_long", field, f"'{field}' is longer than {error.validator_value} characters"
        )
    if error.validator == "enum":
        choices = ", ".join(str(value) for value in error.validator_value)
        raise Invalid("invalid_value", field, f"'{field}' must be one of {choices}")
    raise Invalid("invalid_value", field, f"'{field}': {error.message[:200]}")
