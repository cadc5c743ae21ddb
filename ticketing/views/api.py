"""JSON API under /api/v1 with bearer tokens. It calls the same lifecycle functions as the pages."""

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ticketing import customers, hours, lifecycle, search
from ticketing.contacts import InvalidContact, normalise_email, normalise_phone
from ticketing.extensions import csrf, db
from ticketing.models import Customer, IdempotencyKey, Ticket, User
from ticketing.models.enums import Category, Channel, Priority, Status
from ticketing.openapi import DOCUMENT
from ticketing.security import api_user, ticket_for, visible_tickets

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    db.session.rollback()
    return jsonify(error={"code": error.code, "message": error.message}), error.status


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
            "department_id": args.get("department_id", type=int),
            "phone": normalise_phone(args["phone"], _region()) if args.get("phone") else None,
            "email": normalise_email(args["email"]) if args.get("email") else None,
            "updated_since": hours.parse_utc(args["updated_since"])
            if args.get("updated_since")
            else None,
        }
    except (InvalidContact, ValueError) as error:
        raise ApiError(400, "invalid_filter", str(error)) from error
    query = search.apply_filters(visible_tickets(g.api_user), **filters)
    page = db.paginate(
        search.urgency_order(query),
        per_page=args.get("per_page", 50, type=int),
        max_per_page=200,
        error_out=False,
    )
    return jsonify(
        tickets=[summary(t) for t in page.items], page=page.page, pages=page.pages, total=page.total
    )


@bp.post("/tickets")
def create_ticket():
    data = _json()
    key = request.headers.get("Idempotency-Key", "").strip()[:120]
    if key and (earlier := _replayed(key)) is not None:
        return jsonify(detail(earlier)), 200
    customer = _customer(data.get("customer") or {})
    ticket = lifecycle.open_ticket(
        customer,
        subject=_text(data, "subject", 200),
        body=_text(data, "body", 20000),
        channel=Channel.API,
        by=g.api_user,
        category=Category(_choice(data.get("category"), Category, "category") or "general"),
        priority=Priority(_choice(data.get("priority"), Priority, "priority") or "normal"),
    )
    if key:
        db.session.add(IdempotencyKey(user_id=g.api_user.id, key=key, ticket_id=ticket.id))
    try:
        db.session.commit()
    except IntegrityError as error:  # the same key raced in on another request
        db.session.rollback()
        if key and (earlier := _replayed(key)) is not None:
            return jsonify(detail(earlier)), 200
        raise ApiError(409, "conflict", "the ticket could not be stored; retry") from error
    return jsonify(detail(ticket)), 201


def _replayed(key: str) -> Ticket | None:
    """The ticket an earlier request with this Idempotency-Key created, if any."""
    seen = db.session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == g.api_user.id, IdempotencyKey.key == key
        )
    )
    return db.session.get(Ticket, seen.ticket_id) if seen is not None and seen.ticket_id else None


@bp.get("/tickets/<ref>")
def read_ticket(ref: str):
    return jsonify(detail(_ticket(ref)))


@bp.post("/tickets/<ref>/replies")
def add_reply(ref: str):
    ticket = _ticket(ref)
    message = lifecycle.reply(ticket, by=g.api_user, body=_text(_json(), "body", 20000))
    db.session.commit()
    return jsonify(message_json(message)), 201


@bp.post("/tickets/<ref>/notes")
def add_note(ref: str):
    ticket = _ticket(ref)
    message = lifecycle.note(ticket, by=g.api_user, body=_text(_json(), "body", 20000))
    db.session.commit()
    return jsonify(message_json(message)), 201


@bp.patch("/tickets/<ref>")
def update_ticket(ref: str):
    ticket, data = _ticket(ref), _json()
    if "priority" in data:
        lifecycle.set_priority(
            ticket, Priority(_choice(data["priority"], Priority, "priority")), by=g.api_user
        )
    if "assignee_id" in data:
        assignee = db.session.get(User, data["assignee_id"]) if data["assignee_id"] else None
        if data["assignee_id"] and assignee is None:
            raise ApiError(400, "invalid_assignee", "no such user")
        lifecycle.assign(ticket, assignee, by=g.api_user)
    if "status" in data:
        lifecycle.set_status(
            ticket,
            Status(_choice(data["status"], Status, "status")),
            by=g.api_user,
            note=str(data.get("note", ""))[:500],
        )
    db.session.commit()
    return jsonify(detail(ticket))


def _ticket(ref: str) -> Ticket:
    if ref.isdigit():
        return ticket_for(g.api_user, int(ref))
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == ref.upper()))
    return ticket_for(g.api_user, ticket.id if ticket else 0)


def _json() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object")
    return data


def _text(data: dict, name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "missing_field", f"'{name}' is required and must be text")
    if len(value) > limit:
        raise ApiError(422, "too_long", f"'{name}' is longer than {limit} characters")
    return value.strip()


def _choice(value, enum, name: str):
    if value in (None, ""):
        return None
    if value not in enum._value2member_map_:
        raise ApiError(422, "invalid_value", f"'{name}' must be one of {', '.join(enum)}")
    return value


def _customer(data: dict) -> Customer:
    try:
        email = normalise_email(data["email"]) if data.get("email") else None
        phone = normalise_phone(data["phone"], _region()) if data.get("phone") else None
    except InvalidContact as error:
        raise ApiError(422, "invalid_contact", str(error)) from error
    if not (email or phone):
        raise ApiError(422, "missing_contact", "customer needs an email or a phone")
    return customers.find_or_create(email=email, phone=phone, name=str(data.get("name", "")))


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
