"""What changed under an agent who has a ticket open: the page's poll, the collision guard's
check before an action, and where a ticket went that a colleague moved out of their reach."""

from flask import abort, jsonify, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ticketing import live, presence
from ticketing.extensions import db
from ticketing.models import Event, Ticket
from ticketing.security import can_see, ticket_for

# What an agent may have typed into a form of the ticket page, kept when the ticket is gone.
DRAFT_FIELDS = (("body", "Your text"), ("note", "Your note"), ("description", "Your promise"))


def live_news(ticket_id: int):
    """What the open ticket page polls: who else has it open or is typing, what changed."""
    ticket = ticket_for(current_user, ticket_id)
    since = request.args.get("since", "")
    if not since.isdigit() or len(since) > 18:
        return jsonify(error="bad_since", message="since must be an event id."), 400
    state = presence.TYPING if request.args.get("typing") == "1" else presence.VIEWING
    presence.record(ticket.id, current_user, state)
    others = presence.viewers(ticket.id, besides=current_user.id)
    changes, _ = live.changes_since(ticket, int(since), current_user)
    return jsonify(
        viewers=[viewer.name for viewer in others],
        typing=[viewer.name for viewer in others if viewer.state == presence.TYPING],
        changes=[change.as_json() for change in changes],
        newest=live.newest_event_id(ticket),
    )


def changed_meanwhile(ticket: Ticket, action: str) -> dict | None:
    """None when nobody else changed the ticket since the agent's page was loaded; otherwise
    what the page needs to list the changes and offer "do it anyway" (the caller rolls back
    and renders it, 409). A form without a version counts as seeing nothing."""
    live.lock(ticket)
    seen = live.parse_seen(request.form.get("seen"))
    changes, total = live.changes_since(ticket, seen, current_user)
    if not total:
        return None
    return {
        "action": action,
        "changes": changes,
        "more": total - len(changes),
        "status": request.form.get("status", ""),
        "note": request.form.get("note", ""),
        "files": [upload.filename for upload in request.files.getlist("files") if upload.filename],
    }


def ticket_to_act_on(ticket_id: int) -> Ticket:
    """The ticket, when the agent may still see it. When a colleague has moved it out of one
    of the agent's departments, a page says where it went (200 to open it, 409 to act on it,
    keeping what they typed); anyone else gets the 404 that leaks nothing."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is not None and can_see(current_user, ticket):
        return ticket
    move = _moved_away_from(current_user, ticket) if ticket is not None else None
    if move is None:
        abort(404)
    drafts = [
        (label, request.form[name])
        for name, label in DRAFT_FIELDS
        if (request.form.get(name) or "").strip()
    ]
    page = render_template("agent/moved.html", ticket=ticket, move=move, drafts=drafts)
    abort(make_response(page, 200 if request.method == "GET" else 409))


def _moved_away_from(user, ticket: Ticket) -> Event | None:
    """The newest transfer of `ticket` out of one of `user`'s departments, if any."""
    theirs = {department.name for department in user.departments}
    transfers = db.session.scalars(
        select(Event)
        .where(Event.ticket_id == ticket.id, Event.kind == "transferred")
        .order_by(Event.id.desc())
    ).all()
    return next((event for event in transfers if event.data.get("old") in theirs), None)
