"""The query and path parameters of /api/v1, written once: ticketing.openapi publishes them and
the views check every request's query string against them (check_query) before reading it.

A query string is text, so each value is read as its schema's type first (an integer must be
written in ASCII digits), then validated; a parameter sent twice, or an empty value, is
refused like any other invalid one: 400 invalid_filter, naming the parameter.
"""

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from ticketing.api_schemas import EMAIL, KEY_MAX, MAX_ID, PHONE, TAG, TEXT, Invalid, enum
from ticketing.models.enums import Category, Channel, Priority, Status
from ticketing.search import DIRECTIONS, SORTS
from ticketing.search_terms import MAX_QUERY
from ticketing.stats import FIGURES, TABLES
from ticketing.stats.scope import MAX_DAYS, PERIODS

_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_PAGE = {"type": "integer", "minimum": 1, "maximum": 100_000}
_PER_PAGE = {"type": "integer", "minimum": 1, "maximum": 200}
_DAY = {
    "type": "string",
    "format": "date",
    "pattern": "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$",
    "description": "a local day, 2000-01-01 to 2100-12-31",
}

# Ticket reference (FT- and five letters or digits, any case) or numeric id.
CANNED_ID = _ID
REF = {"type": "string", "pattern": "^(?:[Ff][Tt]-[0-9A-Za-z]{5}|[0-9]{1,10})$"}
TABLE = enum(TABLES)
# What ticketing.idempotency.parse takes as it is: printable ASCII with no space or quote at
# either end (it strips those), and not its own reserved "#fp:" prefix.
IDEMPOTENCY_KEY = {
    "type": "string",
    "minLength": 1,
    "maxLength": KEY_MAX,
    "allOf": [{"pattern": "^[!#-~](?:[ -~]*[!#-~])?$"}, {"not": {"pattern": "^#fp:"}}],
}

# GET /tickets
LIST = {
    "status": enum(Status),
    "department_id": _ID,
    "phone": PHONE,
    "email": EMAIL,
    "tag": TAG | {"description": "tickets with this tag (any case)"},
    "updated_since": {
        "type": "string",
        "anyOf": [{"format": "date-time"}, {"format": "date"}],
        "description": "an RFC 3339 time, or a day (midnight UTC); before 1970 means every ticket",
    },
    "q": TEXT
    | {
        "maxLength": MAX_QUERY,
        "description": "a reference, a phone number in any format, an email address, or words "
        "found (as prefixes) in the subject, the customer's name or any message",
    },
    "sort": enum(SORTS) | {"description": "default: the queue's urgency order"},
    "dir": enum(DIRECTIONS) | {"description": "with sort; default asc"},
    "page": _PAGE,
    "per_page": _PER_PAGE,
}

# Every /reports operation. A rule between two parameters (period=custom needs 'from'; 'from'
# not after 'to'; at most MAX_DAYS days) is the server's to check: 400 invalid_filter.
SCOPE = {
    "period": enum(PERIODS)
    | {"description": "default 7d, or custom when 'from' is given; custom needs 'from'"},
    "from": _DAY,
    "to": _DAY | {"description": f"default today; at most {MAX_DAYS} days after 'from'"},
    "department": _ID,
    "agent": _ID,
    "channel": enum(Channel),
    "priority": enum(Priority),
    "category": enum(Category),
}

# GET /reports/tickets
FIGURE = SCOPE | {
    "figure": enum(FIGURES),
    "part": TEXT | {"maxLength": 40, "description": "one part of the figure, e.g. a channel"},
    "status": enum(["active", *Status]) | {"description": "default: any status"},
    "page": _PAGE,
    "per_page": _PER_PAGE,
}
REQUIRED = {id(FIGURE): ["figure"]}

_CHECKERS = FormatChecker(["date"])
_VALIDATORS = {
    id(params): Draft202012Validator(
        {"type": "object", "properties": params, "required": REQUIRED.get(id(params), [])},
        format_checker=_CHECKERS,
    )
    for params in (LIST, SCOPE, FIGURE)
}
_KEY = Draft202012Validator(IDEMPOTENCY_KEY)


def check_query(args, params: dict) -> dict:
    """The documented parameters present in `args`, read as their types; Invalid otherwise."""
    values = {}
    if unknown := sorted(set(args) - set(params)):  # a typo must not widen the answer silently
        raise Invalid("unknown_filter", unknown[0], f"'{unknown[0]}' is not a parameter here", 400)
    for name, schema in params.items():
        sent = args.getlist(name)
        if len(sent) > 1:
            raise Invalid("invalid_filter", name, f"'{name}' may be given once", 400)
        if sent:
            values[name] = _typed(sent[0], schema)
    error = best_match(_VALIDATORS[id(params)].iter_errors(values))
    if error is not None:
        name = next(iter(error.absolute_path), None) or (
            next(n for n in error.validator_value if n not in values)
            if error.validator == "required"
            else "query"
        )
        raise Invalid("invalid_filter", str(name), f"'{name}': {error.message[:200]}", 400)
    return values


def _typed(value: str, schema: dict):
    if schema.get("type") == "integer" and value.isascii() and value.isdigit() and len(value) < 13:
        return int(value)
    return value


def check_idempotency_key(value: str | None) -> None:
    """Invalid for an Idempotency-Key header outside its documented form (absent is fine)."""
    if value is not None and not _KEY.is_valid(value):
        raise Invalid(
            "invalid_idempotency_key",
            "Idempotency-Key",
            f"Idempotency-Key must be 1 to {KEY_MAX} printable ASCII characters, without "
            'spaces or quotes at either end or the reserved prefix "#fp:"',
            400,
        )
