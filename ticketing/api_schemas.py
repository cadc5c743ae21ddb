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
NOTE_MAX = 500
KEY_MAX = 120  # IdempotencyKey.key String(120)


# The characters ticketing.edge refuses in any request (C0 controls but tab, LF and CR).
_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f"
PLAIN = {"type": "string", "pattern": f"^[^{_CONTROL}]*$"}
# Text that holds something other than spaces, and no control character.
TEXT = {
    "type": "string",
    "minLength": 1,
    "pattern": f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$",
}


# Which addresses and numbers are usable is email_validator's and phonenumbers' to say (422
# invalid_contact otherwise), and both bound the length: so no pattern or length here.
EMAIL = {"type": "string", "format": "email"}
PHONE = {
    "type": "string",
    "format": "phone",
    "description": "a number the desk can reach: E.164, or local to DEFAULT_PHONE_REGION",
}


def _text(max_length: int, description: str = "") -> dict:
    schema = TEXT | {"maxLength": max_length}
    return schema | ({"description": description} if description else {})


def enum(vocabulary) -> dict:
    """A string from `vocabulary` (an enum's values, or a mapping's or list's names)."""
    return {"type": "string", "enum": [getattr(name, "value", name) for name in vocabulary]}


# A tag name as ticketing.tags.normalise takes it: letters, marks and digits of any script,
# - and _, case-folded and NFKC-normalised. Which characters are letters is Unicode's to say,
# which a JSON Schema pattern cannot (422 tag_emoji, tag_invisible_characters... in a body,
# 400 invalid_filter in a query): so a format, and no pattern.
TAG = {
    "type": "string",
    "minLength": 1,
    "maxLength": 40,
    "format": "tag",
    "description": "letters and digits of any script, - and _; any case",
}
_TAGS = {"type": "array", "items": TAG, "maxItems": 20, "uniqueItems": True}

_TIME = {"type": "string", "format": "date-time"}
_OPTIONAL_TIME = {"type": ["string", "null"], "format": "date-time"}

NEW_CUSTOMER = {
    "type": "object",
    "description": "Found by email or phone, or made; at least one of the two is needed.",
    "additionalProperties": False,
    "properties": {
        "name": PLAIN | {"maxLength": NAME_MAX},
        "email": EMAIL,
        "phone": PHONE,
    },
    "anyOf": [{"required": ["email"]}, {"required": ["phone"]}],
    "x-error-code": "missing_contact",
}

NEW_TICKET = {
    "type": "object",
    "additionalProperties": False,
    "required": ["subject", "body", "customer"],
    "properties": {
        "subject": _text(SUBJECT_MAX),
        "body": _text(BODY_MAX),
        "category": enum(Category),
        "priority": enum(Priority),
        "customer": NEW_CUSTOMER,
    },
}

TICKET_CHANGE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": enum(Status),
        "priority": enum(Priority),
        "assignee_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
        "note": PLAIN | {"maxLength": NOTE_MAX},
        "tags": {
            "type": "object",
            "additionalProperties": False,
            "description": "tag names to add and to remove (one event for the change)",
            "properties": {"add": _TAGS, "remove": _TAGS},
        },
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
        "channel": enum(Channel),
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
        "status": enum(Status),
        "priority": enum(Priority),
        "category": enum(Category),
        "channel": enum(Channel),
        "department": {"type": "string"},
        "assignee": {"type": ["string", "null"]},
        "customer": CUSTOMER,
        "created_at": _TIME,
        "updated_at": _TIME,
        "due_at": _OPTIONAL_TIME,
        "tags": {"type": "array", "items": {"type": "string"}},
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

_CANNED_ACTIONS = {
    "type": "object",
    "description": "What applying it changes; null: left as it is. Tags are kept, not applied.",
    "required": ["status", "priority", "assignee_id", "tags"],
    "properties": {
        "status": {"type": ["string", "null"], "enum": [*enum(Status)["enum"], None]},
        "priority": {"type": ["string", "null"], "enum": [*enum(Priority)["enum"], None]},
        "assignee_id": {"type": ["integer", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}

CANNED = {
    "type": "object",
    "required": ["id", "title", "scope", "department", "languages", "actions"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "scope": {"enum": ["personal", "department", "everyone"]},
        "department": {"type": ["string", "null"]},
        "languages": {"type": "array", "items": {"enum": ["en", "sw"]}},
        "actions": _CANNED_ACTIONS,
    },
}

CANNED_LIST = {
    "type": "object",
    "required": ["canned"],
    "properties": {"canned": {"type": "array", "items": CANNED}},
}

CANNED_TEXT = CANNED | {
    "required": [*CANNED["required"], "text", "language", "note"],
    "properties": CANNED["properties"]
    | {
        "text": {"type": "string", "description": "filled in for the ticket; not sent"},
        "language": {"enum": ["en", "sw"]},
        "note": {"type": "string", "description": "why it is not in the customer's language"},
    },
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
    "Canned": CANNED,
    "CannedList": CANNED_LIST,
    "CannedText": CANNED_TEXT,
}

for _schema in COMPONENTS.values():
    Draft202012Validator.check_schema(_schema)  # a typo here fails at import, not in a request
_VALIDATORS = {id(schema): Draft202012Validator(schema) for schema in COMPONENTS.values()}


class Invalid(Exception):
    """Input that does not match its schema: a stable code, the field and a message.
    A body is 422 (well-formed JSON, wrong content); a query string or header 400."""

    def __init__(self, code: str, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.code, self.field, self.message, self.status = code, field, message, status


def validate(data, schema: dict) -> None:
    """Raise Invalid for the most relevant error of `data` against `schema`."""
    error = best_match(_VALIDATORS[id(schema)].iter_errors(data))
    if error is None:
        return
    if error.parent is not None and "x-error-code" in error.parent.schema:
        error = error.parent  # a rule over several fields, with a code of its own
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        field = ".".join([*path, missing])
        raise Invalid("missing_field", field, f"'{field}' is required")
    field = ".".join(path) or "body"
    if "x-error-code" in error.schema:
        message = f"'{field}': {error.schema['description']}"
        raise Invalid(error.schema["x-error-code"], field, message)
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
