"""JSON API under /api/v1 with bearer tokens. It calls the same lifecycle functions as the pages.

Only the routes and error handlers live here; parsing and JSON shapes are in
ticketing.views.api_io, the Idempotency-Key rules in ticketing.idempotency.
"""

from flask import Blueprint, g, jsonify, request
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from ticketing import api_params, api_schemas, customers, idempotency, lifecycle, search, tags
from ticketing.api_schemas import Invalid
from ticketing.contacts import InvalidContact, normalise_email, normalise_phone
from ticketing.extensions import csrf, db
from ticketing.models import Ticket, User
from ticketing.models.enums import Category, Channel, Priority, Status
from ticketing.openapi import DOCUMENT
from ticketing.security import api_user, visible_tickets
from ticketing.views import errors
from ticketing.views.api_io import (
    ApiError,
    contact,
    detail,
    json_body,
    message_json,
    region,
    since,
    summary,
    ticket_by_ref,
)

__all__ = ["ApiError", "bp", "detail", "message_json", "summary"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.errorhandler(ApiError)
@bp.errorhandler(idempotency.Refused)
def api_error(error: ApiError | idempotency.Refused):
    db.session.rollback()
    body = {"code": error.code, "message": error.message}
    if error.field:
        body["field"] = error.field
    return jsonify(error=body), error.status, error.headers


@bp.errorhandler(Invalid)
def invalid_input(error: Invalid):
    db.session.rollback()
    body = {"code": error.code, "message": error.message, "field": error.field}
    return jsonify(error=body), error.status


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 403: "forbidden"}
    body = {"code": codes.get(error.code, "http_error"), "message": error.description}
    return jsonify(error=body), error.code, errors.allow_header(error)


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
    args = api_params.check_query(request.args, api_params.LIST)
    try:
        filters = {
            "status": args.get("status"),
            "department_id": args.get("department_id"),
            "phone": normalise_phone(args["phone"], region()) if "phone" in args else None,
            "email": normalise_email(args["email"]) if "email" in args else None,
            "updated_since": since(args.get("updated_since")),
            "tag": tags.normalise(args["tag"]) if "tag" in args else None,
            "q": args.get("q"),
        }
    except (InvalidContact, ValueError) as error:
        raise ApiError(400, "invalid_filter", str(error)) from error
    query = search.apply_filters(visible_tickets(g.api_user), **filters)
    query = query.options(selectinload(Ticket.tags))
    page = db.paginate(
        search.ordered(query, args.get("sort"), args.get("dir"), default=search.urgency_order),
        page=args.get("page", 1),
        per_page=args.get("per_page", 50),
        error_out=False,
    )
    return jsonify(
        tickets=[summary(t) for t in page.items], page=page.page, pages=page.pages, total=page.total
    )


@bp.post("/tickets")
def create_ticket():
    data = json_body(api_schemas.NEW_TICKET)
    found = contact(data["customer"])  # every check before the key is claimed
    api_params.check_idempotency_key(request.headers.get("Idempotency-Key"))
    key = idempotency.parse(request.headers.get("Idempotency-Key"))
    if key is None:
        ticket = _open_ticket(data, found)
        db.session.commit()
        return jsonify(detail(ticket)), 201
    ticket, replayed = idempotency.once(
        g.api_user.id, key, idempotency.fingerprint(data), lambda: _open_ticket(data, found)
    )
    if replayed:
        return jsonify(detail(ticket)), 201, {"Idempotent-Replayed": "true"}
    return jsonify(detail(ticket)), 201


def _open_ticket(data: dict, found: tuple[str | None, str | None]) -> Ticket:
    email, phone = found
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


@bp.get("/tickets/<ref>")
def read_ticket(ref: str):
    return jsonify(detail(ticket_by_ref(ref)))


@bp.post("/tickets/<ref>/replies")
def add_reply(ref: str):
    ticket = ticket_by_ref(ref)
    body = json_body(api_schemas.NEW_MESSAGE)["body"].strip()
    message = lifecycle.reply(ticket, by=g.api_user, body=body)
    db.session.commit()
    return jsonify(message_json(message)), 201


@bp.post("/tickets/<ref>/notes")
def add_note(ref: str):
    ticket = ticket_by_ref(ref)
    body = json_body(api_schemas.NEW_MESSAGE)["body"].strip()
    message = lifecycle.note(ticket, by=g.api_user, body=body)
    db.session.commit()
    return jsonify(message_json(message)), 201


@bp.patch("/tickets/<ref>")
def update_ticket(ref: str):
    ticket, data = ticket_by_ref(ref), json_body(api_schemas.TICKET_CHANGE)
    if "priority" in data:
        lifecycle.set_priority(ticket, Priority(data["priority"]), by=g.api_user)
    if "assignee_id" in data:
        assignee = db.session.get(User, data["assignee_id"]) if data["assignee_id"] else None
        if data["assignee_id"] and assignee is None:
            raise ApiError(422, "invalid_assignee", "no such user", "assignee_id")
        lifecycle.assign(ticket, assignee, by=g.api_user)
    if "status" in data:
        lifecycle.set_status(
            ticket, Status(data["status"]), by=g.api_user, note=data.get("note", "")
        )
    if "tags" in data:
        _tag(ticket, data["tags"])
    db.session.commit()
    return jsonify(detail(ticket))


def _tag(ticket: Ticket, change: dict) -> None:
    try:
        lifecycle.tag(
            ticket, add=change.get("add", ()), remove=change.get("remove", ()), by=g.api_user
        )
    except tags.TagError as error:
        raise ApiError(422, error.code, str(error), "tags") from error
