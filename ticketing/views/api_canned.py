"""/api/v1 canned responses and macros: those the token's user may use, one filled in for a
ticket, and a macro applied to a ticket (all of its changes or none).

Routes live on the API blueprint, so they share its bearer-token authentication and errors.
"""

from flask import Blueprint, g, jsonify

from ticketing import canned
from ticketing.extensions import db
from ticketing.models import CannedResponse
from ticketing.views.api_io import ApiError, detail, ticket_by_ref

bp = Blueprint("canned", __name__)  # nested in api.bp: its token check and errors apply


@bp.get("/canned")
def list_canned():
    rows = db.session.scalars(canned.usable(g.api_user))
    return jsonify(canned=[_item(row) for row in rows])


@bp.get("/tickets/<ref>/canned/<int:canned_id>")
def render_canned(ref: str, canned_id: int):
    ticket = ticket_by_ref(ref)
    response = _offered(ticket, canned_id)
    try:
        rendered = canned.render(response, ticket, g.api_user)
    except canned.Unusable as error:
        raise ApiError(409, "unusable", str(error)) from error
    return jsonify(
        _item(response)
        | {"text": rendered.text, "language": rendered.language.value, "note": rendered.note}
    )


@bp.post("/tickets/<ref>/canned/<int:canned_id>/apply")
def apply_canned(ref: str, canned_id: int):
    ticket = ticket_by_ref(ref)
    canned.apply(_offered(ticket, canned_id), ticket, by=g.api_user)  # TransitionError: 409
    db.session.commit()
    return jsonify(detail(ticket))


def _offered(ticket, canned_id: int) -> CannedResponse:
    response = canned.offered(g.api_user, ticket, canned_id)
    if response is None:
        raise ApiError(404, "not_found", "no such canned response for this ticket")
    return response


def _item(response: CannedResponse) -> dict:
    return {
        "id": response.id,
        "title": response.title,
        "scope": response.scope.value,
        "department": response.department.name if response.department else None,
        "languages": [
            code for code, body in (("en", response.body_en), ("sw", response.body_sw)) if body
        ],
        "actions": {
            "status": response.set_status.value if response.set_status else None,
            "priority": response.set_priority.value if response.set_priority else None,
            "assignee_id": response.set_assignee_id,
            "tags": list(response.tags or []),
        },
    }
