"""JSON API under /api/v1 with bearer tokens. It calls the same lifecycle functions as the pages."""

import hashlib
import json
from datetime import datetime, timedelta

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ticketing import api_schemas, customers, hours, lifecycle, search
from ticketing.api_schemas import Invalid
from ticketing.contacts import InvalidContact, normalise_email, normalise_phone
from ticketing.extensions import csrf, db
from ticketing.models import IdempotencyKey, Ticket, User
from ticketing.models.enums import Category, Channel, Priority, Status
from ticketing.openapi import DOCUMENT
from ticketing.security import api_user, ticket_for, visible_tickets

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers: dict = {}


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    db.session.rollback()
    body = {"code": error.code, "message": error.message}
    if error.field:
        body["field"] = error.field
    return jsonify(error=body), error.status, error.headers


@bp.errorhandler(Invalid)
def invalid_body(error: Invalid):
    db.session.rollback()
    return jsonify(error={"code": error.code, "message": error.message, "field": error.field}), 422


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 403: "forbidden"}
    return jsonify(
        error={"code": codes.get(error.code, "http_error"), "message": error.description}
    ), error.code


@bp.errorhandler(lifecycle.TransitionError)
def transition_error(error):
    db.session.rollback()
    return jsonify(error={"code": "invalid_transition", "message": str(error)}), 409


@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi":
        return None
    user = api_user()
    if user is None:
        raise ApiError(401, "unauthorized", "Send Authorization: Bearer <token>")
    g.api_user = user
    return None


@bp.get("/openapi.json")
def openapi():
    return jsonify(DOCUMENT)


@bp.get("/tickets")
def list_tickets():
    args = request.args
    try:
        filters = {
            "status": _choice(args.get("status"), Status, "status"),
            "department_id": _int_arg("department_id", 1, api_schemas.MAX_ID),
            "phone": normalise_phone(args["phone"], _region()) if args.get("phone") else None,
            "email": normalise_email(args["email"]) if args.get("email") else None,
            "updated_since": _since(args.get("updated_since")),
        }
    except (InvalidContact, ValueError) as error:
        raise ApiError(400, "invalid_filter", str(error)) from error
    _int_arg("page", 1, 100_000)
    query = search.apply_filters(visible_tickets(g.api_user), **filters)
    page = db.paginate(
        search.urgency_order(query),
        per_page=_int_arg("per_page", 1, 10_000) or 50,
        max_per_page=200,
        error_out=False,
    )
    return jsonify(
        tickets=[summary(t) for t in page.items], page=page.page, pages=page.pages, total=page.total
    )


def _int_arg(name: str, low: int, high: int) -> int | None:
    """An integer query parameter within [low, high], None when absent; 400 otherwise."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 12 and low <= int(value) <= high):
        raise ApiError(
            400, "invalid_filter", f"'{name}' must be a whole number from {low} to {high}", name
        )
    return int(value)


EARLIEST, LATEST = datetime(1970, 1, 1), datetime(9999, 1, 1)


def _since(value: str | None) -> datetime | None:
    """updated_since as naive UTC; 400 for what is not an ISO time or lies outside 1970-9998."""
    if not value:
        return None
    if len(value) > 40:
        raise ValueError("'updated_since' is not an ISO 8601 time")
    try:
        moment = hours.parse_utc(value)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"'updated_since' is not an ISO 8601 time: {error}") from error
    if not EARLIEST <= moment < LATEST:
        raise ValueError("'updated_since' must lie between 1970 and 9998")
    return moment


@bp.post("/tickets")
def create_ticket():
    data = _json(api_schemas.NEW_TICKET)
    contact = _contact(data["customer"])  # every check before the key is claimed
    key = _idempotency_key()
    if key is None:
        ticket = _open_ticket(data, contact)
        db.session.commit()
        return jsonify(detail(ticket)), 201
    claim = _claim(key, _fingerprint(data))
    if claim.ticket_id is not None:  # an earlier request with this key and body finished
        ticket = db.session.get(Ticket, claim.ticket_id)
        return jsonify(detail(ticket)), 201, {"Idempotent-Replayed": "true"}
    claim_id = claim.id
    try:
        ticket = _open_ticket(data, contact)
        claim.ticket_id = ticket.id
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _release(claim_id)  # let the client retry with the same key
        raise
    return jsonify(detail(ticket)), 201


def _open_ticket(data: dict, contact: tuple[str | None, str | None]) -> Ticket:
    email, phone = contact
    customer = customers.find_or_create(
        email=email, phone=phone, name=data["customer"].get("name", "").strip()
    )
    return lifecycle.open_ticket(
        customer,
        subject=data["subject"].strip(),
        body=data["body"].strip(),
        channel=Channel.API,
        by=g.api_user,
        category=Category(data.get("category", "general")),
        priority=Priority(data.get("priority", "normal")),
    )


# Idempotency-Key (draft-ietf-httpapi-idempotency-key-header). The (user_id, key) unique
# constraint decides who runs: the first request commits its key row, with no ticket yet, in
# a transaction of its own ("in progress"); a concurrent one fails that insert and answers 409
# until the first has stored its ticket, then replays it. A second row keyed "#fp:" holds the
# body's fingerprint, so the same key with another body is refused with 422.
FINGERPRINT_PREFIX = "#fp:"
ABANDONED_AFTER = timedelta(minutes=2)  # an in-progress key whose request died


def _idempotency_key() -> str | None:
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    key = raw.strip().strip('"')  # the draft sends it as a quoted structured-field string
    if not key or len(key) > api_schemas.KEY_MAX or not key.isprintable() or not key.isascii():
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1 to {api_schemas.KEY_MAX} printable ASCII characters",
            "Idempotency-Key",
        )
    if key.startswith(FINGERPRINT_PREFIX):
        raise ApiError(400, "invalid_idempotency_key", "that Idempotency-Key is reserved")
    return key


def _fingerprint(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fingerprint_key(key: str, fingerprint: str) -> str:
    return f"{FINGERPRINT_PREFIX}{hashlib.sha256(key.encode()).hexdigest()[:32]}:{fingerprint}"


def _claim(key: str, fingerprint: str, retry: bool = True) -> IdempotencyKey:
    """This request's key row, newly committed as in progress, or the finished earlier one
    (same body); ApiError 409 while another request holds it, 422 for another body."""
    user_id = g.api_user.id
    row = IdempotencyKey(user_id=user_id, key=key)
    db.session.add(row)
    db.session.add(IdempotencyKey(user_id=user_id, key=_fingerprint_key(key, fingerprint)))
    try:
        db.session.commit()
        return row
    except IntegrityError:
        db.session.rollback()
    earlier = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if earlier is None and retry:  # released between our insert and this read
        return _claim(key, fingerprint, retry=False)
    if earlier is None or earlier.ticket_id is None:
        if earlier is not None and earlier.created_at < hours.now() - ABANDONED_AFTER and retry:
            _release(earlier.id)
            return _claim(key, fingerprint, retry=False)
        error = ApiError(
            409, "request_in_progress", "A request with this Idempotency-Key is still running"
        )
        error.headers["Retry-After"] = "1"
        raise error
    same_body = db.session.scalar(
        select(IdempotencyKey.id).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == _fingerprint_key(key, fingerprint),
        )
    )
    if same_body is None and _has_fingerprint(key):
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used for a request with a different body",
            "Idempotency-Key",
        )
    return earlier


def _has_fingerprint(key: str) -> bool:
    """False for a key stored before fingerprints were kept: it replays as before."""
    prefix = _fingerprint_key(key, "")
    return (
        db.session.scalar(
            select(IdempotencyKey.id).where(
                IdempotencyKey.user_id == g.api_user.id, IdempotencyKey.key.startswith(prefix)
            )
        )
        is not None
    )


def _release(claim_id: int) -> None:
    """Forget an unfinished key (and its fingerprint), so the same key can be tried again."""
    row = db.session.get(IdempotencyKey, claim_id)
    if row is None or row.ticket_id is not None:
        return
    db.session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == row.user_id,
            IdempotencyKey.ticket_id.is_(None),
            (IdempotencyKey.id == claim_id)
            | IdempotencyKey.key.startswith(_fingerprint_key(row.key, "")),
        )
    )
    db.session.commit()


@bp.get("/tickets/<ref>")
def read_ticket(ref: str):
    return jsonify(detail(_ticket(ref)))


@bp.post("/tickets/<ref>/replies")
def add_reply(ref: str):
    ticket = _ticket(ref)
    body = _json(api_schemas.NEW_MESSAGE)["body"].strip()
    message = lifecycle.reply(ticket, by=g.api_user, body=body)
    db.session.commit()
    return jsonify(message_json(message)), 201


@bp.post("/tickets/<ref>/notes")
def add_note(ref: str):
    ticket = _ticket(ref)
    body = _json(api_schemas.NEW_MESSAGE)["body"].strip()
    message = lifecycle.note(ticket, by=g.api_user, body=body)
    db.session.commit()
    return jsonify(message_json(message)), 201


@bp.patch("/tickets/<ref>")
def update_ticket(ref: str):
    ticket, data = _ticket(ref), _json(api_schemas.TICKET_CHANGE)
    if "priority" in data:
        lifecycle.set_priority(ticket, Priority(data["priority"]), by=g.api_user)
    if "assignee_id" in data:
        assignee = db.session.get(User, data["assignee_id"]) if data["assignee_id"] else None
        if data["assignee_id"] and assignee is None:
            raise ApiError(400, "invalid_assignee", "no such user", "assignee_id")
        lifecycle.assign(ticket, assignee, by=g.api_user)
    if "status" in data:
        lifecycle.set_status(
            ticket, Status(data["status"]), by=g.api_user, note=data.get("note", "")
        )
    db.session.commit()
    return jsonify(detail(ticket))


def _ticket(ref: str) -> Ticket:
    if ref.isascii() and ref.isdigit():
        number = int(ref) if len(ref) <= 10 else 0
        return ticket_for(g.api_user, number if number <= api_schemas.MAX_ID else 0)
    if len(ref) > 12:  # Ticket.reference String(12)
        return ticket_for(g.api_user, 0)
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == ref.upper()))
    return ticket_for(g.api_user, ticket.id if ticket else 0)


def _json(schema: dict) -> dict:
    """The body, checked against its published schema (ticketing.api_schemas)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object")
    api_schemas.validate(data, schema)
    return data


def _choice(value, enum, name: str):
    if value in (None, ""):
        return None
    if value not in enum._value2member_map_:
        raise ApiError(422, "invalid_value", f"'{name}' must be one of {', '.join(enum)}", name)
    return value


def _contact(data: dict) -> tuple[str | None, str | None]:
    """The customer's normalised (email, phone); 422 when neither is usable."""
    try:
        email = normalise_email(data["email"]) if data.get("email") else None
        phone = normalise_phone(data["phone"], _region()) if data.get("phone") else None
    except InvalidContact as error:
        raise ApiError(422, "invalid_contact", str(error), "customer") from error
    if not (email or phone):
        raise ApiError(422, "missing_contact", "customer needs an email or a phone", "customer")
    return email, phone


def _region() -> str:
    return current_app.config["DEFAULT_PHONE_REGION"]


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
